/**
 * HTTP to the relay's blob store, shared by attachment uploads (attachment-upload.ts) and
 * downloads (attachment-download.ts): the relay's HTTP origin for its WebSocket URL, the blob id
 * check, and the retry rules (which failures are transient, the backoff between attempts, how an
 * HTTP status becomes an ERR_RELAY).
 */

import { ErrorCode, ParleyError } from "../errors.js";

/** Failed requests in a row (no progress in between) before an upload or download gives up. */
export const MAX_HTTP_RETRIES = 8;

/** A blob id as the relay grants it and pointers carry it (VAL-A07): 32 lower-case hex digits. */
export const BLOB_ID = /^[0-9a-f]{32}$/;

/** How the client reaches the relay over HTTP. */
export interface HttpOptions {
  readonly relayUrl: string;
  readonly fetch?: typeof fetch;
}

/** The relay's blob store: its origin and the `fetch` to reach it with. */
export interface BlobHttp {
  readonly base: string;
  readonly fetch: typeof fetch;
}

/** The relay's HTTP origin for its WebSocket URL (ws → http, wss → https). */
export function blobBaseUrl(relayUrl: string): string {
  const url = new URL(relayUrl);
  if (url.protocol === "ws:") url.protocol = "http:";
  else if (url.protocol === "wss:") url.protocol = "https:";
  return url.origin;
}

/** The blob store of the relay at `http.relayUrl`; a TypeError when there is no `fetch` to use. */
export function blobHttp(http: HttpOptions): BlobHttp {
  const base = blobBaseUrl(http.relayUrl);
  const f = http.fetch ?? globalThis.fetch;
  if (typeof f !== "function") throw new TypeError("attachments need fetch (pass options.fetch)");
  return { base, fetch: f.bind(globalThis) };
}

/** The URL of blob `blobId`. */
export function blobUrl(http: BlobHttp, blobId: string): string {
  return `${http.base}/blobs/${blobId}`;
}

export function abortError(signal: AbortSignal | undefined): unknown {
  return signal?.reason ?? new DOMException("aborted", "AbortError");
}

/** Waits `ms`, or rejects with the signal's reason once it aborts. */
export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(abortError(signal));
    const timer = setTimeout(() => {
      signal?.removeEventListener("abort", onAbort);
      resolve();
    }, ms);
    const onAbort = () => {
      clearTimeout(timer);
      reject(abortError(signal));
    };
    signal?.addEventListener("abort", onAbort, { once: true });
  });
}

/** Backoff before retry number `attempt` (1-based): 200 ms doubling, at most 5 s. */
export function retryDelay(attempt: number): number {
  return Math.min(100 * 2 ** attempt, 5_000);
}

export function relayError(status: number, what: string, reason: string): ParleyError {
  return new ParleyError(ErrorCode.Relay, `${what}: the relay answered HTTP ${status}`, { reason });
}

/** A thrown value that is worth retrying: a network failure (fetch's TypeError, a cut body), not our own errors. */
export function transient(error: unknown, signal?: AbortSignal): boolean {
  if (signal?.aborted) return false;
  return !(error instanceof ParleyError) && !(error instanceof RangeError);
}
