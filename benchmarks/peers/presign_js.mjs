#!/usr/bin/env node
// Presign GET URLs with the AWS SDK for JavaScript v3 and report URLs/second
// (or print them). Mirrors presign_botocore.py; see its usage line.
//
//   node presign_js.mjs [KEYS_FILE] [--bucket B] [--session-token T] [--print]
//                       [--date YYYYMMDDTHHMMSSZ] [--min-seconds S]
//
// Nothing here touches the network: getSignedUrl only builds and signs.
import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { parseArgs } from "node:util";
import { S3Client, GetObjectCommand } from "@aws-sdk/client-s3";
import { getSignedUrl } from "@aws-sdk/s3-request-presigner";

const WARMUP = 200;
const EXPIRES = 3600;

const { values: opt, positionals } = parseArgs({
  allowPositionals: true,
  options: {
    bucket: { type: "string", default: "bench" },
    "session-token": { type: "string" },
    print: { type: "boolean", default: false },
    date: { type: "string" },
    "min-seconds": { type: "string", default: "2" },
  },
});

// fd 0 reads stdin when no file is given.
const keys = readFileSync(positionals[0] ?? 0, "utf8").split(/\r?\n/).filter((k) => k.length > 0);
if (keys.length === 0) {
  console.error("no keys");
  process.exit(1);
}

// Client defaults are kept, as users get them: the SDK also signs
// x-id=GetObject, x-amz-checksum-mode=ENABLED and X-Amz-Content-Sha256, so its
// URLs (and signatures) differ from botocore's for the same key and time.
const client = new S3Client({
  region: "us-east-1",
  endpoint: "http://127.0.0.1:7480",
  forcePathStyle: true,
  credentials: {
    accessKeyId: "AKIAIOSFODNN7EXAMPLE",
    secretAccessKey: "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY",
    ...(opt["session-token"] ? { sessionToken: opt["session-token"] } : {}),
  },
});

// A pinned date makes URLs byte-comparable with the other peers.
let signingDate;
if (opt.date) {
  const m = /^(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})Z$/.exec(opt.date);
  if (!m) throw new Error(`bad --date ${opt.date}`);
  signingDate = new Date(Date.UTC(m[1], m[2] - 1, m[3], m[4], m[5], m[6]));
}

// Awaited one at a time: that is how applications call getSignedUrl, so the
// figure includes its per-call promise and middleware-stack overhead.
const one = (key) =>
  getSignedUrl(client, new GetObjectCommand({ Bucket: opt.bucket, Key: key }), {
    expiresIn: EXPIRES,
    ...(signingDate ? { signingDate } : {}),
  });

if (opt.print) {
  const out = [];
  for (const key of keys) out.push(await one(key));
  process.stdout.write(out.join("\n") + "\n");
  process.exit(0);
}

// Warm-up lets the JIT compile the signing path and resolves lazy config
// (region/endpoint providers) outside the timed loop.
for (const key of keys.slice(0, WARMUP)) await one(key);

// Whole passes over the key list until the time floor is reached.
const minSeconds = Number(opt["min-seconds"]);
let urls = 0;
let elapsed = 0;
const start = process.hrtime.bigint();
do {
  for (const key of keys) await one(key);
  urls += keys.length;
  elapsed = Number(process.hrtime.bigint() - start) / 1e9;
} while (elapsed < minSeconds);

const require = createRequire(import.meta.url);
const version = require("@aws-sdk/client-s3/package.json").version;
console.log(
  JSON.stringify({
    peer: "aws-sdk-js-v3",
    version,
    urls,
    seconds: Number(elapsed.toFixed(4)),
    urls_per_second: Number((urls / elapsed).toFixed(1)),
  }),
);
