#!/usr/bin/env python3
"""sign_pdfs with botocore: the peer of build/examples/sign_pdfs.

usage: sign_pdfs_botocore.py --bucket B [--prefix P] [--threads N]

Lists every key under --prefix with ListObjectsV2 (1,000 keys a page,
continuation tokens followed), keeps the keys ending in .pdf (any case),
presigns a GET URL for each (3600 s, path-style), writes a JSONL manifest
{"key":...,"url":...} in listing order, uploads it to manifests/<uuid>.jsonl
(one PutObject up to 8 MiB, multipart above), presigns the manifest and
prints {"count","errors","manifest_key","manifest_url","pages","duration_ms"}.

Endpoint from AWS_ENDPOINT_URL (botocore 1.29 does not read it itself),
credentials and region from the environment. Presigning of a page runs on a
thread pool while the next page is listed, as a Python user would do it.
Works with botocore 1.29 (Debian 12) and 1.43.
"""
import argparse
import concurrent.futures
import json
import os
import sys
import time
import uuid

import botocore
import botocore.session
from botocore.config import Config

EXPIRES = 3600
PAGE_SIZE = 1000
PART_SIZE = 8 * 1024 * 1024
SUFFIX = ".pdf"


def make_client():
    session = botocore.session.Session()
    region = os.environ.get("AWS_REGION") or os.environ.get("AWS_DEFAULT_REGION") or "us-east-1"
    endpoint = os.environ.get("AWS_ENDPOINT_URL_S3") or os.environ.get("AWS_ENDPOINT_URL")
    return session.create_client(
        "s3",
        region_name=region,
        endpoint_url=endpoint,
        config=Config(signature_version="s3v4", s3={"addressing_style": "path"},
                      max_pool_connections=16, retries={"mode": "standard"}),
    )


def presign_batch(client, bucket, keys):
    """The manifest lines of one page, joined; and how many keys failed."""
    lines = []
    errors = 0
    presign = client.generate_presigned_url
    for key in keys:
        try:
            url = presign("get_object", Params={"Bucket": bucket, "Key": key}, ExpiresIn=EXPIRES)
        except Exception:  # noqa: BLE001 - a key that cannot be presigned counts as an error
            errors += 1
            continue
        lines.append(json.dumps({"key": key, "url": url}, ensure_ascii=False, separators=(",", ":")))
    return ("\n".join(lines) + "\n" if lines else ""), len(lines), errors


def upload(client, bucket, key, body):
    """One PutObject when the manifest fits in a part; multipart otherwise."""
    if len(body) <= PART_SIZE:
        client.put_object(Bucket=bucket, Key=key, Body=body, ContentType="application/x-ndjson")
        return False
    upload_id = client.create_multipart_upload(Bucket=bucket, Key=key,
                                               ContentType="application/x-ndjson")["UploadId"]
    try:
        parts = []
        for number, offset in enumerate(range(0, len(body), PART_SIZE), start=1):
            part = client.upload_part(Bucket=bucket, Key=key, UploadId=upload_id, PartNumber=number,
                                      Body=body[offset:offset + PART_SIZE])
            parts.append({"PartNumber": number, "ETag": part.get("ETag", "")})
        client.complete_multipart_upload(Bucket=bucket, Key=key, UploadId=upload_id,
                                         MultipartUpload={"Parts": parts})
    except BaseException:
        client.abort_multipart_upload(Bucket=bucket, Key=key, UploadId=upload_id)
        raise
    return True


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--bucket", required=True)
    ap.add_argument("--prefix", default="")
    ap.add_argument("--threads", type=int, default=4, help="presigning threads (default 4)")
    args = ap.parse_args()

    started = time.perf_counter()
    client = make_client()
    manifest_key = f"manifests/{uuid.uuid4()}.jsonl"
    pages = 0
    keys_listed = 0
    futures = []
    with concurrent.futures.ThreadPoolExecutor(max_workers=args.threads) as pool:
        request = {"Bucket": args.bucket, "Prefix": args.prefix, "MaxKeys": PAGE_SIZE}
        while True:
            page = client.list_objects_v2(**request)
            pages += 1
            contents = page.get("Contents", [])
            keys_listed += len(contents)
            keys = [o["Key"] for o in contents if o["Key"].lower().endswith(SUFFIX)]
            if keys:
                futures.append(pool.submit(presign_batch, client, args.bucket, keys))
            if not page.get("IsTruncated"):
                break
            token = page.get("NextContinuationToken")
            if not token:
                raise RuntimeError("IsTruncated without NextContinuationToken")
            request["ContinuationToken"] = token
        count = errors = 0
        chunks = []
        for future in futures:  # listing order
            text, ok, failed = future.result()
            chunks.append(text)
            count += ok
            errors += failed
    body = "".join(chunks).encode("utf-8")
    multipart = upload(client, args.bucket, manifest_key, body)
    manifest_url = client.generate_presigned_url("get_object", Params={"Bucket": args.bucket, "Key": manifest_key},
                                                 ExpiresIn=EXPIRES)
    duration_ms = int((time.perf_counter() - started) * 1000)
    print(json.dumps({"count": count, "errors": errors, "manifest_key": manifest_key, "manifest_url": manifest_url,
                      "pages": pages, "duration_ms": duration_ms}, separators=(",", ":")))
    print(json.dumps({"event": "complete", "peer": "botocore", "version": botocore.__version__,
                      "keys_listed": keys_listed, "manifest_bytes": len(body), "manifest_multipart": multipart}),
          file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
