#!/usr/bin/env bash
# SHA-256 cost floor for one SigV4 presign, from OpenSSL's own SHA-256 speed.
#
# A presign is dominated by SHA-256 compression blocks: hashing the canonical
# request (~5 blocks for a short key) and HMAC over the ~130-byte
# string-to-sign with cached ipad/opad states (3 inner + 1 outer block):
# 9 blocks. No signer can beat 9 blocks at OpenSSL's raw block rate, which
# bulk hashing (16 KiB messages, so per-call overhead vanishes) measures.
set -euo pipefail

BLOCKS_PER_PRESIGN=9
SECONDS_PER_RUN="${SECONDS_PER_RUN:-1}"

# -mr: machine-readable "+F:<n>:sha256:<bytes per second>";
# -elapsed: wall-clock divisor, like the other peers (default is CPU user time).
line=$(openssl speed -evp sha256 -seconds "$SECONDS_PER_RUN" -bytes 16384 -elapsed -mr 2>/dev/null | grep '^+F:')
bytes_per_second=${line##*:}

awk -v bps="$bytes_per_second" -v n="$BLOCKS_PER_PRESIGN" -v ver="$(openssl version | awk '{print $2}')" 'BEGIN {
  blocks = bps / 64
  printf "{\"peer\":\"sha256-floor\",\"version\":\"openssl %s\",\"blocks_per_presign\":%d,\"blocks_per_second\":%.0f,\"urls_per_second\":%.1f}\n", ver, n, blocks, blocks / n
}'
