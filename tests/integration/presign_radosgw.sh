#!/usr/bin/env bash
# Presigned URLs against radosgw, which verifies SigV4: objects with tricky
# keys uploaded with awscli, presigned by build/examples/presign, fetched with
# curl: 200 and the right bytes; a changed signature and an expired URL are
# refused with 403.
# usage: presign_radosgw.sh PRESIGN_BINARY S3_SERVER_ENV_FILE
set -euo pipefail
presign=$1
source "$2"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
bucket="presign-test-$RANDOM$RANDOM"
aws_s3api() { aws --endpoint-url "$AWS_ENDPOINT_URL" s3api "$@"; }
fail() { echo "FAIL: $*" >&2; exit 1; }

aws_s3api create-bucket --bucket "$bucket" >/dev/null

long_key="long/$(printf 'é%.0s' {1..400})$(printf 'x%.0s' {1..219})"  # 1024 bytes
keys=(
  "plain.pdf" "with space.pdf" "plus+sign.pdf" "tilde~key" "percent%20literal" "per%cent"
  "sub;delims=&@:,\$!'" "star*(paren)[bracket]" "double//slash" "dot/./segment" "dotdot/../segment"
  $'tab\tkey' "é-two-byte" "€-three-byte" "😀-four-byte" "日本語/ファイル.pdf" "/leading-slash" "$long_key"
)
[[ ${#long_key} -gt 0 && $(printf '%s' "$long_key" | wc -c) -eq 1024 ]] || fail "long key is not 1024 bytes"

# Upload each key with its own content, in parallel (awscli starts slowly).
for i in "${!keys[@]}"; do
  printf 'object %d: %s\n' "$i" "${keys[$i]}" > "$work/body.$i"
done
for i in "${!keys[@]}"; do
  aws_s3api put-object --bucket "$bucket" --key "${keys[$i]}" --body "$work/body.$i" >/dev/null &
  if (( i % 6 == 5 )); then wait; fi
done
wait

printf '%s\n' "${keys[@]}" | "$presign" --bucket "$bucket" --expires-in 600 > "$work/urls"
mapfile -t urls < "$work/urls"
(( ${#urls[@]} == ${#keys[@]} )) || fail "expected ${#keys[@]} URLs, got ${#urls[@]}"

for i in "${!keys[@]}"; do
  status=$(curl -sS -o "$work/got.$i" -w '%{http_code}' --path-as-is "${urls[$i]}")
  [[ "$status" == 200 ]] || fail "GET ${keys[$i]} -> $status: $(cat "$work/got.$i")"
  cmp -s "$work/got.$i" "$work/body.$i" || fail "GET ${keys[$i]}: wrong bytes"
done
echo "ok: ${#keys[@]} presigned URLs fetched with the right bytes"

# A changed signature is refused.
url=${urls[0]}
last=${url: -1}
[[ "$last" == 0 ]] && other=1 || other=0
status=$(curl -sS -o "$work/tampered" -w '%{http_code}' "${url%?}$other")
[[ "$status" == 403 ]] || fail "tampered signature -> $status"
grep -q SignatureDoesNotMatch "$work/tampered" || fail "tampered signature: $(cat "$work/tampered")"
echo "ok: a changed signature gives 403 SignatureDoesNotMatch"

# A different key under the same signature is refused too.
status=$(curl -sS -o /dev/null -w '%{http_code}' "${url/plain.pdf/plain.PDF}")
[[ "$status" == 403 ]] || fail "signature reused for another key -> $status"

# An expired URL is refused.
expiring=$("$presign" --bucket "$bucket" --expires-in 1 plain.pdf)
sleep 3
status=$(curl -sS -o "$work/expired" -w '%{http_code}' "$expiring")
[[ "$status" == 403 ]] || fail "expired URL -> $status"
echo "ok: an expired URL gives 403 ($(grep -o '<Code>[^<]*' "$work/expired" | cut -c7-))"

# A URL dated in the future (--at) with a short expiry is not yet valid on AWS
# but radosgw only checks expiry; a URL dated long ago has expired.
old=$("$presign" --bucket "$bucket" --expires-in 60 --at 20200101T000000Z plain.pdf)
status=$(curl -sS -o /dev/null -w '%{http_code}' "$old")
[[ "$status" == 403 ]] || fail "URL from 2020 -> $status"
echo "ok: a URL signed in 2020 for 60 s gives 403"

# No keys in the environment: a credential_process profile supplies them
# (the chain in its blocking form), and radosgw accepts what they sign.
cat > "$work/helper" <<HELPER
printf '{"Version":1,"AccessKeyId":"%s","SecretAccessKey":"%s","Expiration":"%s"}' \
  '$AWS_ACCESS_KEY_ID' '$AWS_SECRET_ACCESS_KEY' "\$(date -u -d '+1 hour' +%Y-%m-%dT%H:%M:%SZ)"
HELPER
printf '[profile helper]\ncredential_process = sh %s\n' "$work/helper" > "$work/config"
from_process=$(env -u AWS_ACCESS_KEY_ID -u AWS_SECRET_ACCESS_KEY -u AWS_SESSION_TOKEN HOME=/nonexistent \
  AWS_EC2_METADATA_DISABLED=true AWS_CONFIG_FILE="$work/config" AWS_PROFILE=helper \
  "$presign" --bucket "$bucket" --expires-in 600 plain.pdf)
status=$(curl -sS -o "$work/from_process" -w '%{http_code}' "$from_process")
[[ "$status" == 200 ]] || fail "URL signed with credential_process credentials -> $status"
cmp -s "$work/from_process" "$work/body.0" || fail "credential_process URL: wrong bytes"
echo "ok: with no keys in the environment, a credential_process profile signs a URL radosgw accepts"
