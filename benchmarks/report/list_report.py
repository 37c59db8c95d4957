#!/usr/bin/env python3
"""Collects what `scripts/bench list` measured in DIR (list_runs.jsonl) into
DIR/list.json, draws DIR/list_wall.svg with gnuplot (wall time against
chains, one line per server and delay) and prints Markdown tables and the targets' verdicts.

usage: list_report.py DIR

Each run is one line of measure.py's output plus server, delay_ms, tool,
chains, keys_expected and round; several rounds of one case are reduced to
their medians. For list_client and the peers the wall time and CPU are the
listing's own (the program measures them around the listing); for sign_pdfs
they are the process's (measure.py), the whole job.
"""
import json
import os
import platform
import shutil
import subprocess
import sys
import time

TOOLS = ["s3co_sequential", "s3co_list", "sign_pdfs", "botocore", "aws_sdk_js_v3"]
TOOL_NAMES = {"s3co_sequential": "s3co list_paginator", "s3co_list": "s3co parallel_lister",
              "sign_pdfs": "sign_pdfs (whole job)", "botocore": "botocore paginator",
              "aws_sdk_js_v3": "JS SDK v3 paginateListObjectsV2"}


def median(values):
    values = sorted(values)
    middle = len(values) // 2
    return values[middle] if len(values) % 2 else (values[middle - 1] + values[middle]) / 2


