#!/usr/bin/env python3
"""Signs requests with botocore, the reference client, at a frozen time.

Reads one JSON object per line on stdin and writes one line per request:
  {"kind": "presign", "access_key", "secret_key", "token", "region",
   "endpoint" (URL or null for AWS), "addressing" ("auto"|"path"|"virtual"),
   "bucket", "key_hex" (UTF-8 bytes in hex), "expires", "at" (YYYYMMDDTHHMMSSZ),
   "method" ("GET"|"PUT")}                     -> the presigned URL
  {"kind": "header", "access_key", "secret_key", "token", "region", "url",
   "method", "headers": [[name, value], ...], "body_hex", "unsigned_payload",
   "at"}                                        -> the Authorization header
The first line written is "botocore <version>".
"""
import datetime
import json
import sys
import types

import botocore
import botocore.auth
import botocore.awsrequest
import botocore.config
import botocore.credentials
import botocore.session

frozen = [datetime.datetime(2013, 5, 24)]


class FrozenDatetime(datetime.datetime):
    @classmethod
    def utcnow(cls):
        return frozen[0]

    @classmethod
    def now(cls, tz=None):
        return frozen[0].replace(tzinfo=tz) if tz else frozen[0]


# Newer botocore reads the clock through get_current_datetime, older through
# datetime.datetime.utcnow(); freeze both.
if hasattr(botocore.auth, "get_current_datetime"):
    botocore.auth.get_current_datetime = lambda *args, **kwargs: frozen[0]


botocore.auth.datetime = types.SimpleNamespace(datetime=FrozenDatetime, timezone=datetime.timezone,
                                               timedelta=datetime.timedelta)

# With awscrt installed, older botocore signs through the CRT, which reads its
# own clock: use botocore's Python signers, the reference.
botocore.auth.AUTH_TYPE_MAPS.update({"s3v4": botocore.auth.S3SigV4Auth, "s3v4-query": botocore.auth.S3SigV4QueryAuth})

session = botocore.session.get_session()
clients = {}


def client_for(request):
    addressing = request.get("addressing", "auto")
    identity = (request["access_key"], request["secret_key"], request.get("token"), request["region"],
                request.get("endpoint"), addressing)
    if identity not in clients:
        config = botocore.config.Config(signature_version="s3v4", s3={"addressing_style": addressing})
        clients[identity] = session.create_client(
            "s3", region_name=request["region"], endpoint_url=request.get("endpoint"),
            aws_access_key_id=request["access_key"], aws_secret_access_key=request["secret_key"],
            aws_session_token=request.get("token") or None, config=config)
    return clients[identity]


def presign(request):
    operation = {"GET": "get_object", "PUT": "put_object"}[request["method"]]
    key = bytes.fromhex(request["key_hex"]).decode("utf-8")
    return client_for(request).generate_presigned_url(
        operation, Params={"Bucket": request["bucket"], "Key": key}, ExpiresIn=request["expires"])


def header_authorization(request):
    credentials = botocore.credentials.Credentials(request["access_key"], request["secret_key"],
                                                   request.get("token") or None)
    http_request = botocore.awsrequest.AWSRequest(method=request["method"], url=request["url"],
                                                  headers=dict(request["headers"]),
                                                  data=bytes.fromhex(request.get("body_hex", "")))
    if request.get("unsigned_payload"):
        http_request.context["client_config"] = botocore.config.Config(s3={"payload_signing_enabled": False})
    botocore.auth.S3SigV4Auth(credentials, "s3", request["region"]).add_auth(http_request)
    return http_request.headers["Authorization"]


def main():
    out = sys.stdout
    out.write(f"botocore {botocore.__version__}\n")
    for line in sys.stdin:
        if not line.strip():
            continue
        request = json.loads(line)
        frozen[0] = datetime.datetime.strptime(request["at"], "%Y%m%dT%H%M%SZ")
        if request["kind"] == "presign":
            out.write(presign(request) + "\n")
        else:
            out.write(header_authorization(request) + "\n")
    out.flush()


if __name__ == "__main__":
    main()
