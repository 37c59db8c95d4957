#!/usr/bin/env python3
"""Seed a bucket for the pipeline benchmark: N small objects under a prefix.

usage: seed_s3.py --bucket B --prefix P N [--threads T]

About 90 % of the keys end in .pdf (one in 50 of them as .PDF), the rest in
.csv, .txt or .json; one key in 20 needs percent-encoding (space, +, &, %,
non-ASCII). Keys are deterministic. The bucket is created when missing;
PutObjects run on T threads (default 16) sharing one botocore client.
Endpoint from AWS_ENDPOINT_URL, credentials from the environment. Prints
{"objects":N,"pdfs":M,"seconds":S}.
"""
import argparse
import concurrent.futures
import json
import os
import time

import botocore.session
from botocore.config import Config
from botocore.exceptions import ClientError

ODD = ["Quarterly Report", "café menu", "données+brutes", "a&b=c", "100% done", "日本語 ファイル"]


def key(prefix: str, i: int) -> str:
    year, month = 2020 + i % 7, 1 + (i // 7) % 12
    if i % 10 == 9:
        ext = ["csv", "txt", "json"][(i // 10) % 3]
    else:
        ext = "PDF" if i % 50 == 0 else "pdf"
    stem = f"{ODD[(i // 20) % len(ODD)]} {i:07d}" if i % 20 == 7 else f"invoice-{i:07d}"
    return f"{prefix}{year}/{month:02d}/{stem}.{ext}"


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("count", type=int)
    ap.add_argument("--bucket", required=True)
    ap.add_argument("--prefix", default="")
    ap.add_argument("--threads", type=int, default=16)
    args = ap.parse_args()

    session = botocore.session.Session()
    client = session.create_client(
        "s3", region_name=os.environ.get("AWS_REGION", "us-east-1"), endpoint_url=os.environ.get("AWS_ENDPOINT_URL"),
        config=Config(signature_version="s3v4", s3={"addressing_style": "path"},
                      max_pool_connections=args.threads, retries={"mode": "standard", "max_attempts": 5}))
    try:
        client.create_bucket(Bucket=args.bucket)
    except ClientError as error:
        if error.response["Error"]["Code"] not in ("BucketAlreadyOwnedByYou", "BucketAlreadyExists"):
            raise
    keys = [key(args.prefix, i) for i in range(args.count)]
    started = time.perf_counter()
    body = b"%PDF-1.4\n%s3co bench\n"

    def put(k):
        client.put_object(Bucket=args.bucket, Key=k, Body=body)

    with concurrent.futures.ThreadPoolExecutor(max_workers=args.threads) as pool:
        for _ in pool.map(put, keys, chunksize=64):
            pass
    print(json.dumps({"objects": len(keys), "pdfs": sum(k.lower().endswith(".pdf") for k in keys),
                      "seconds": round(time.perf_counter() - started, 2)}))


if __name__ == "__main__":
    main()
