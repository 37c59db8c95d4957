#!/usr/bin/env python3
"""Collects what scripts/bench measured in DIR into DIR/results.json and
prints Markdown tables: figures, and ratios against the peers of the same run."""
import json
import os
import platform
import sys
import time


def load_json(path):
    with open(path) as f:
        return json.load(f)


def load_lines(path):
    with open(path) as f:
        return [json.loads(line) for line in f if line.strip()]


def benchmark_rates(report):
    """items_per_second of each benchmark in a Google Benchmark JSON report."""
    return {b["name"]: b for b in report["benchmarks"]}


def presign_section(folder, results):
    path = os.path.join(folder, "presign_s3co.json")
    if not os.path.exists(path):
        return []
    ours = benchmark_rates(load_json(path))
    botocore = load_lines(os.path.join(folder, "presign_botocore.jsonl"))
    js = load_lines(os.path.join(folder, "presign_js.jsonl"))
    floor = load_lines(os.path.join(folder, "presign_floor.jsonl"))[0]
    rows = []
    for index, (label, bench) in enumerate([("no session token", "BM_presign"),
                                            ("with session token", "BM_presign_with_session_token")]):
        s3co = ours[bench]["items_per_second"]
        boto = botocore[index]["urls_per_second"]
        node = js[index]["urls_per_second"]
        rows.append({"case": label, "s3co": s3co, "botocore": boto, "aws_sdk_js_v3": node,
                     "sha256_floor": floor["urls_per_second"]})
    results["presign"] = {"rows": rows, "botocore_version": botocore[0].get("version"),
                          "js_version": js[0].get("version"), "floor": floor}
    lines = ["### Presign (URLs/s, one core, same 10,000 keys)", "",
             "| case | s3co | botocore | JS SDK v3 | SHA-256 floor | s3co/botocore | s3co/JS | floor/s3co |",
             "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |"]
    for r in rows:
        lines.append(f"| {r['case']} | {r['s3co']:,.0f} | {r['botocore']:,.0f} | {r['aws_sdk_js_v3']:,.0f} | "
                     f"{r['sha256_floor']:,.0f} | {r['s3co'] / r['botocore']:,.0f}x | "
                     f"{r['s3co'] / r['aws_sdk_js_v3']:,.0f}x | {r['sha256_floor'] / r['s3co']:.2f}x |")
    lines.append("")
    lines.append(f"botocore {botocore[0].get('version')} ({botocore[0].get('signer', 'python')} signer), "
                 f"@aws-sdk/client-s3 {js[0].get('version')}, {floor['version']} "
                 f"({floor['blocks_per_presign']} SHA-256 blocks per presign).")
    return lines


def micro_section(folder, results):
    lines = []
    for name in sorted(os.listdir(folder)):
        if not (name.startswith("bench_") and name.endswith(".json")):
            continue
        report = load_json(os.path.join(folder, name))
        results.setdefault("micro", {})[name[:-5]] = report["benchmarks"]
        lines += [f"### {name[:-5]}", "", "| benchmark | ns | items/s | bytes/s |", "| --- | ---: | ---: | ---: |"]
        for b in report["benchmarks"]:
            ns = b["real_time"] if b.get("time_unit") == "ns" else b["real_time"]
            items = f"{b['items_per_second']:,.0f}" if "items_per_second" in b else ""
            data = f"{b['bytes_per_second'] / 1e6:,.1f} MB/s" if "bytes_per_second" in b else ""
            lines.append(f"| {b['name']} | {ns:,.0f} {b.get('time_unit', 'ns')} | {items} | {data} |")
        lines.append("")
    return lines


def median(values):
    values = sorted(values)
    middle = len(values) // 2
    return values[middle] if len(values) % 2 else (values[middle - 1] + values[middle]) / 2


def peer_version(err_path):
    """The "version" a peer printed on its stderr "complete" line, if any."""
    if not os.path.exists(err_path):
        return None
    with open(err_path, errors="replace") as f:
        for line in reversed(f.read().splitlines()):
            if line.startswith("{") and '"peer"' in line:
                try:
                    return json.loads(line).get("version")
                except ValueError:
                    return None
    return None


PIPELINE_PEERS = [("s3co", "s3co"), ("botocore", "botocore"), ("aws_sdk_js_v3", "JS SDK v3")]


