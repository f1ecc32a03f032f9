// The blob routes fuzzed over a real server: PATCHes with random (mostly malformed) Upload-Offset,
// Content-Type, Authorization and body sizes, and GETs with random Range values. Never a 5xx;
// the upload only ever moves by an accepted body at the stored offset, and what is stored is
// exactly the accepted bodies in order; every answered range is exactly that slice of the blob.
import fc from "fast-check";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type BlobRelay, blobDevice, grant, pattern, send, startBlobRelay, uploadOffset } from "./blob-http.js";
import type { SocketClient } from "./socket-client.js";

// Each run is an HTTP round trip: capped, so the nightly run (PARLEY_FUZZ_RUNS=20000) stays within minutes.
const RUNS = Math.min(Number(process.env.PARLEY_FUZZ_RUNS ?? 150), 2000);
const SIZE = 4000;
let r: BlobRelay;
let c: SocketClient;
beforeAll(async () => {
  r = await startBlobRelay({ limits: { maxOpenBlobTickets: 1000 } });
  c = await blobDevice(r);
});
afterAll(async () => {
  await c.close();
  await r.stop();
});

/** Printable header text (what an HTTP client can send), biased towards near-misses. */
const printable = fc.stringMatching(/^[\x20-\x7e]{0,24}$/);

describe("fuzzed blob requests", () => {
  it("PATCH: no 5xx; the stored offset moves only by accepted bodies; the blob is exactly those bodies", async () => {
    const { blobId, capability } = await grant(c, SIZE);
    const url = `${r.httpUrl}/blobs/${blobId}`;
    let model = Buffer.alloc(0);
    let accepted = 0;
    // Resolved against the stored offset when the request is made (the upload is state).
    const offsetText = fc.oneof(
      { arbitrary: fc.constant((stored: number) => String(stored)), weight: 4 },
      fc.integer({ min: -3, max: 3 }).map((d) => (stored: number) => String(Math.max(0, stored + d))),
      fc.integer({ min: 0, max: SIZE + 5 }).map((n) => () => String(n)),
      fc
        .constantFrom("", "-0", "+1", ".0", "0x", " ", ",0", "9".repeat(17))
        .map((t) => (stored: number) => (t.startsWith(".") || t.startsWith(",") ? `${stored}${t}` : t === "0x" ? `0x${stored}` : t)),
      printable.map((t) => () => t),
    );
    await fc.assert(
      fc.asyncProperty(
        fc.nat({ max: 1000 }).chain((seed) =>
          fc.record({
            offsetOf: offsetText,
            type: fc.oneof(
              { arbitrary: fc.constant("application/offset+octet-stream"), weight: 4 },
              fc.constantFrom("APPLICATION/OFFSET+OCTET-STREAM; x=1", "application/octet-stream", ""),
              printable,
            ),
            auth: fc.oneof(
              { arbitrary: fc.constant(`Bearer ${capability}`), weight: 4 },
              fc.constantFrom("", "Bearer", `bearer ${capability}`, `Bearer ${capability}x`),
              printable,
            ),
            length: fc.nat({ max: 700 }),
            seed: fc.constant(seed),
          }),
        ),
        async ({ offsetOf, type, auth, length, seed }) => {
          if (model.length === SIZE) return;
          const offset = offsetOf(model.length);
          const body = pattern(length, seed + 1);
          const answer = await send(url, {
            method: "PATCH",
            headers: { "upload-offset": offset, "content-type": type, authorization: auth, "content-length": String(length) },
            chunks: length > 0 ? [body] : [],
          });
          expect(answer.status).toBeGreaterThanOrEqual(200);
          expect(answer.status).toBeLessThan(500);
          const valid =
            offset === String(model.length) &&
            type.split(";")[0]?.trim().toLowerCase() === "application/offset+octet-stream" &&
            auth === `Bearer ${capability}` &&
            model.length + length <= SIZE;
          expect(answer.status === 204, JSON.stringify({ offset, type, auth, length, status: answer.status })).toBe(valid);
          if (valid) model = Buffer.concat([model, body]);
          if (valid) accepted++;
          expect((await uploadOffset(r, blobId, capability)).offset).toBe(model.length);
        },
      ),
      // Stateful (the upload moves on): report the first failure as it happened, unshrunk.
      { numRuns: RUNS, endOnFailure: true },
    );
    expect(accepted).toBeGreaterThan(3);
    if (model.length < SIZE) {
      const rest = pattern(SIZE - model.length, 99);
      const done = await send(url, {
        method: "PATCH",
        headers: {
          "upload-offset": String(model.length),
          "content-type": "application/offset+octet-stream",
          authorization: `Bearer ${capability}`,
        },
        chunks: [rest],
      });
      expect(done.status).toBe(204);
      model = Buffer.concat([model, rest]);
    }
    expect(Buffer.compare(Buffer.from(await (await fetch(url)).arrayBuffer()), model)).toBe(0);
  });

  it("GET with any Range: 200 whole, 206 exactly the slice it names, or 416 — never anything else", async () => {
    const body = Buffer.from(pattern(SIZE, 7));
    const { blobId, capability } = await grant(c, SIZE);
    const url = `${r.httpUrl}/blobs/${blobId}`;
    const put = await send(url, { method: "PUT", headers: { authorization: `Bearer ${capability}` }, chunks: [body] });
    expect(put.status).toBe(201);
    const bound = fc.oneof(fc.nat({ max: SIZE + 10 }).map(String), fc.constant(""), fc.constantFrom("x", "-1", "1e2", "9".repeat(17)));
    const range = fc.oneof(
      fc.tuple(bound, bound).map(([a, b]) => `bytes=${a}-${b}`),
      printable,
      fc.constantFrom("bytes=0-1,2-3", "bytes = 0-1"),
    );
    await fc.assert(
      fc.asyncProperty(range, async (value) => {
        const answer = await send(url, { method: "GET", headers: { range: value } });
        expect([200, 206, 416]).toContain(answer.status);
        if (answer.status === 200) expect(Buffer.compare(answer.body, body)).toBe(0);
        if (answer.status === 416) expect(answer.headers["content-range"]).toBe(`bytes */${SIZE}`);
        if (answer.status === 206) {
          const match = /^bytes (\d+)-(\d+)\/(\d+)$/.exec(answer.headers["content-range"] ?? "");
          if (!match) throw new Error(`bad Content-Range for ${value}`);
          const [start, end] = [Number(match[1]), Number(match[2])];
          expect(Number(match[3])).toBe(SIZE);
          expect(Buffer.compare(answer.body, body.subarray(start, end + 1))).toBe(0);
        }
      }),
      { numRuns: RUNS },
    );
  });
});
