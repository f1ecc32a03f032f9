// Blob downloads over HTTP (spec/relay.md §9.4): whole blobs and single Range requests (206 with
// Content-Range, for resumed downloads and video seeking), 416 past the end, ignored Range forms
// served whole, HEAD with the same headers and no body, and nothing served before completion.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type BlobRelay, blobDevice, grant, patch, pattern, send, startBlobRelay } from "./blob-http.js";
import type { SocketClient } from "./socket-client.js";

const SIZE = 200_000;
const body = Buffer.from(pattern(SIZE, 11));
let r: BlobRelay;
let c: SocketClient;
let url: string;
beforeAll(async () => {
  r = await startBlobRelay();
  c = await blobDevice(r);
  const { blobId, capability } = await grant(c, SIZE);
  url = `${r.httpUrl}/blobs/${blobId}`;
  expect((await send(url, { method: "HEAD", headers: { range: "bytes=0-1" } })).status).toBe(404);
  expect((await patch(r, blobId, capability, 0, body)).status).toBe(204);
});
afterAll(async () => {
  await c.close();
  await r.stop();
});

const get = (range?: string, method = "GET") => send(url, { method, headers: range === undefined ? {} : { range } });

describe("Range GET", () => {
  it("serves the whole blob with Accept-Ranges when no Range is asked", async () => {
    const whole = await get();
    expect(whole.status).toBe(200);
    expect(whole.headers["accept-ranges"]).toBe("bytes");
    expect(whole.headers["content-length"]).toBe(String(SIZE));
    expect(Buffer.compare(whole.body, body)).toBe(0);
  });

  it("answers bytes=a-b, bytes=a- and bytes=-n with 206 and exactly those bytes", async () => {
    for (const [range, start, end] of [
      ["bytes=0-0", 0, 0],
      ["bytes=1000-65535", 1000, 65_535],
      ["bytes=150000-", 150_000, SIZE - 1],
      ["bytes=-5000", SIZE - 5000, SIZE - 1],
      ["bytes=199999-300000", SIZE - 1, SIZE - 1],
      ["bytes=0-", 0, SIZE - 1],
    ] as const) {
      const part = await get(range);
      expect(part.status, range).toBe(206);
      expect(part.headers["content-range"]).toBe(`bytes ${start}-${end}/${SIZE}`);
      expect(part.headers["content-length"]).toBe(String(end - start + 1));
      expect(Buffer.compare(part.body, body.subarray(start, end + 1)), range).toBe(0);
    }
  });

  it("answers a range starting at or past the end with 416 and the size; serves the whole blob for forms it ignores", async () => {
    for (const range of [`bytes=${SIZE}-`, `bytes=${SIZE}-${SIZE + 10}`, "bytes=-0"]) {
      const refused = await get(range);
      expect(refused.status, range).toBe(416);
      expect(refused.headers["content-range"]).toBe(`bytes */${SIZE}`);
    }
    for (const range of ["bytes=0-1,5-6", "bytes=9-1", "items=0-1", "bytes=x-"]) {
      const whole = await get(range);
      expect(whole.status, range).toBe(200);
      expect(whole.body.length).toBe(SIZE);
    }
  });

  it("answers HEAD (with or without Range) with the headers and no body", async () => {
    const head = await get(undefined, "HEAD");
    expect(head.status).toBe(200);
    expect(head.headers["content-length"]).toBe(String(SIZE));
    expect(head.body.length).toBe(0);
    const part = await get("bytes=10-19", "HEAD");
    expect(part.status).toBe(206);
    expect(part.headers["content-range"]).toBe(`bytes 10-19/${SIZE}`);
    expect(part.body.length).toBe(0);
  });
});
