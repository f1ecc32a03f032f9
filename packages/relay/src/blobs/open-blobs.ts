/**
 * Opens the blob storage `--blobs` names:
 *
 * - `file:DIR` (default `<data>/blobs`): a directory on this node;
 * - `postgres://USER:PASSWORD@HOST:PORT/DB?schema=NAME` (or `postgresql://`): chunks in
 *   PostgreSQL, in schema NAME (default `parley_blobs`, created if missing) — a cluster's default,
 *   the same database as its store;
 * - `s3://BUCKET?endpoint=http://HOST:PORT&region=R&prefix=P`: an S3-compatible bucket (region
 *   default `us-east-1`, endpoint default AWS's regional one, prefix optional). Credentials as
 *   `s3://KEY:SECRET@BUCKET?…` or from AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY.
 *
 * Anything else is a RangeError. No message names a password or secret (redactUrl).
 */

import { join } from "node:path";
import type { Logger } from "pino";
import { redactUrl } from "../store/open-store.js";
import { BlobFiles } from "./blob-files.js";
import type { BlobStorage } from "./blob-storage.js";
import { PgBlobStorage } from "./pg-blob-storage.js";
import { S3BlobStorage } from "./s3-blob-storage.js";

/** The schema of `postgres://` blob storage without `?schema=`. */
export const DEFAULT_BLOB_SCHEMA = "parley_blobs";

/** A schema name used unquoted-safe: letters, digits and `_`, as PostgreSQL identifiers go. */
const SCHEMA = /^[A-Za-z_][A-Za-z0-9_]{0,62}$/;

/** A bucket name as S3 allows. */
const BUCKET = /^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/;

/** Parses `blobsUrl` into an unopened storage (undefined: `<dataDir>/blobs`). Throws RangeError for a URL it cannot use. */
export function blobStorageFor(blobsUrl: string | undefined, dataDir: string, env: NodeJS.ProcessEnv = process.env): BlobStorage {
  if (blobsUrl === undefined) return new BlobFiles(join(dataDir, "blobs"));
  if (blobsUrl.startsWith("file:")) {
    const dir = blobsUrl.slice("file:".length);
    if (dir === "") throw new RangeError("--blobs file: needs a directory, e.g. file:/var/lib/parley/blobs");
    return new BlobFiles(dir);
  }
  if (/^postgres(ql)?:\/\//.test(blobsUrl)) return postgresStorage(blobsUrl);
  if (blobsUrl.startsWith("s3://")) return s3Storage(blobsUrl, env);
  throw new RangeError(`--blobs "${redactUrl(blobsUrl)}" is not supported: use file:DIR, postgres://… or s3://BUCKET?endpoint=…`);
}

function parse(blobsUrl: string): URL {
  try {
    return new URL(blobsUrl);
  } catch {
    throw new RangeError(`--blobs "${redactUrl(blobsUrl)}" is not a valid URL`);
  }
}

function postgresStorage(blobsUrl: string): PgBlobStorage {
  const url = parse(blobsUrl);
  const schema = url.searchParams.get("schema") ?? DEFAULT_BLOB_SCHEMA;
  if (!SCHEMA.test(schema)) throw new RangeError(`--blobs "${redactUrl(blobsUrl)}": schema must be letters, digits and _`);
  url.searchParams.delete("schema");
  return new PgBlobStorage({ connectionString: url.toString(), schema });
}

function s3Storage(blobsUrl: string, env: NodeJS.ProcessEnv): S3BlobStorage {
  const url = parse(blobsUrl);
  const bucket = url.hostname;
  if (!BUCKET.test(bucket)) throw new RangeError(`--blobs "${redactUrl(blobsUrl)}": bad bucket name`);
  const region = url.searchParams.get("region") ?? "us-east-1";
  const endpoint = url.searchParams.get("endpoint") ?? `https://s3.${region}.amazonaws.com`;
  if (!/^https?:\/\/[^/?#]+\/?$/.test(endpoint))
    throw new RangeError(`--blobs "${redactUrl(blobsUrl)}": endpoint must be http(s)://HOST[:PORT]`);
  const accessKeyId = url.username ? decodeURIComponent(url.username) : env.AWS_ACCESS_KEY_ID;
  const secretAccessKey = url.password ? decodeURIComponent(url.password) : env.AWS_SECRET_ACCESS_KEY;
  if (!accessKeyId || !secretAccessKey)
    throw new RangeError(
      `--blobs "${redactUrl(blobsUrl)}": credentials missing (s3://KEY:SECRET@BUCKET or AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY)`,
    );
  const prefix = url.searchParams.get("prefix") ?? "";
  return new S3BlobStorage({ endpoint, bucket, region, accessKeyId, secretAccessKey, prefix });
}

/** The blob storage of `blobsUrl` (see {@link blobStorageFor}); createRelay initialises it. */
export async function openBlobs(blobsUrl: string | undefined, dataDir: string, log: Logger): Promise<BlobStorage> {
  const storage = blobStorageFor(blobsUrl, dataDir);
  log.info({ blobs: storage.kind, url: blobsUrl === undefined ? undefined : redactUrl(blobsUrl) }, "blob storage open");
  return storage;
}
