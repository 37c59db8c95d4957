#!/usr/bin/env node
// List one prefix with the AWS SDK for JavaScript v3's paginateListObjectsV2:
// the peer of benchmarks/list_client.cpp at one chain.
//
//   node list_js.mjs --bucket B [--prefix P] [--page-size M]
//
// Endpoint from AWS_ENDPOINT_URL_S3 or AWS_ENDPOINT_URL, credentials and
// region from the environment (the SDK's default providers). Keys are
// counted and checked to arrive in increasing (UTF-8 byte) order. Prints one
// JSON line: {"lister","version","keys","pages","wall_ms","keys_per_s",
// "cpu_ms","max_rss_kib","ordered"}; wall_ms and cpu_ms cover the listing
// alone (not the imports), max_rss_kib is the process's peak.
import { createRequire } from "node:module";
import { parseArgs } from "node:util";
import { S3Client, paginateListObjectsV2 } from "@aws-sdk/client-s3";

const { values: opt } = parseArgs({
  options: {
    bucket: { type: "string" },
    prefix: { type: "string", default: "" },
    "page-size": { type: "string", default: "1000" },
  },
});
if (!opt.bucket) {
  console.error("usage: list_js.mjs --bucket B [--prefix P] [--page-size M]");
  process.exit(2);
}
const endpoint = process.env.AWS_ENDPOINT_URL_S3 || process.env.AWS_ENDPOINT_URL;
const client = new S3Client({
  region: process.env.AWS_REGION || process.env.AWS_DEFAULT_REGION || "us-east-1",
  forcePathStyle: true,
  ...(endpoint ? { endpoint } : {}),
});

const cpuBefore = process.cpuUsage();
const started = process.hrtime.bigint();
let keys = 0;
let pages = 0;
let last = null;
let ordered = true;
const paginator = paginateListObjectsV2(
  { client, pageSize: Number(opt["page-size"]) },
  { Bucket: opt.bucket, Prefix: opt.prefix },
);
for await (const page of paginator) {
  pages += 1;
  for (const item of page.Contents ?? []) {
    const key = Buffer.from(item.Key, "utf8");
    if (last !== null && Buffer.compare(last, key) >= 0) ordered = false;
    last = key;
    keys += 1;
  }
}
const wallMs = Number(process.hrtime.bigint() - started) / 1e6;
const cpu = process.cpuUsage(cpuBefore);
const version = createRequire(import.meta.url)("@aws-sdk/client-s3/package.json").version;
console.log(
  JSON.stringify({
    lister: "aws_sdk_js_v3",
    version,
    chains: 1,
    keys,
    pages,
    wall_ms: Math.round(wallMs * 10) / 10,
    keys_per_s: wallMs > 0 ? Math.round((keys * 1e3) / wallMs) : 0,
    cpu_ms: Math.round((cpu.user + cpu.system) / 100) / 10,
    max_rss_kib: process.resourceUsage().maxRSS,
    requests: pages,
    ordered,
  }),
);
client.destroy();
process.exit(ordered ? 0 : 1);
