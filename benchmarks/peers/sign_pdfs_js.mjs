#!/usr/bin/env node
// sign_pdfs with the AWS SDK for JavaScript v3: the peer of
// build/examples/sign_pdfs (see sign_pdfs_botocore.py for the job).
//
//   node sign_pdfs_js.mjs --bucket B [--prefix P]
//
// Endpoint from AWS_ENDPOINT_URL, credentials and region from the
// environment (the SDK's default providers). The next page is listed while
// the current page's keys are presigned; manifest lines go out in listing
// order. The manifest is one PutObject up to 8 MiB, a multipart upload above.
import { randomUUID } from "node:crypto";
import { createRequire } from "node:module";
import { parseArgs } from "node:util";
import {
  S3Client,
  GetObjectCommand,
  ListObjectsV2Command,
  PutObjectCommand,
  CreateMultipartUploadCommand,
  UploadPartCommand,
  CompleteMultipartUploadCommand,
  AbortMultipartUploadCommand,
} from "@aws-sdk/client-s3";
import { getSignedUrl } from "@aws-sdk/s3-request-presigner";

const EXPIRES = 3600;
const PAGE_SIZE = 1000;
const PART_SIZE = 8 * 1024 * 1024;
const SUFFIX = ".pdf";

const { values: opt } = parseArgs({
  options: {
    bucket: { type: "string" },
    prefix: { type: "string", default: "" },
  },
});
if (!opt.bucket) {
  console.error("usage: sign_pdfs_js.mjs --bucket B [--prefix P]");
  process.exit(2);
}

const started = process.hrtime.bigint();
const endpoint = process.env.AWS_ENDPOINT_URL_S3 || process.env.AWS_ENDPOINT_URL;
const client = new S3Client({
  region: process.env.AWS_REGION || process.env.AWS_DEFAULT_REGION || "us-east-1",
  forcePathStyle: true,
  ...(endpoint ? { endpoint } : {}),
});
const bucket = opt.bucket;
const manifestKey = `manifests/${randomUUID()}.jsonl`;

const presign = (key) =>
  getSignedUrl(client, new GetObjectCommand({ Bucket: bucket, Key: key }), { expiresIn: EXPIRES });

async function presignPage(keys) {
  const urls = await Promise.allSettled(keys.map(presign));
  let text = "";
  let count = 0;
  let errors = 0;
  urls.forEach((outcome, i) => {
    if (outcome.status !== "fulfilled") {
      errors++;
      return;
    }
    text += JSON.stringify({ key: keys[i], url: outcome.value }) + "\n";
    count++;
  });
  return { text, count, errors };
}

async function upload(body) {
  if (body.length <= PART_SIZE) {
    await client.send(new PutObjectCommand({ Bucket: bucket, Key: manifestKey, Body: body, ContentType: "application/x-ndjson" }));
    return false;
  }
  const { UploadId } = await client.send(
    new CreateMultipartUploadCommand({ Bucket: bucket, Key: manifestKey, ContentType: "application/x-ndjson" }),
  );
  try {
    const parts = [];
    for (let offset = 0, number = 1; offset < body.length; offset += PART_SIZE, number++) {
      const part = await client.send(
        new UploadPartCommand({
          Bucket: bucket,
          Key: manifestKey,
          UploadId,
          PartNumber: number,
          Body: body.subarray(offset, offset + PART_SIZE),
        }),
      );
      parts.push({ PartNumber: number, ETag: part.ETag ?? "" });
    }
    await client.send(
      new CompleteMultipartUploadCommand({ Bucket: bucket, Key: manifestKey, UploadId, MultipartUpload: { Parts: parts } }),
    );
  } catch (error) {
    await client.send(new AbortMultipartUploadCommand({ Bucket: bucket, Key: manifestKey, UploadId }));
    throw error;
  }
  return true;
}

let pages = 0;
let keysListed = 0;
const batches = []; // promises, in listing order
let token;
do {
  const page = await client.send(
    new ListObjectsV2Command({ Bucket: bucket, Prefix: opt.prefix, MaxKeys: PAGE_SIZE, ContinuationToken: token }),
  );
  pages++;
  const contents = page.Contents ?? [];
  keysListed += contents.length;
  const keys = contents.map((o) => o.Key).filter((k) => k.toLowerCase().endsWith(SUFFIX));
  if (keys.length > 0) batches.push(presignPage(keys));
  if (page.IsTruncated && !page.NextContinuationToken) throw new Error("IsTruncated without NextContinuationToken");
  token = page.IsTruncated ? page.NextContinuationToken : undefined;
} while (token);

let count = 0;
let errors = 0;
const chunks = [];
for (const batch of await Promise.all(batches)) {
  chunks.push(Buffer.from(batch.text, "utf8"));
  count += batch.count;
  errors += batch.errors;
}
const body = Buffer.concat(chunks);
const multipart = await upload(body);
const manifestUrl = await presign(manifestKey);
const durationMs = Math.floor(Number(process.hrtime.bigint() - started) / 1e6);
console.log(
  JSON.stringify({ count, errors, manifest_key: manifestKey, manifest_url: manifestUrl, pages, duration_ms: durationMs }),
);
const require = createRequire(import.meta.url);
console.error(
  JSON.stringify({
    event: "complete",
    peer: "aws-sdk-js-v3",
    version: require("@aws-sdk/client-s3/package.json").version,
    keys_listed: keysListed,
    manifest_bytes: body.length,
    manifest_multipart: multipart,
  }),
);
