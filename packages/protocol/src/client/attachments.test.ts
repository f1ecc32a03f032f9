// The download half of client attachments against a scripted HTTP server (a fake fetch): the
// relay's origin from its WebSocket URL, resumption when a relay ignores Range and resends from
// the start, a relay that says the range is past the end (the blob is shorter: truncation), the
// size cap, and the blob id check that keeps requests on /blobs/<id>.
import { expect, test } from "vitest";
import { allDeps } from "../../test/fixtures.js";
import { AttachmentEncryptor, attachmentLayout } from "../attachment/stream.js";
import { concatBytes } from "../crypto/bytes.js";
import { ErrorCode, ParleyError } from "../errors.js";
import { Attachments, blobBaseUrl } from "./attachments.js";
import type { ClientContext } from "./context.js";

const [, deps] = allDeps[0] as (typeof allDeps)[number];
const key = new Uint8Array(32).fill(5);
const size = 300_000;
const plaintext = Uint8Array.from({ length: size }, (_, i) => (i * 13) & 0xff);
const encryptor = new AttachmentEncryptor(deps, key, size);
const blob = concatBytes(...encryptor.update(plaintext), ...encryptor.finish());
const pointer = {
  blobId: "ab".repeat(16),
  key,
  digest: encryptor.digest(),
  size,
  contentType: "application/octet-stream",
  fileName: "f",
  encryptedSize: attachmentLayout(size).encryptedSize,
};

/** A response whose body delivers `bytes` in 50 KB pieces and fails after `cutAfter` bytes. */
function response(bytes: Uint8Array, status: number, cutAfter = Number.POSITIVE_INFINITY): Response {
  let at = 0;
  const body = new ReadableStream<Uint8Array>({
    pull(controller) {
      if (at >= bytes.length) return controller.close();
      if (at >= cutAfter) return controller.error(new TypeError("terminated"));
      const piece = bytes.subarray(at, at + 50_000);
      at += piece.length;
      controller.enqueue(piece);
    },
  });
  return new Response(body, { status });
}

function attachments(fetch: typeof globalThis.fetch): Attachments {
  const ctx = { deps } as unknown as ClientContext;
  return new Attachments(ctx, { relayUrl: "wss://relay.example:8443/ws", fetch }, () => Promise.reject(new Error("not sending")));
}

async function readAll(stream: AsyncIterable<Uint8Array>): Promise<Uint8Array> {
  const parts: Uint8Array[] = [];
  for await (const part of stream) parts.push(part);
  return concatBytes(...parts);
}

test("the blob origin is the relay's: ws → http, wss → https, path dropped", () => {
  expect(blobBaseUrl("ws://localhost:8787")).toBe("http://localhost:8787");
  expect(blobBaseUrl("wss://relay.example/ws?x=1")).toBe("https://relay.example");
});

test("a relay that ignores Range after a cut resends from the start: the bytes already read are skipped", async () => {
  const urls: string[] = [];
  const ranges: (string | undefined)[] = [];
  let calls = 0;
  const fetch = (async (url: string, init?: RequestInit) => {
    urls.push(url);
    ranges.push((init?.headers as Record<string, string>)?.range);
    return response(blob, 200, calls++ === 0 ? 120_000 : Number.POSITIVE_INFINITY);
  }) as typeof globalThis.fetch;
  const out = await readAll(attachments(fetch).open(pointer));
  expect(Buffer.compare(out, plaintext)).toBe(0);
  expect(urls).toEqual([`https://relay.example:8443/blobs/${"ab".repeat(16)}`, `https://relay.example:8443/blobs/${"ab".repeat(16)}`]);
  expect(ranges[0]).toBeUndefined();
  expect(ranges[1]).toMatch(/^bytes=\d+-$/);
});

test("a relay that answers 416 to the resumption holds a shorter blob: ERR_ATTACHMENT_TRUNCATED, and only verified bytes came out", async () => {
  let calls = 0;
  const fetch = (async () =>
    calls++ === 0 ? response(blob, 200, 150_000) : new Response(null, { status: 416 })) as typeof globalThis.fetch;
  const got: Uint8Array[] = [];
  const error = await (async () => {
    for await (const piece of attachments(fetch).open(pointer)) got.push(piece);
  })().catch((e) => e);
  expect(ParleyError.is(error, ErrorCode.AttachmentTruncated)).toBe(true);
  const out = concatBytes(...got);
  expect(out.length % 65_536).toBe(0);
  expect(Buffer.compare(out, plaintext.subarray(0, out.length))).toBe(0);
});

test("a body that ends early without an error (the relay's blob is short) is truncation", async () => {
  const fetch = (async () => response(blob.subarray(0, 200_000), 200)) as typeof globalThis.fetch;
  const error = await readAll(attachments(fetch).open(pointer)).catch((e) => e);
  expect(ParleyError.is(error, ErrorCode.AttachmentTruncated)).toBe(true);
});

test("maxSize and the blob id are checked before any request", () => {
  const fetch = (async () => {
    throw new Error("no request expected");
  }) as typeof globalThis.fetch;
  const a = attachments(fetch);
  expect(() => a.open(pointer, { maxSize: size - 1 })).toThrow(expect.objectContaining({ code: ErrorCode.LimitExceeded }));
  expect(() => a.open({ ...pointer, blobId: "AB".repeat(16) })).toThrow(expect.objectContaining({ code: ErrorCode.InvalidEncoding }));
  expect(() => a.open({ ...pointer, blobId: `${"ab".repeat(15)}/x` })).toThrow(ParleyError);
});

test("an aborted download stops with the signal's reason", async () => {
  const stop = new AbortController();
  const fetch = (async (_url: string, init?: RequestInit) => {
    init?.signal?.throwIfAborted();
    return response(blob, 200);
  }) as typeof globalThis.fetch;
  const stream = attachments(fetch).open(pointer, { signal: stop.signal });
  const reader = stream.getReader();
  await reader.read();
  stop.abort(new Error("user left"));
  const error = await (async () => {
    for (;;) if ((await reader.read()).done) return undefined;
  })().catch((e) => e);
  expect((error as Error).message).toBe("user left");
});
