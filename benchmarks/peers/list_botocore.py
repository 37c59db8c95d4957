#!/usr/bin/env python3
"""List one prefix with botocore's list_objects_v2 paginator: the peer of
benchmarks/list_client.cpp at one chain.

usage: list_botocore.py --bucket B [--prefix P] [--page-size M]

Endpoint from AWS_ENDPOINT_URL_S3 or AWS_ENDPOINT_URL, credentials and region
from the environment. Keys are counted and checked to arrive in increasing
order. Prints one JSON line: {"lister","version","keys","pages","wall_ms",
"keys_per_s","cpu_ms","max_rss_kib","ordered"}; wall_ms and cpu_ms cover the
listing alone (not the imports), max_rss_kib is the process's peak.
"""
import argparse
import json
import os
import resource
import sys
import time

import botocore
import botocore.session
from botocore.config import Config


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--bucket", required=True)
    ap.add_argument("--prefix", default="")
    ap.add_argument("--page-size", type=int, default=1000)
    args = ap.parse_args()
    session = botocore.session.Session()
    client = session.create_client(
        "s3",
        region_name=os.environ.get("AWS_REGION") or os.environ.get("AWS_DEFAULT_REGION") or "us-east-1",
        endpoint_url=os.environ.get("AWS_ENDPOINT_URL_S3") or os.environ.get("AWS_ENDPOINT_URL"),
        config=Config(signature_version="s3v4", s3={"addressing_style": "path"}, retries={"mode": "standard"}),
    )
    cpu_before = time.process_time()
    started = time.perf_counter()
    keys = pages = 0
    last = None
    ordered = True
    paginator = client.get_paginator("list_objects_v2")
    for page in paginator.paginate(Bucket=args.bucket, Prefix=args.prefix,
                                   PaginationConfig={"PageSize": args.page_size}):
        pages += 1
        for item in page.get("Contents", ()):
            key = item["Key"].encode("utf-8")
            if last is not None and not last < key:
                ordered = False
            last = key
            keys += 1
    wall_ms = (time.perf_counter() - started) * 1e3
    cpu_ms = (time.process_time() - cpu_before) * 1e3
    print(json.dumps({"lister": "botocore", "version": botocore.__version__, "chains": 1, "keys": keys,
                      "pages": pages, "wall_ms": round(wall_ms, 1),
                      "keys_per_s": round(keys * 1e3 / wall_ms) if wall_ms else 0, "cpu_ms": round(cpu_ms, 1),
                      "max_rss_kib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss, "requests": pages,
                      "ordered": ordered}))
    return 0 if ordered else 1


if __name__ == "__main__":
    sys.exit(main())
