#!/usr/bin/env python3
"""Run one command and report what it cost, as one JSON line on stdout.

usage: measure.py [--label L] [--stdout FILE] [--stderr FILE] -- COMMAND [ARG...]

Reports wall time, the CPU time (user + sys) and the peak RSS of that child
process alone (os.wait4 on its pid: the rusage of the child and of the
children it waited for, not of this script nor of servers started before),
its exit status and, when the command printed a JSON object on its last
stdout line, that object as "result". The command's stdout goes to FILE
(default: kept in memory only), its stderr to FILE (default: inherited).
"""
import argparse
import json
import os
import subprocess
import sys
import time


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--label", default="")
    ap.add_argument("--stdout", help="also write the command's stdout here")
    ap.add_argument("--stderr", help="write the command's stderr here (default: inherited)")
    ap.add_argument("command", nargs=argparse.REMAINDER)
    args = ap.parse_args()
    command = args.command[1:] if args.command[:1] == ["--"] else args.command
    if not command:
        ap.error("no command")

    err = open(args.stderr, "wb") if args.stderr else None
    started = time.perf_counter()
    child = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=err)
    out = child.stdout.read()
    _, status, usage = os.wait4(child.pid, 0)
    wall = time.perf_counter() - started
    child.returncode = os.waitstatus_to_exitcode(status)
    if err:
        err.close()
    if args.stdout:
        with open(args.stdout, "wb") as f:
            f.write(out)

    result = None
    lines = out.decode("utf-8", "replace").strip().splitlines()
    if lines:
        try:
            result = json.loads(lines[-1])
        except ValueError:
            result = None
    print(json.dumps({
        "label": args.label,
        "command": command,
        "exit_status": child.returncode,
        "wall_s": round(wall, 4),
        "user_s": round(usage.ru_utime, 4),
        "sys_s": round(usage.ru_stime, 4),
        "cpu_s": round(usage.ru_utime + usage.ru_stime, 4),
        "max_rss_kib": usage.ru_maxrss,  # Linux: KiB
        "result": result,
    }, ensure_ascii=False, separators=(",", ":")))
    return 0 if child.returncode == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
