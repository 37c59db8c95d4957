#!/usr/bin/env python3
"""Presign GET URLs with botocore and report URLs/second (or print them).

usage: presign_botocore.py [KEYS_FILE] [--bucket B] [--session-token T] [--print]
                           [--date YYYYMMDDTHHMMSSZ] [--min-seconds S]

Keys are read one per line (UTF-8) from KEYS_FILE or stdin. Nothing here
touches the network: presigning is pure local computation.
"""
import argparse
import datetime
import importlib
import json
import sys
import time
import types

import botocore
import botocore.auth
import botocore.session
from botocore.compat import HAS_CRT
from botocore.config import Config

ACCESS_KEY = "AKIAIOSFODNN7EXAMPLE"
SECRET_KEY = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"
ENDPOINT = "http://127.0.0.1:7480"
EXPIRES = 3600
WARMUP = 200


def pin_clock(stamp: str) -> None:
    """Make botocore sign at a fixed time so URLs can be compared across SDKs."""
    fixed = datetime.datetime.strptime(stamp, "%Y%m%dT%H%M%SZ")

    class Frozen(datetime.datetime):
        @classmethod
        def utcnow(cls):
            return fixed

    # Newer botocore reads the clock via get_current_datetime(); older ones
    # (and the awscrt-backed signer) call datetime.datetime.utcnow() directly.
    shim = types.SimpleNamespace(**vars(datetime))
    shim.datetime = Frozen
    modules = [botocore.auth]
    if HAS_CRT:
        modules.append(importlib.import_module("botocore.crt.auth"))
    for mod in modules:
        if hasattr(mod, "get_current_datetime"):
            mod.get_current_datetime = lambda *a, **k: fixed
        mod.datetime = shim


def make_client(session_token):
    session = botocore.session.Session()
    return session.create_client(
        "s3",
        region_name="us-east-1",
        endpoint_url=ENDPOINT,
        aws_access_key_id=ACCESS_KEY,
        aws_secret_access_key=SECRET_KEY,
        aws_session_token=session_token,
        config=Config(signature_version="s3v4", s3={"addressing_style": "path"}),
    )


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("keys", nargs="?", help="file with one key per line (default: stdin)")
    ap.add_argument("--bucket", default="bench")
    ap.add_argument("--session-token")
    ap.add_argument("--print", action="store_true", help="print URLs instead of timing")
    ap.add_argument("--date", help="sign at this UTC time, e.g. 20260401T120000Z")
    ap.add_argument("--min-seconds", type=float, default=2.0)
    args = ap.parse_args()

    with (open(args.keys, "rb") if args.keys else sys.stdin.buffer) as f:
        keys = [line.decode("utf-8") for line in f.read().splitlines() if line]
    if not keys:
        sys.exit("no keys")
    if args.date:
        pin_clock(args.date)

    client = make_client(args.session_token)
    presign = client.generate_presigned_url

    def one(key):
        return presign("get_object", Params={"Bucket": args.bucket, "Key": key}, ExpiresIn=EXPIRES)

    if args.print:
        for key in keys:
            print(one(key))
        return

    # Warm-up pays for lazy model loading and handler caches outside the timed loop.
    for key in keys[:WARMUP]:
        one(key)

    # Whole passes over the key list until the time floor is reached, so every
    # key contributes equally to the figure.
    urls = 0
    start = time.perf_counter()
    while True:
        for key in keys:
            one(key)
        urls += len(keys)
        elapsed = time.perf_counter() - start
        if elapsed >= args.min_seconds:
            break

    print(json.dumps({
        "peer": "botocore",
        "version": botocore.__version__,
        # botocore swaps in a C signer when awscrt is importable; say which ran.
        "signer": "crt" if "crt" in botocore.auth.AUTH_TYPE_MAPS["s3v4-query"].__module__ else "python",
        "urls": urls,
        "seconds": round(elapsed, 4),
        "urls_per_second": round(urls / elapsed, 1),
    }, separators=(",", ":")))


if __name__ == "__main__":
    main()
