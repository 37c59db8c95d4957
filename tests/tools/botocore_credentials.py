#!/usr/bin/env python3
"""Fetches credentials with botocore's own providers from the local stand-ins
(tests/support/credential_servers.hpp) and prints them as one JSON line:
{"access_key", "secret_key", "token", "expiry"} (expiry as ISO 8601 UTC).

  botocore_credentials.py imds URL
  botocore_credentials.py container FULL_URI TOKEN
  botocore_credentials.py web-identity STS_URL ROLE_ARN SESSION_NAME TOKEN_FILE

botocore does the talking (token PUT, headers, JSON or XML); this script only
points it at the server and reports what it got.
"""
import datetime
import json
import sys

import botocore.session
from botocore import UNSIGNED
from botocore.config import Config
from botocore.credentials import (AssumeRoleWithWebIdentityCredentialFetcher, ContainerProvider,
                                  InstanceMetadataProvider)
from botocore.utils import FileWebIdentityTokenLoader, InstanceMetadataFetcher


def report(access_key, secret_key, token, expiry):
    if isinstance(expiry, str):  # botocore hands some providers' Expiration on as text
        expiry = datetime.datetime.fromisoformat(expiry.replace('Z', '+00:00'))
    expiry = expiry.astimezone(datetime.timezone.utc).strftime('%Y-%m-%dT%H:%M:%SZ')
    print(json.dumps({'access_key': access_key, 'secret_key': secret_key, 'token': token, 'expiry': expiry}))


def main(mode, *args):
    if mode == 'imds':
        fetcher = InstanceMetadataFetcher(timeout=2, num_attempts=2, env={},
                                          config={'ec2_metadata_service_endpoint': args[0]})
        creds = InstanceMetadataProvider(iam_role_fetcher=fetcher).load()
        if creds is None:
            sys.exit('botocore found no instance metadata credentials')
        frozen = creds.get_frozen_credentials()
        report(frozen.access_key, frozen.secret_key, frozen.token, creds._expiry_time)
    elif mode == 'container':
        creds = ContainerProvider(environ={'AWS_CONTAINER_CREDENTIALS_FULL_URI': args[0],
                                           'AWS_CONTAINER_AUTHORIZATION_TOKEN': args[1]}).load()
        frozen = creds.get_frozen_credentials()
        report(frozen.access_key, frozen.secret_key, frozen.token, creds._expiry_time)
    elif mode == 'web-identity':
        sts_url, role_arn, session_name, token_file = args
        session = botocore.session.Session()

        def client_creator(service, **kwargs):
            kwargs.update(endpoint_url=sts_url, region_name='us-west-2',
                          config=Config(signature_version=UNSIGNED, retries={'max_attempts': 1}))
            return session.create_client(service, **kwargs)

        fetcher = AssumeRoleWithWebIdentityCredentialFetcher(
            client_creator=client_creator, web_identity_token_loader=FileWebIdentityTokenLoader(token_file),
            role_arn=role_arn, extra_args={'RoleSessionName': session_name})
        answer = fetcher.fetch_credentials()
        report(answer['access_key'], answer['secret_key'], answer['token'], answer['expiry_time'])
    else:
        sys.exit('unknown mode ' + mode)


if __name__ == '__main__':
    main(*sys.argv[1:])
