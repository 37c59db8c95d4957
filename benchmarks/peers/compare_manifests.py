#!/usr/bin/env python3
"""Check that sign_pdfs runs produced manifests listing the same keys.

usage: compare_manifests.py RESULT.json [RESULT.json ...]

Each file holds one measure.py line whose "result" carries a manifest_url.
Every manifest is downloaded through its presigned URL; each line must be a
JSON object with "key" and "url", the count must match the result's count,
the first and last URL of each manifest must fetch the object (HTTP 200),
and the key lists (in order) must be identical across all files. Prints
{"manifests":N,"keys":K,"same":true} and exits 0, or names the difference
and exits 1.
"""
import json
import sys
import urllib.error
import urllib.request


def manifest_keys(path):
    with open(path) as f:
        run = json.loads(f.read().strip().splitlines()[-1])
    result = run["result"]
    with urllib.request.urlopen(result["manifest_url"], timeout=60) as response:
        body = response.read()
    keys = []
    for line in body.decode("utf-8").splitlines():
        record = json.loads(line)
        if not record.get("url", "").startswith("http"):
            sys.exit(f"{path}: a line has no URL: {line[:200]}")
        keys.append(record["key"])
    if len(keys) != result["count"]:
        sys.exit(f"{path}: manifest has {len(keys)} lines, result says {result['count']}")
    lines = body.decode("utf-8").splitlines()
    for line in (lines[0], lines[-1]) if lines else ():
        url = json.loads(line)["url"]
        try:
            with urllib.request.urlopen(url, timeout=60) as response:
                response.read()
        except urllib.error.HTTPError as error:
            sys.exit(f"{path}: {url} answers HTTP {error.code}")
    return keys


def main() -> int:
    lists = [(path, manifest_keys(path)) for path in sys.argv[1:]]
    first_path, first = lists[0]
    for path, keys in lists[1:]:
        if keys != first:
            missing = set(first) - set(keys)
            extra = set(keys) - set(first)
            print(json.dumps({"same": False, "a": first_path, "b": path, "a_keys": len(first), "b_keys": len(keys),
                              "only_in_a": sorted(missing)[:5], "only_in_b": sorted(extra)[:5],
                              "order_differs": not missing and not extra}))
            return 1
    print(json.dumps({"manifests": len(lists), "keys": len(first), "same": True}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
