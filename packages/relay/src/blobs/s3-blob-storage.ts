/**
 * Blob bytes in an S3-compatible bucket, for relay nodes sharing one (aws4fetch signs requests;
 * path-style URLs `<endpoint>/<bucket>/<key>`). Keys under the optional prefix:
 *
 * - `blobs/<id>`: a complete blob. A single PUT of up to PART_BYTES is one PutObject; a larger
 *   one a multipart upload, buffered one part at a time; either appears whole or not at all.
 * - `uploads/<id>.json`: the manifest of a resumable upload — its multipart upload id, the
 *   ETag and size of each uploaded part, and its tail (bytes short of a part, which S3 cannot
 *   take as a part unless it is the last) stored as `uploads/<id>.tail.<random>`.
 *
 * A resumable upload buffers one part (PART_BYTES, S3's minimum) in memory, uploads it when
 * full, and at each checkpoint stores the tail and rewrites the manifest before the Store
 * records the offset. Resuming after a node died: any node reads the manifest, drops parts and
 * tail bytes past the offset the Store recorded, loads the tail back into its part buffer and
 * continues the same multipart upload; at the declared size the last (short) part is uploaded
 * and the multipart upload completed into `blobs/<id>`.
 *
 * Upload claims are per process; across nodes, the Store's compare-and-set on the offset and
 * on completion decides which of two simultaneous uploads of one blob counts, and a single PUT
 * creates its object only if absent (conditional write; servers without it overwrite). Known
 * window: a node starting up removes, as an orphan, a single PUT another node stored in the
 * same instant but has not yet recorded complete (that upload then answers 201 for a blob that
 * reads 404). Multipart uploads
 * that are abandoned (not aborted because a node died) stay in the bucket: set a lifecycle rule
 * (AbortIncompleteMultipartUpload) on it.
 */

import { randomBytes } from "node:crypto";
import { Readable } from "node:stream";
import type { ReadableStream as WebReadableStream } from "node:stream/web";
import { AwsClient } from "aws4fetch";
import { StorageError } from "../store/storage-error.js";
import type { StorageStatus } from "../store/store.js";
import type { BlobStorage, BlobWriteResult, ByteRange, PartialUpload } from "./blob-storage.js";
import { exactly, PART_BYTES, PartBuffer, S3PartialUpload, sum } from "./s3-partial-upload.js";
import { UploadClaims } from "./upload-claims.js";

export { PART_BYTES } from "./s3-partial-upload.js";

/**
 * Creates an object only if its key is free (S3 conditional writes, also on
 * CompleteMultipartUpload): of two nodes storing one blob's single PUT at once, the second is
 * refused. Servers without conditional writes (s3rver) ignore it; the store's completion then
 * decides.
 */
const ONLY_IF_ABSENT = { "if-none-match": "*" };

/** Pages of a bucket listing read at start-up at most (1000 keys each). */
const MAX_LIST_PAGES = 10_000;

const ID = /^[0-9a-f]{32}$/;

/** Where and how to reach the bucket. */
export interface S3BlobStorageOptions {
  /** e.g. `http://127.0.0.1:9000` or `https://s3.eu-west-1.amazonaws.com`. */
  readonly endpoint: string;
  readonly bucket: string;
  readonly region: string;
  readonly accessKeyId: string;
  readonly secretAccessKey: string;
  /** Prepended to every key (e.g. `relay1/`). */
  readonly prefix?: string;
}

/** A resumable upload's state as stored in its manifest. */
export interface Manifest {
  uploadId?: string | undefined;
  parts: { etag: string; size: number }[];
  tail?: { key: string; size: number } | undefined;
}

function checkId(blobId: string): void {
  if (!ID.test(blobId)) throw new RangeError("bad blob id");
}

/** Blob bytes in an S3-compatible bucket. */
export class S3BlobStorage implements BlobStorage {
  readonly kind = "s3";
  readonly #client: AwsClient;
  readonly #base: string;
  readonly #prefix: string;
  readonly #uploading = new UploadClaims();
  #failing = false;
  /** The health probe in flight, shared by concurrent checks. */
  #probing: Promise<void> | undefined;

