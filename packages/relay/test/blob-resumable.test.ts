// Resumable blob uploads over real sockets (spec/relay.md §9.3, REL-073, issue 14): HEAD/PATCH with
// Upload-Offset, completion at exactly the declared size (N accepted, N+1 → 413), an upload cut
// mid-PATCH resumes from what the relay made durable, two concurrent PATCHes (one wins, 409 with
// the offset for the other), PUT and PATCH exclude each other, quotas hold across partial
// uploads, and the files on disk are exactly the uploaded bytes.
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type BlobRelay, blobDevice, grant, patch, patchHeaders, pattern, send, sleep, startBlobRelay, uploadOffset } from "./blob-http.js";
import type { SocketClient } from "./socket-client.js";

const MAX_BLOB = 1024 * 1024;
let r: BlobRelay;
let c: SocketClient;
beforeAll(async () => {
  r = await startBlobRelay({ limits: { maxBlobBytes: MAX_BLOB, maxOpenBlobTickets: 100, blobUploadIdleMs: 500 } });
  c = await blobDevice(r);
});
afterAll(async () => {
  await c.close();
  await r.stop();
});

/** Every ticket granted here, so the log can be checked for them. */
const granted: { blobId: string; capability: string }[] = [];
async function ticket(size: number) {
  const t = await grant(c, size);
  granted.push(t);
  return t;
}
const blobUrl = (blobId: string) => `${r.httpUrl}/blobs/${blobId}`;
const stored = async (blobId: string) => Buffer.from(await (await fetch(blobUrl(blobId))).arrayBuffer());