def summarize(runs):
    """One row per (server, delay, tool, chains): medians over the rounds."""
    cases = {}
    for run in runs:
        cases.setdefault((run["server"], run["delay_ms"], run["tool"], run["chains"]), []).append(run)
    rows = []
    for (server, delay, tool, chains), group in cases.items():
        ok = [r for r in group if r["exit_status"] == 0 and r.get("result")]
        row = {"server": server, "delay_ms": delay, "tool": tool, "chains": chains, "rounds": len(group),
               "failed_rounds": len(group) - len(ok), "keys_expected": group[0]["keys_expected"]}
        if ok:
            result = ok[len(ok) // 2]["result"]
            if tool == "sign_pdfs":
                keys = result.get("keys_listed", group[0]["keys_expected"])
                wall_s = median([r["wall_s"] for r in ok])
                cpu_s = median([r["cpu_s"] for r in ok])
                row.update(pdfs=result.get("count"), pages=result.get("pages"))
            else:
                keys = result["keys"]
                wall_s = median([r["result"]["wall_ms"] for r in ok]) / 1e3
                cpu_s = median([r["result"]["cpu_ms"] for r in ok]) / 1e3
                for field in ("requests", "chains_started", "empty_ranges", "keys_dropped", "keys_fnv1a", "ordered",
                              "pages", "version"):
                    if field in result:
                        row[field] = result[field]
            row.update(keys=keys, wall_s=wall_s, cpu_s=cpu_s, process_cpu_s=median([r["cpu_s"] for r in ok]),
                       keys_per_s=keys / wall_s if wall_s else 0, cpu_us_per_key=cpu_s / keys * 1e6 if keys else 0,
                       max_rss_mib=median([r["max_rss_kib"] / 1024 for r in ok]),
                       loadavg=median([r.get("loadavg", 0) for r in ok]))
        rows.append(row)
    order = {tool: i for i, tool in enumerate(TOOLS)}
    rows.sort(key=lambda r: (r["server"] != "radosgw", r["delay_ms"], order.get(r["tool"], 99), r["chains"]))
    return rows


def find(rows, server, delay, tool, chains):
    for r in rows:
        if (r["server"], r["delay_ms"], r["tool"], r["chains"]) == (server, delay, tool, chains) and "wall_s" in r:
            return r
    return None


def check(rows):
    """Every listing at every K is the sequential one: same count, same hash, in order."""
    problems = []
    for r in rows:
        if r.get("failed_rounds"):
            problems.append(f"{r['server']} {r['delay_ms']} ms {r['tool']} K={r['chains']}: "
                            f"{r['failed_rounds']} failed round(s)")
        if "keys" in r and r["keys"] != r["keys_expected"]:
            problems.append(f"{r['server']} {r['delay_ms']} ms {r['tool']} K={r['chains']}: "
                            f"{r['keys']} keys, not {r['keys_expected']}")
        if r.get("ordered") is False:
            problems.append(f"{r['server']} {r['delay_ms']} ms {r['tool']} K={r['chains']}: out of order")
        reference = find(rows, r["server"], r["delay_ms"], "s3co_sequential", 1)
        if r["tool"] == "s3co_list" and reference and r.get("keys_fnv1a") != reference.get("keys_fnv1a"):
            problems.append(f"{r['server']} {r['delay_ms']} ms K={r['chains']}: other keys than the sequential listing")
    return problems


def targets(rows, chains):
    top, one = max(chains), min(chains)
    verdicts = []

    def speedup(server, delay, need, what):
        a, b = find(rows, server, delay, "s3co_list", one), find(rows, server, delay, "s3co_list", top)
        if not (a and b):
            return
        ratio = a["wall_s"] / b["wall_s"]
        verdicts.append({"target": what, "server": server, "delay_ms": delay, "value": ratio, "need": need,
                         "met": ratio >= need,
                         "detail": f"K={one} {a['wall_s']:.2f} s, K={top} {b['wall_s']:.2f} s: {ratio:.2f}x"})

    for server in sorted({r["server"] for r in rows}):
        speedup(server, 100, 10, f"100 ms a page: K={top} at least 10x faster than K={one}")
    speedup("radosgw", 0, 1.5, f"radosgw here: K={top} at least 1.5x faster than K={one}")
    for server in sorted({r["server"] for r in rows}):
        for delay in sorted({r["delay_ms"] for r in rows if r["server"] == server}):
            seq, par, low = (find(rows, server, delay, "s3co_sequential", 1), find(rows, server, delay, "s3co_list", top),
                             find(rows, server, delay, "s3co_list", one))
            if seq and par:
                ratio = par["cpu_us_per_key"] / seq["cpu_us_per_key"]
                verdicts.append({"target": f"CPU per key at K={top} at most 1.2x the sequential lister's",
                                 "server": server, "delay_ms": delay, "value": ratio, "need": 1.2, "met": ratio <= 1.2,
                                 "detail": f"{par['cpu_us_per_key']:.2f} vs {seq['cpu_us_per_key']:.2f} us/key: "
                                           f"{ratio:.2f}x"})
            if low and par:
                ratio = par["max_rss_mib"] / low["max_rss_mib"]
                verdicts.append({"target": f"peak RSS at K={top} at most 2x that at K={one}", "server": server,
                                 "delay_ms": delay, "value": ratio, "need": 2, "met": ratio <= 2,
                                 "detail": f"{par['max_rss_mib']:.1f} vs {low['max_rss_mib']:.1f} MiB: {ratio:.2f}x"})
    return verdicts


def gnuplot_plot(rows, path):
    """Wall time (log) against chains (log2) for s3co parallel_lister and sign_pdfs, one colour per
    server/delay, drawn by gnuplot into an SVG; False when there is nothing to draw or no gnuplot."""
    series = {}
    for r in rows:
        if r["tool"] in ("s3co_list", "sign_pdfs") and "wall_s" in r:
            series.setdefault((r["server"], r["delay_ms"], r["tool"]), []).append((r["chains"], r["wall_s"]))
    if not series or shutil.which("gnuplot") is None:
        return False
    keys = sorted({(s, d) for s, d, _ in series}, key=lambda p: (p[0] != "radosgw", p[1]))
    chains = sorted({k for points in series.values() for k, _ in points})
    script = ['set terminal svg size 900,620 dynamic enhanced font "sans,12" background rgb "white"',
              f'set output "{path}"',
              'set title "Listing wall time against chains K"',
              'set logscale x 2', 'set logscale y 10', 'set grid',
              'set xlabel "chains K"', 'set ylabel "wall time (s)"',
              "set xtics (" + ", ".join(f'"{k}" {k}' for k in chains) + ")",
              f"set xrange [{min(chains) * 0.9}:{max(chains) * 1.15}]",
              "set key below noenhanced"]
    plots = []
    for i, (server, delay) in enumerate(keys):
        keys_n = next(r["keys_expected"] for r in rows if r["server"] == server)
        for tool, dash in (("s3co_list", 1), ("sign_pdfs", 2)):
            points = sorted(series.get((server, delay, tool), []))
            if not points:
                continue
            block = f"$s{len(plots)}"
            script.append(f"{block} << EOD")
            script += [f"{k} {w}" for k, w in points]
            script.append("EOD")
            what = "list only" if tool == "s3co_list" else "sign_pdfs"
            plots.append(f'{block} using 1:2 with linespoints linecolor {i + 1} dashtype {dash} pointtype 7 '
                         f'linewidth 2 title "{server} ({keys_n:,} keys), {delay} ms, {what}"')
    script.append("plot " + ", \\\n     ".join(plots))
    done = subprocess.run(["gnuplot"], input="\n".join(script) + "\n", text=True, capture_output=True)
    if done.returncode != 0:
        print(f"list_report: gnuplot failed: {done.stderr.strip()}", file=sys.stderr)
        return False
    return True


def table(rows, server, delay):
    mine = [r for r in rows if r["server"] == server and r["delay_ms"] == delay]
    if not mine:
        return []
    base = find(rows, server, delay, "s3co_list", min(r["chains"] for r in mine if r["tool"] == "s3co_list")) \
        if any(r["tool"] == "s3co_list" for r in mine) else None
    where = "directly" if delay == 0 else f"behind latency_proxy, {delay} ms a response"
    lines = [f"#### {server} ({mine[0]['keys_expected']:,} keys), {where}", "",
             "| client | K | keys | wall s | vs K=1 | keys/s | CPU s | CPU us/key | peak RSS MiB | requests | "
             "ranges | empty | dropped keys |",
             "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |"]
    for r in mine:
        if "wall_s" not in r:
            lines.append(f"| {TOOL_NAMES.get(r['tool'], r['tool'])} | {r['chains']} | failed | | | | | | | | | | |")
            continue
        vs = f"{base['wall_s'] / r['wall_s']:.2f}x" if base and r["tool"] in ("s3co_list", "sign_pdfs") else ""
        if r["tool"] == "sign_pdfs":
            ref = find(rows, server, delay, "sign_pdfs", base["chains"]) if base else None
            vs = f"{ref['wall_s'] / r['wall_s']:.2f}x" if ref else ""
        lines.append(f"| {TOOL_NAMES.get(r['tool'], r['tool'])} | {r['chains']} | {r['keys']:,} | {r['wall_s']:.2f} | "
                     f"{vs} | {r['keys_per_s']:,.0f} | {r['cpu_s']:.2f} | {r['cpu_us_per_key']:.2f} | "
                     f"{r['max_rss_mib']:.1f} | {r.get('requests', r.get('pages', '')) or ''} | "
                     f"{r.get('chains_started', '')} | {r.get('empty_ranges', '')} | {r.get('keys_dropped', '')} |")
    lines.append("")
    return lines


def main():
    folder = sys.argv[1]
    with open(os.path.join(folder, "list_runs.jsonl")) as f:
        runs = [json.loads(line) for line in f if line.strip()]
    rows = summarize(runs)
    chains = sorted({r["chains"] for r in rows if r["tool"] == "s3co_list"}) or [1]
    problems = check(rows)
    verdicts = targets(rows, chains)
    plotted = gnuplot_plot(rows, os.path.join(folder, "list_wall.svg"))
    results = {"date": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()), "machine": platform.machine(),
               "cpus": os.cpu_count(), "rows": rows, "targets": verdicts, "problems": problems,
               "plot": "list_wall.svg" if plotted else None}
    with open(os.path.join(folder, "list.json"), "w") as f:
        json.dump(results, f, indent=2)
    lines = [f"### Parallel listing, {results['date']}, {os.cpu_count()} cores {platform.machine()}", ""]
    for server in ("radosgw", "replay"):
        for delay in sorted({r["delay_ms"] for r in rows if r["server"] == server}):
            lines += table(rows, server, delay)
    lines += ["| target | where | measured | met |", "| --- | --- | --- | --- |"]
    for v in verdicts:
        where = f"{v['server']}, {'direct' if v['delay_ms'] == 0 else str(v['delay_ms']) + ' ms'}"
        lines.append(f"| {v['target']} | {where} | {v['detail']} | {'yes' if v['met'] else 'NO'} |")
    lines.append("")
    lines.append("Every listing checked against the sequential one: "
                 + ("same keys, in order." if not problems else "PROBLEMS: " + "; ".join(problems)))
    print("\n".join(lines))
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
