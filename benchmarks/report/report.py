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


def main():
    folder = sys.argv[1]
    results = {"date": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()), "machine": platform.machine(),
               "cpus": os.cpu_count()}
    lines = [f"## s3co benchmarks, {results['date']}, {os.cpu_count()} cores {platform.machine()}", ""]
    lines += presign_section(folder, results)
    lines += micro_section(folder, results)
    with open(os.path.join(folder, "results.json"), "w") as f:
        json.dump(results, f, indent=2)
    print("\n".join(lines))


if __name__ == "__main__":
    main()
