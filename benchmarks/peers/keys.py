#!/usr/bin/env python3
"""Print N deterministic object keys (default 10000), one per line, UTF-8.

Mostly short ASCII keys like real log/report layouts, with a minority that
need percent-encoding (spaces, reserved characters, non-ASCII) so the
benchmark exercises the URI-encoding path too.
"""
import sys

STEMS = ["report", "invoice", "backup", "photo", "log", "export"]
EXTS = ["pdf", "csv", "tar.gz", "jpg", "json", "txt"]
ODD = ["Quarterly Report", "café menu", "données+brutes", "日本語 ファイル", "a&b=c", "naïve résumé"]


def key(i: int) -> str:
    year, month = 2020 + i % 7, 1 + (i // 7) % 12
    if i % 10 == 9:  # every tenth key needs escaping
        return f"{year}/{month:02d}/{ODD[(i // 10) % len(ODD)]} {i:06d}.{EXTS[i % len(EXTS)]}"
    return f"{year}/{month:02d}/{STEMS[i % len(STEMS)]}-{i:06d}.{EXTS[i % len(EXTS)]}"


def main() -> None:
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 10000
    out = sys.stdout.buffer  # explicit UTF-8 regardless of locale
    for i in range(n):
        out.write(key(i).encode("utf-8") + b"\n")


if __name__ == "__main__":
    main()