  constructor(options: S3BlobStorageOptions) {
    this.#client = new AwsClient({
      accessKeyId: options.accessKeyId,
      secretAccessKey: options.secretAccessKey,
      service: "s3",
      region: options.region,
      retries: 2,
    });
    this.#base = `${options.endpoint.replace(/\/+$/, "")}/${encodeURIComponent(options.bucket)}`;
    this.#prefix = options.prefix ?? "";
  }

  /** Checks that the bucket answers (it is not created: its settings are the operator's). */
  async init(): Promise<void> {
    const res = await this.#request("HEAD", "");
    if (!res.ok) throw new StorageError("io", `the blob bucket answered ${res.status}`);
  }

  async removeOrphans(keep: (blobId: string, partial: boolean) => Promise<boolean>): Promise<number> {
    let removed = 0;
    for (const key of await this.#list("blobs/")) {
      const blobId = key.slice("blobs/".length);
      if (!ID.test(blobId) || (await keep(blobId, false))) continue;
      await this.#delete(`blobs/${blobId}`);
      removed++;
    }
    const partials = new Set<string>();
    for (const key of await this.#list("uploads/")) {
      const blobId = key.slice("uploads/".length, "uploads/".length + 32);
      if (ID.test(blobId)) partials.add(blobId);
    }
    for (const blobId of partials) {
      if (await keep(blobId, true)) continue;
      await this.removePartial(blobId);
      for (const key of await this.#list(`uploads/${blobId}.tail.`)) await this.#delete(key);
      removed++;
    }
    return removed;
  }

  async claim(blobId: string): Promise<boolean> {
    return this.#uploading.claim(blobId);
  }

  async release(blobId: string): Promise<void> {
    this.#uploading.release(blobId);
  }

  async write(blobId: string, chunks: AsyncIterable<Uint8Array>, maxSize: number): Promise<BlobWriteResult> {
    checkId(blobId);
    if ((await this.size(blobId)) !== undefined) return { ok: false, reason: "conflict" };
    const key = `blobs/${blobId}`;
    const buffer = new PartBuffer();
    const parts: Manifest["parts"] = [];
    let uploadId: string | undefined;
    let size = 0;
    let done = false;
    try {
      for await (const chunk of chunks) {
        size += chunk.length;
        if (size > maxSize) return { ok: false, reason: "too_large" };
        buffer.add(chunk);
        while (buffer.length >= PART_BYTES) {
          uploadId ??= await this.#createMultipart(key);
          parts.push(await this.#uploadPart(key, uploadId, parts.length + 1, buffer.take(PART_BYTES)));
        }
      }
      const rest = buffer.take(buffer.length);
      let created: boolean;
      if (uploadId === undefined) created = await this.#put(key, rest, ONLY_IF_ABSENT);
      else {
        if (rest.length > 0) parts.push(await this.#uploadPart(key, uploadId, parts.length + 1, rest));
        created = await this.#completeMultipart(key, uploadId, parts, false, ONLY_IF_ABSENT);
      }
      done = true;
      return created ? { ok: true, size } : { ok: false, reason: "conflict" };
    } finally {
      if (!done && uploadId !== undefined) await this.#abortMultipart(key, uploadId);
    }
  }

  async openPartial(blobId: string, offset: number, declaredSize: number): Promise<PartialUpload | undefined> {
    checkId(blobId);
    const manifest = (await this.#readManifest(blobId)) ?? { parts: [] };
    // Keep the parts (and tail bytes) up to the recorded offset; what lies past it was never recorded.
    const kept: Manifest["parts"] = [];
    for (const part of manifest.parts) {
      if (sum(kept) + part.size > offset) break;
      kept.push(part);
    }
    const tailBytes = offset - sum(kept);
    let tail: Uint8Array = new Uint8Array(0);
    if (tailBytes > 0) {
      const stored = manifest.tail && kept.length === manifest.parts.length ? await this.#get(manifest.tail.key) : undefined;
      if (!stored || stored.length < tailBytes || tailBytes >= PART_BYTES) return undefined;
      tail = stored.subarray(0, tailBytes);
    }
    return new S3PartialUpload(this, blobId, { uploadId: manifest.uploadId, parts: kept, tail: manifest.tail }, tail, declaredSize);
  }

  async publishPartial(blobId: string, size: number): Promise<boolean> {
    checkId(blobId);
    const manifest = await this.#readManifest(blobId);
    if (!manifest) return (await this.size(blobId)) === size;
    if (sum(manifest.parts) !== size || (manifest.tail && manifest.tail.size > 0 && size > 0)) return false;
    const key = `blobs/${blobId}`;
    if (manifest.uploadId === undefined || manifest.parts.length === 0) await this.#put(key, new Uint8Array(0));
    else if (!(await this.#completeMultipart(key, manifest.uploadId, manifest.parts, true))) return (await this.size(blobId)) === size;
    await this.#delete(`uploads/${blobId}.json`);
    if (manifest.tail) await this.#delete(manifest.tail.key);
    return true;
  }

  async removePartial(blobId: string): Promise<void> {
    checkId(blobId);
    const manifest = await this.#readManifest(blobId);
    if (!manifest) return;
    if (manifest.tail) await this.#delete(manifest.tail.key);
    if (manifest.uploadId !== undefined) await this.#abortMultipart(`blobs/${blobId}`, manifest.uploadId);
    await this.#delete(`uploads/${blobId}.json`);
  }

  async read(blobId: string, range?: ByteRange): Promise<{ stream: Readable; size: number } | undefined> {
    checkId(blobId);
    const headers: Record<string, string> = range ? { range: `bytes=${range.start}-${range.end}` } : {};
    const res = await this.#request("GET", `blobs/${blobId}`, { headers });
    if (res.status === 404) return undefined;
    if (!res.ok || !res.body) throw this.#unexpected(res);
    const contentRange = /^bytes (\d+)-\d+\/(\d+)$/.exec(res.headers.get("content-range") ?? "");
    const size = Number(contentRange?.[2] ?? res.headers.get("content-length"));
    const body = Readable.fromWeb(res.body as WebReadableStream<Uint8Array>);
    if (!range) return { stream: body, size };
    // Some servers answer a range with more than asked (s3rver sends all of `bytes=0-0`): cut to it.
    const served = res.status === 206 ? Number(contentRange?.[1] ?? 0) : 0;
    if (served > range.start) throw this.#unexpected(res);
    return { stream: Readable.from(exactly(body, range.start - served, range.end - range.start + 1)), size };
  }

  async size(blobId: string): Promise<number | undefined> {
    checkId(blobId);
    const res = await this.#request("HEAD", `blobs/${blobId}`);
    if (res.status === 404) return undefined;
    if (!res.ok) throw this.#unexpected(res);
    return Number(res.headers.get("content-length"));
  }

  async remove(blobId: string): Promise<void> {
    checkId(blobId);
    await this.#delete(`blobs/${blobId}`);
    await this.removePartial(blobId);
  }

  /** A bucket has no free-space figure: no reserve is checked. */
  async freeBytes(): Promise<number | undefined> {
    return undefined;
  }

  /**
   * "failing" after a failed request, until one succeeds. While failing, each check asks the
   * bucket (HEAD), so `/healthz` recovers without blob traffic.
   */
  async health(): Promise<StorageStatus> {
    if (this.#failing) {
      this.#probing ??= this.#request("HEAD", "")
        .then((res) => {
          void res.body?.cancel().catch(() => {});
        })
        .catch(() => undefined)
        .finally(() => {
          this.#probing = undefined;
        });
      await this.#probing;
    }
    return this.#failing ? "failing" : "ok";
  }

  async close(): Promise<void> {}

  /** Stores the tail of a resumable upload and its manifest (called by S3PartialUpload.sync). */
  async saveProgress(blobId: string, manifest: Manifest, tail: Uint8Array): Promise<Manifest> {
    const previous = manifest.tail;
    let next: Manifest["tail"];
    if (tail.length > 0) {
      next = { key: `uploads/${blobId}.tail.${randomBytes(8).toString("hex")}`, size: tail.length };
      await this.#put(next.key, tail);
    }
    const saved: Manifest = { uploadId: manifest.uploadId, parts: manifest.parts, tail: next };
    await this.#put(`uploads/${blobId}.json`, new TextEncoder().encode(JSON.stringify(saved)));
    if (previous && previous.key !== next?.key) await this.#delete(previous.key);
    return saved;
  }

  /** Uploads the next part of a resumable upload, starting its multipart upload if needed. */
  async uploadPartOf(blobId: string, manifest: Manifest, bytes: Uint8Array): Promise<void> {
    // Created for the blob's own key: completing it publishes the blob there.
    const key = `blobs/${blobId}`;
    manifest.uploadId ??= await this.#createMultipart(key);
    manifest.parts.push(await this.#uploadPart(key, manifest.uploadId, manifest.parts.length + 1, bytes));
  }

  async #readManifest(blobId: string): Promise<Manifest | undefined> {
    const bytes = await this.#get(`uploads/${blobId}.json`);
    if (!bytes) return undefined;
    try {
      const parsed = JSON.parse(new TextDecoder().decode(bytes)) as Manifest;
      if (!Array.isArray(parsed.parts)) return undefined;
      return parsed;
    } catch {
      return undefined;
    }
  }

  async #createMultipart(key: string): Promise<string> {
    const res = await this.#request("POST", key, { query: "uploads" });
    if (!res.ok) throw this.#unexpected(res);
    const uploadId = /<UploadId>([^<]+)<\/UploadId>/.exec(await res.text())?.[1];
    if (!uploadId) throw this.#unexpected(res);
    return uploadId;
  }

  async #uploadPart(key: string, uploadId: string, partNumber: number, bytes: Uint8Array): Promise<{ etag: string; size: number }> {
    const query = `partNumber=${partNumber}&uploadId=${encodeURIComponent(uploadId)}`;
    const res = await this.#request("PUT", key, { query, body: bytes });
    const etag = res.headers.get("etag");
    await res.body?.cancel();
    if (!res.ok || !etag) throw this.#unexpected(res);
    return { etag, size: bytes.length };
  }

  /**
   * Completes a multipart upload into `target`; false when `tolerateGone` and the upload no longer
   * exists, or when `headers` set a precondition that failed (412).
   */
  async #completeMultipart(
    target: string,
    uploadId: string,
    parts: Manifest["parts"],
    tolerateGone = false,
    headers: Record<string, string> = {},
  ): Promise<boolean> {
    const xml = `<CompleteMultipartUpload>${parts
      .map((part, i) => `<Part><PartNumber>${i + 1}</PartNumber><ETag>${part.etag}</ETag></Part>`)
      .join("")}</CompleteMultipartUpload>`;
    const res = await this.#request("POST", target, {
      query: `uploadId=${encodeURIComponent(uploadId)}`,
      body: new TextEncoder().encode(xml),
      headers,
    });
    const text = await res.text();
    if (res.status === 412) return false;
    if (tolerateGone && (res.status === 404 || text.includes("NoSuchUpload"))) return false;
    if (!res.ok || text.includes("<Error>")) throw this.#unexpected(res);
    return true;
  }

  async #abortMultipart(key: string, uploadId: string): Promise<void> {
    // Best effort (some servers, s3rver among them, cannot abort): a lifecycle rule cleans up.
    await this.#request("DELETE", key, { query: `uploadId=${encodeURIComponent(uploadId)}` })
      .then((res) => res.body?.cancel())
      .catch(() => {});
  }

  /** Stores `bytes` at `key`; false when `headers` set a precondition that failed (412). */
  async #put(key: string, bytes: Uint8Array, headers: Record<string, string> = {}): Promise<boolean> {
    const res = await this.#request("PUT", key, { body: bytes, headers });
    await res.body?.cancel();
    if (res.status === 412) return false;
    if (!res.ok) throw this.#unexpected(res);
    return true;
  }

  async #get(key: string): Promise<Uint8Array | undefined> {
    const res = await this.#request("GET", key);
    if (res.status === 404) {
      await res.body?.cancel();
      return undefined;
    }
    if (!res.ok) throw this.#unexpected(res);
    return new Uint8Array(await res.arrayBuffer());
  }

  async #delete(key: string): Promise<void> {
    const res = await this.#request("DELETE", key);
    await res.body?.cancel();
    if (!res.ok && res.status !== 404) throw this.#unexpected(res);
  }

  /** Keys under `prefix` (relative to the storage's prefix), every page. */
  async #list(prefix: string): Promise<string[]> {
    const keys: string[] = [];
    let token: string | undefined;
    for (let page = 0; page < MAX_LIST_PAGES; page++) {
      const query = `list-type=2&prefix=${encodeURIComponent(this.#prefix + prefix)}${token ? `&continuation-token=${encodeURIComponent(token)}` : ""}`;
      const res = await this.#request("GET", "", { query });
      const text = await res.text();
      if (!res.ok) throw this.#unexpected(res);
      for (const match of text.matchAll(/<Key>([^<]+)<\/Key>/g)) keys.push((match[1] as string).slice(this.#prefix.length));
      token = /<NextContinuationToken>([^<]+)<\/NextContinuationToken>/.exec(text)?.[1];
      if (!/<IsTruncated>true<\/IsTruncated>/.test(text) || !token) break;
    }
    return keys;
  }

  /** One signed request; network failures become StorageError, any answer clears the failing state unless it is a 5xx. */
  async #request(
    method: string,
    key: string,
    options: { query?: string; headers?: Record<string, string>; body?: Uint8Array } = {},
  ): Promise<Response> {
    const path = key === "" ? "" : `/${(this.#prefix + key).split("/").map(encodeURIComponent).join("/")}`;
    const url = `${this.#base}${path}${options.query ? `?${options.query}` : ""}`;
    let res: Response;
    try {
      res = await this.#client.fetch(url, { method, headers: options.headers ?? {}, ...(options.body ? { body: options.body } : {}) });
    } catch {
      this.#failing = true;
      throw new StorageError("io");
    }
    this.#failing = res.status >= 500;
    return res;
  }

  /** An answer the storage did not expect (its body may echo keys: not kept). */
  #unexpected(res: Response): StorageError {
    this.#failing = true;
    void res.body?.cancel().catch(() => {});
    return new StorageError("io");
  }
}