describe("resumable upload", () => {
  it("uploads in segments: HEAD tells the durable offset, the last PATCH completes at the declared size, disk holds exactly the bytes", async () => {
    const body = pattern(300_000);
    const { blobId, capability } = await ticket(body.length);
    expect(await uploadOffset(r, blobId, capability)).toEqual({ status: 200, offset: 0, length: body.length });
    for (const [from, to] of [
      [0, 100_000],
      [100_000, 250_000],
      [250_000, 300_000],
    ] as const) {
      expect((await fetch(blobUrl(blobId))).status).toBe(404);
      const answer = await patch(r, blobId, capability, from, body.subarray(from, to));
      expect(answer.status).toBe(204);
      expect(answer.headers["upload-offset"]).toBe(String(to));
      expect(await uploadOffset(r, blobId, capability)).toMatchObject({ offset: to, length: body.length });
    }
    expect(Buffer.compare(await stored(blobId), Buffer.from(body))).toBe(0);
    // The relay stores exactly the uploaded ciphertext, and nothing of the upload is left beside it.
    expect(Buffer.compare(readFileSync(join(r.blobDir, blobId)), Buffer.from(body))).toBe(0);
    expect(readdirSync(r.blobDir).filter((name) => name.startsWith(blobId))).toEqual([blobId]);
    // Complete: immutable. Any PATCH is a conflict that tells the final offset; so is a PUT.
    const again = await patch(r, blobId, capability, 250_000, body.subarray(250_000));
    expect(again.status).toBe(409);
    expect(again.headers["upload-offset"]).toBe(String(body.length));
    expect(
      (await send(blobUrl(blobId), { method: "PUT", headers: { authorization: `Bearer ${capability}` }, chunks: [body] })).status,
    ).toBe(409);
    expect(Buffer.compare(await stored(blobId), Buffer.from(body))).toBe(0);
  });

  it("completes at exactly the declared size: N bytes accepted, N+1 refused with 413 (Content-Length or a longer chunked body)", async () => {
    const size = 5000;
    const { blobId, capability } = await ticket(size);
    expect((await patch(r, blobId, capability, 0, pattern(size - 1))).status).toBe(204);
    const over = await patch(r, blobId, capability, size - 1, pattern(2));
    expect(over.status).toBe(413);
    expect(JSON.parse(over.body.toString())).toEqual({ error: "BLOB_TOO_LARGE" });
    expect(over.headers["upload-offset"]).toBe(String(size - 1));
    const chunked = await send(blobUrl(blobId), {
      method: "PATCH",
      headers: patchHeaders(capability, size - 1, { "transfer-encoding": "chunked" }),
      chunks: [pattern(1), pattern(1)],
      gapMs: 20,
    });
    expect(chunked.status).toBe(413);
    expect(await uploadOffset(r, blobId, capability)).toMatchObject({ offset: size - 1 });
    const last = await patch(r, blobId, capability, size - 1, pattern(1, 9));
    expect(last.status).toBe(204);
    expect(last.headers["upload-offset"]).toBe(String(size));
    expect(Buffer.compare(await stored(blobId), Buffer.concat([pattern(size - 1), pattern(1, 9)]))).toBe(0);
  });

  it("grants a ticket of maxBlobBytes and completes it; maxBlobBytes + 1 is refused with BLOB_TOO_LARGE", async () => {
    expect(await c.request({ t: "blob_ticket", size: MAX_BLOB + 1 })).toMatchObject({ t: "error", code: "BLOB_TOO_LARGE" });
    const body = pattern(MAX_BLOB, 3);
    const { blobId, capability } = await ticket(MAX_BLOB);
    expect((await patch(r, blobId, capability, 0, body.subarray(0, MAX_BLOB / 2))).status).toBe(204);
    expect((await patch(r, blobId, capability, MAX_BLOB / 2, body.subarray(MAX_BLOB / 2))).headers["upload-offset"]).toBe(String(MAX_BLOB));
    expect(Buffer.compare(await stored(blobId), Buffer.from(body))).toBe(0);
  });

  it("answers a PATCH at another offset than the stored one with 409 and the stored Upload-Offset", async () => {
    const { blobId, capability } = await ticket(1000);
    expect((await patch(r, blobId, capability, 0, pattern(400))).status).toBe(204);
    for (const offset of [0, 399, 401, 1000]) {
      const answer = await patch(r, blobId, capability, offset, pattern(10));
      expect(answer.status, String(offset)).toBe(409);
      expect(answer.headers["upload-offset"]).toBe("400");
      expect(JSON.parse(answer.body.toString())).toEqual({ error: "CONFLICT" });
    }
    expect(await uploadOffset(r, blobId, capability)).toMatchObject({ offset: 400 });
  });

  it("refuses bad requests without storing anything: 401 wrong capability, 415 media type, 400 bad Upload-Offset, 404 GET of a partial blob", async () => {
    const { blobId, capability } = await ticket(1000);
    const body = [pattern(10)];
    const at = (headers: Record<string, string>) => send(blobUrl(blobId), { method: "PATCH", headers, chunks: body });
    expect((await at(patchHeaders("wrong", 0))).status).toBe(401);
    expect((await at({ ...patchHeaders(capability, 0), authorization: "" })).status).toBe(401);
    expect((await at(patchHeaders(capability, 0, { "content-type": "application/octet-stream" }))).status).toBe(415);
    for (const offset of ["", "-1", "+0", "1e3", "0x0", "0 1", "0, 0", "99999999999999999"])
      expect((await at(patchHeaders(capability, 0, { "upload-offset": offset }))).status, JSON.stringify(offset)).toBe(400);
    const { "upload-offset": _, ...noOffset } = patchHeaders(capability, 0);
    expect((await at(noOffset)).status).toBe(400);
    expect((await uploadOffset(r, blobId, "wrong")).status).toBe(401);
    expect(await uploadOffset(r, blobId, capability)).toMatchObject({ status: 200, offset: 0 });
    expect((await patch(r, blobId, capability, 0, pattern(10))).status).toBe(204);
    expect((await fetch(blobUrl(blobId))).status).toBe(404);
    expect((await fetch(blobUrl(blobId), { method: "HEAD" })).status).toBe(404);
    expect((await send(blobUrl(blobId), { method: "DELETE" })).status).toBe(405);
  });

  it("keeps a PUT and a PATCH apart: a PUT after PATCH progress is a 409, a PATCH on a PUT blob is a 409 with its size", async () => {
    const a = await ticket(100);
    expect((await patch(r, a.blobId, a.capability, 0, pattern(50))).status).toBe(204);
    const put = await send(blobUrl(a.blobId), {
      method: "PUT",
      headers: { authorization: `Bearer ${a.capability}` },
      chunks: [pattern(100)],
    });
    expect(put.status).toBe(409);
    expect(await uploadOffset(r, a.blobId, a.capability)).toMatchObject({ offset: 50 });
    const b = await ticket(100);
    expect(
      (await send(blobUrl(b.blobId), { method: "PUT", headers: { authorization: `Bearer ${b.capability}` }, chunks: [pattern(100)] }))
        .status,
    ).toBe(201);
    const late = await patch(r, b.blobId, b.capability, 0, pattern(100));
    expect(late.status).toBe(409);
    expect(late.headers["upload-offset"]).toBe("100");
    expect(await uploadOffset(r, b.blobId, b.capability)).toEqual({ status: 200, offset: 100, length: 100 });
  });
});

