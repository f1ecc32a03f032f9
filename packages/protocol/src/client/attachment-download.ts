/**
 * Receiving an attachment (spec/attachments.md §7): the blob streamed from the relay and
 * decrypted as bytes arrive, each piece handed out only after its chunk's tag verified and the
 * last only after the whole digest matched; a dropped connection resumes with an HTTP Range
 * request. And saving to a file (Node), moved into place only after verification.
 */

import type { AttachmentPointer } from "../attachment/pointer.js";
import { AttachmentDecryptor } from "../attachment/stream.js";
import { bytesToHex as hex } from "../crypto/bytes.js";
import type { Deps } from "../deps.js";
import { randomBytes } from "../deps.js";
import { ErrorCode, invalidEncoding, ParleyError } from "../errors.js";
import {
  abortError,
  BLOB_ID,
  type BlobHttp,
  blobUrl,
  MAX_HTTP_RETRIES,
  relayError,
  retryDelay,
  sleep,
  transient,
} from "./attachment-http.js";
import { nodeFs, readStream } from "./attachment-source.js";
import type { AttachmentInfo } from "./conversation.js";

/** Options of `openAttachment` / `saveAttachment`. */
export interface DownloadOptions {
  readonly signal?: AbortSignal;
  /** Refuse (ERR_LIMIT_EXCEEDED) attachments larger than this many plaintext bytes. Default: no limit beyond the protocol's. */
  readonly maxSize?: number;
}

/** A ReadableStream that is also async-iterable in every runtime. */
export type AttachmentStream = ReadableStream<Uint8Array> & AsyncIterable<Uint8Array>;

/**
 * The attachment's plaintext as a stream: each piece comes from a chunk whose tag verified,
 * the final piece only after the blob's digest matched; errors are ERR_ATTACHMENT_CORRUPT,
 * ERR_ATTACHMENT_TRUNCATED or ERR_RELAY (blob missing, relay failing). A dropped connection
 * is resumed with an HTTP Range request. Nothing is fetched until the stream is read.
 */
export function openBlobStream(
  deps: Deps,
  http: BlobHttp,
  pointer: AttachmentInfo | AttachmentPointer,
  options: DownloadOptions = {},
): AttachmentStream {
  if (!BLOB_ID.test(pointer.blobId)) throw invalidEncoding("blob id is not 32 lower-case hex digits");
  if (options.maxSize !== undefined && pointer.size > options.maxSize)
    throw new ParleyError(ErrorCode.LimitExceeded, "attachment is larger than maxSize");
  const decryptor = new AttachmentDecryptor(deps, pointer);
  const url = blobUrl(http, pointer.blobId);
  const signal = options.signal;
  let body: ReadableStreamDefaultReader<Uint8Array> | undefined;
  let skip = 0;
  let failures = 0;
  const connect = async (): Promise<ReadableStreamDefaultReader<Uint8Array> | "end"> => {
    const offset = decryptor.bytesIn;
    const response = await http.fetch(url, { headers: offset > 0 ? { range: `bytes=${offset}-` } : {}, ...(signal ? { signal } : {}) });
    if (response.status === 416) {
      await response.body?.cancel();
      return "end";
    }
    if (response.status === 404) throw relayError(404, "attachment blob", "NOT_FOUND");
    if (response.status !== 200 && response.status !== 206) {
      await response.body?.cancel();
      if (response.status >= 500) throw new Error(`relay answered HTTP ${response.status}`);
      throw relayError(response.status, "attachment blob", "BAD_REQUEST");
    }
    // A relay that ignores Range sends the whole blob again: skip what we already have.
    skip = response.status === 200 ? offset : 0;
    if (!response.body) return "end";
    return response.body.getReader();
  };
  const stream = new ReadableStream<Uint8Array>(
    {
      pull: async (controller) => {
        for (;;) {
          if (signal?.aborted) throw abortError(signal);
          let step: Awaited<ReturnType<ReadableStreamDefaultReader<Uint8Array>["read"]>>;
          try {
            if (!body) {
              const opened = await connect();
              if (opened === "end") {
                decryptor.finish();
                controller.close();
                return;
              }
              body = opened;
            }
            step = await body.read();
          } catch (error) {
            body = undefined;
            if (!transient(error, signal) || ++failures > MAX_HTTP_RETRIES) throw error;
            await sleep(retryDelay(failures), signal);
            continue;
          }
          if (step.done) {
            body = undefined;
            // The response ended where its length said: a blob shorter than the pointer's is truncated.
            decryptor.finish();
            controller.close();
            return;
          }
          let data = step.value;
          if (skip > 0) {
            const drop = Math.min(skip, data.length);
            skip -= drop;
            data = data.subarray(drop);
          }
          const pieces = decryptor.update(data);
          failures = 0;
          for (const piece of pieces) controller.enqueue(piece);
          if (pieces.length > 0) return;
        }
      },
      cancel: async () => {
        await body?.cancel().catch(() => undefined);
      },
    },
    { highWaterMark: 2 },
  );
  return asyncIterable(stream);
}

/**
 * Writes the stream `open` gives into `path` (Node): to a temporary file beside it, renamed into
 * place only once the stream ended (after the digest verified); on any failure (opening the
 * stream included) the temporary file is removed and nothing is left at `path`.
 */
export async function saveStreamToFile(deps: Deps, open: () => AttachmentStream, path: string): Promise<void> {
  const fs = nodeFs();
  const temp = `${path}.${hex(randomBytes(deps, 6))}.part`;
  const handle = await fs.open(temp, "wx");
  let closed = false;
  try {
    for await (const piece of open()) await handle.write(piece);
    await handle.sync();
    await handle.close();
    closed = true;
    await fs.rename(temp, path);
  } catch (error) {
    if (!closed) await handle.close().catch(() => undefined);
    await fs.rm(temp, { force: true });
    throw error;
  }
}

/** Adds `Symbol.asyncIterator` where a runtime's ReadableStream lacks it (Safari, older Chrome). */
function asyncIterable(stream: ReadableStream<Uint8Array>): AttachmentStream {
  if (Symbol.asyncIterator in (stream as object)) return stream as AttachmentStream;
  Object.defineProperty(stream, Symbol.asyncIterator, { value: () => readStream(stream) });
  return stream as AttachmentStream;
}