def pipeline_section(folder, results):
    """sign_pdfs against radosgw: s3co vs botocore vs the JS SDK (medians of the rounds)."""
    path = os.path.join(folder, "pipeline_runs.jsonl")
    if not os.path.exists(path):
        return []
    runs = load_lines(path)
    seed = load_json(os.path.join(folder, "pipeline_seed.json"))
    check_path = os.path.join(folder, "pipeline_check.json")
    check = load_lines(check_path)[0] if os.path.exists(check_path) else None
    listed = seed["objects"]
    rows = {}
    for label, name in PIPELINE_PEERS:
        mine = [r for r in runs if r["label"] == label and r["exit_status"] == 0]
        if not mine:
            continue
        walls = [r["wall_s"] for r in mine]
        cpus = [r["cpu_s"] for r in mine]
        rss = [r["max_rss_kib"] / 1024 for r in mine]
        rows[label] = {
            "name": name, "runs": len(mine), "version": peer_version(os.path.join(folder, f"pipeline_run_{label}_1.err")),
            "wall_s": median(walls), "wall_min_s": min(walls), "wall_max_s": max(walls),
            "cpu_s": median(cpus), "cpu_min_s": min(cpus), "cpu_max_s": max(cpus),
            "max_rss_mib": median(rss), "keys_listed": listed, "pdfs": mine[0]["result"]["count"],
            "keys_per_second": listed / median(walls), "cpu_us_per_key": median(cpus) / listed * 1e6,
        }
    results["pipeline"] = {"objects": listed, "pdfs": seed.get("pdfs"), "rows": rows, "manifest_check": check,
                           "runs": runs}
    base = rows.get("s3co")
    lines = [f"### sign_pdfs pipeline against radosgw ({listed:,} objects, {seed.get('pdfs', 0):,} PDFs; "
             f"median of {max(r['runs'] for r in rows.values())} runs)", "",
             "| client | wall s (min-max) | client CPU s (min-max) | CPU us/key | peak RSS MiB | keys/s | "
             "CPU/key vs s3co | wall vs s3co |",
             "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |"]
    for label, _ in PIPELINE_PEERS:
        r = rows.get(label)
        if not r:
            continue
        name = r["name"] + (f" {r['version']}" if r["version"] else "")
        cpu_ratio = f"{r['cpu_s'] / base['cpu_s']:,.1f}x" if base and label != "s3co" else "1x"
        wall_ratio = f"{r['wall_s'] / base['wall_s']:,.1f}x" if base and label != "s3co" else "1x"
        lines.append(f"| {name} | {r['wall_s']:.3f} ({r['wall_min_s']:.3f}-{r['wall_max_s']:.3f}) | "
                     f"{r['cpu_s']:.3f} ({r['cpu_min_s']:.3f}-{r['cpu_max_s']:.3f}) | {r['cpu_us_per_key']:,.1f} | "
                     f"{r['max_rss_mib']:,.1f} | {r['keys_per_second']:,.0f} | {cpu_ratio} | {wall_ratio} |")
    lines.append("")
    lines.append("keys/s: objects listed / wall time. CPU: user+sys of the client process alone (os.wait4); "
                 "radosgw's own CPU is not counted but shares the 2 cores. The ratios are peer/s3co.")
    if check:
        verdict = "identical" if check.get("same") else "DIFFERENT"
        lines.append(f"Manifest check: {check.get('manifests', '?')} manifests fetched through their presigned URLs, "
                     f"key lists {verdict} ({check.get('keys', '?'):,} keys each).")
    lines.append("")
    return lines


def replay_section(folder, results):
    """s3co's sign_pdfs against benchmarks/replay_server: client-bound throughput and memory."""
    path = os.path.join(folder, "pipeline_replay.jsonl")
    if not os.path.exists(path):
        return []
    runs = load_lines(path)
    rows = []
    for keys in sorted({r["keys"] for r in runs}):
        mine = [r for r in runs if r["keys"] == keys and r["exit_status"] == 0]
        if not mine:
            continue
        wall = median([r["wall_s"] for r in mine])
        cpu = median([r["cpu_s"] for r in mine])
        rows.append({"keys": keys, "runs": len(mine), "pdfs": mine[0]["result"]["count"],
                     "manifest_bytes": mine[0]["server"]["bytes_received"],  # the first run: one upload
                     "pages": mine[0]["result"]["pages"], "wall_s": wall, "cpu_s": cpu,
                     "keys_per_second": keys / wall, "cpu_us_per_key": cpu / keys * 1e6,
                     "max_rss_mib": median([r["max_rss_kib"] / 1024 for r in mine]),
                     "max_rss_mib_max": max(r["max_rss_kib"] / 1024 for r in mine)})
    if not rows:
        return []
    smallest = rows[0]
    largest = rows[-1]
    median_ratio = largest["max_rss_mib"] / smallest["max_rss_mib"]
    worst_ratio = largest["max_rss_mib_max"] / smallest["max_rss_mib"]
    results["pipeline_replay"] = {"rows": rows, "rss_ratio_median": median_ratio, "rss_ratio_worst_run": worst_ratio,
                                  "rss_within_2x": worst_ratio <= 2}
    lines = ["### sign_pdfs (s3co) against the in-memory replay server (client-bound; median of "
             f"{rows[0]['runs']} runs)", "",
             "| keys | PDFs | manifest MB | wall s | client CPU s | keys/s | CPU us/key | peak RSS MiB | RSS vs "
             f"{smallest['keys']:,} |",
             "| ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |"]
    for r in rows:
        lines.append(f"| {r['keys']:,} | {r['pdfs']:,} | {r['manifest_bytes'] / 1e6:,.1f} | {r['wall_s']:.3f} | "
                     f"{r['cpu_s']:.3f} | {r['keys_per_second']:,.0f} | {r['cpu_us_per_key']:.2f} | "
                     f"{r['max_rss_mib']:.1f} | {r['max_rss_mib'] / smallest['max_rss_mib']:.2f}x |")
    lines.append("")
    lines.append(f"Peak RSS at {largest['keys']:,} keys vs {smallest['keys']:,}: {median_ratio:.2f}x (medians), "
                 f"{worst_ratio:.2f}x (worst run, {largest['max_rss_mib_max']:.1f} MiB): "
                 + ("within" if worst_ratio <= 2 else "ABOVE" if median_ratio > 2 else "median within, worst run above")
                 + " the 2x bound.")
    lines.append("")
    return lines


def main():
    folder = sys.argv[1]
    results = {"date": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()), "machine": platform.machine(),
               "cpus": os.cpu_count()}
    lines = [f"## s3co benchmarks, {results['date']}, {os.cpu_count()} cores {platform.machine()}", ""]
    lines += presign_section(folder, results)
    lines += pipeline_section(folder, results)
    lines += replay_section(folder, results)
    lines += micro_section(folder, results)
    with open(os.path.join(folder, "results.json"), "w") as f:
        json.dump(results, f, indent=2)
    print("\n".join(lines))


if __name__ == "__main__":
    main()