describe("interrupted and concurrent uploads", () => {
  it("keeps what arrived of a PATCH whose socket was cut mid-body, and resumes from the stored offset to the exact bytes", async () => {
    const body = pattern(600_000, 5);
    const { blobId, capability } = await ticket(body.length);
    const cut = await send(blobUrl(blobId), {
      method: "PATCH",
      headers: patchHeaders(capability, 0, { "content-length": String(body.length) }),
      chunks: [body.subarray(0, 100_000), body.subarray(100_000, 250_000)],
      gapMs: 30,
      cutAfterMs: 100,
    });
    expect(cut.status).toBe(0);
    let offset = 0;
    for (let i = 0; i < 50 && offset === 0; i++) {
      await sleep(20);
      offset = (await uploadOffset(r, blobId, capability)).offset;
    }
    // Everything the relay received was made durable (the socket carried it whole: 250,000 bytes).
    expect(offset).toBe(250_000);
    expect(
      Buffer.compare(readFileSync(join(r.blobDir, `${blobId}.upload`)).subarray(0, offset), Buffer.from(body.subarray(0, offset))),
    ).toBe(0);
    const rest = await patch(r, blobId, capability, offset, body.subarray(offset));
    expect(rest.status).toBe(204);
    expect(rest.headers["upload-offset"]).toBe(String(body.length));
    expect(Buffer.compare(await stored(blobId), Buffer.from(body))).toBe(0);
    expect(existsSync(join(r.blobDir, `${blobId}.upload`))).toBe(false);
  });

  it("releases a PATCH whose client went silent after blobUploadIdleMs, keeping what arrived", async () => {
    const body = pattern(50_000, 6);
    const { blobId, capability } = await ticket(body.length);
    const hanging = send(blobUrl(blobId), {
      method: "PATCH",
      headers: patchHeaders(capability, 0, { "content-length": String(body.length) }),
      chunks: [body.subarray(0, 20_000)],
      cutAfterMs: 5000,
    });
    await sleep(100);
    // While the first PATCH holds the upload, another is a conflict.
    const meanwhile = await patch(r, blobId, capability, 0, body);
    expect(meanwhile.status).toBe(409);
    await sleep(700);
    expect(await uploadOffset(r, blobId, capability)).toMatchObject({ offset: 20_000 });
    expect((await patch(r, blobId, capability, 20_000, body.subarray(20_000))).status).toBe(204);
    expect(Buffer.compare(await stored(blobId), Buffer.from(body))).toBe(0);
    await hanging;
  });

  it("lets one of two concurrent PATCHes at the same offset append; the other gets 409 with the stored offset", async () => {
    const size = 512 * 1024;
    const { blobId, capability } = await ticket(size);
    const chunk = 32 * 1024;
    const bodyOf = (byte: number) => Array.from({ length: size / chunk }, () => new Uint8Array(chunk).fill(byte));
    const racer = (byte: number) =>
      send(blobUrl(blobId), {
        method: "PATCH",
        headers: patchHeaders(capability, 0, { "content-length": String(size) }),
        chunks: bodyOf(byte),
        gapMs: 2,
      });
    const [a, b] = await Promise.all([racer(0xaa), racer(0xbb)]);
    expect([a.status, b.status].sort()).toEqual([204, 409]);
    const loser = a.status === 409 ? a : b;
    expect(JSON.parse(loser.body.toString())).toEqual({ error: "CONFLICT" });
    expect(Number(loser.headers["upload-offset"])).toBeLessThan(size);
    const winner = a.status === 204 ? 0xaa : 0xbb;
    const bytes = await stored(blobId);
    expect(bytes.length).toBe(size);
    expect(bytes.every((byte) => byte === winner)).toBe(true);
  });
});

describe("the relay's log", () => {
  it("holds no blob id or capability, and no error, after all of the above", () => {
    const log = readFileSync(r.logFile, "utf8");
    expect(granted.length).toBeGreaterThan(8);
    for (const { blobId, capability } of granted) {
      expect(log).not.toContain(blobId);
      expect(log).not.toContain(capability);
    }
    expect(log.split("\n").filter((line) => line.includes('"level":50'))).toEqual([]);
  });
});

describe("quotas across partial uploads", () => {
  it("counts a partly uploaded ticket as open and its declared size as reserved until it completes", async () => {
    const q = await startBlobRelay({ limits: { maxOpenBlobTickets: 2, maxBlobBytesPerAccount: 10_000 } });
    try {
      const d = await blobDevice(q);
      const first = await grant(d, 6000);
      expect((await patch(q, first.blobId, first.capability, 0, pattern(3000))).status).toBe(204);
      // 3,000 bytes stored, but 6,000 stay reserved: 4,000 more fit, 4,001 do not.
      expect(await d.request({ t: "blob_ticket", size: 4001 })).toMatchObject({ t: "error", code: "QUOTA_EXCEEDED" });
      const second = await grant(d, 4000);
      expect((await patch(q, second.blobId, second.capability, 0, pattern(1))).status).toBe(204);
      // Two open tickets, both partial: a third is refused whatever its size.
      expect(await d.request({ t: "blob_ticket", size: 1 })).toMatchObject({ t: "error", code: "QUOTA_EXCEEDED" });
      expect((await patch(q, first.blobId, first.capability, 3000, pattern(3000))).status).toBe(204);
      // Completed: the ticket slot is free again, its 6,000 bytes stay counted.
      expect(await d.request({ t: "blob_ticket", size: 1 })).toMatchObject({ t: "error", code: "QUOTA_EXCEEDED" });
      await d.close();
    } finally {
      await q.stop();
    }
  });
});
