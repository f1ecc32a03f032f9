// The blob behaviour every backend must keep (directory, PostgreSQL chunks, S3 multipart), over
// real HTTP against a relay on that backend: PUT stored whole and served whole, by Range and HEAD;
// the ticket's size N accepted and N+1 refused with nothing kept; a second upload refused;
// resumable PATCHes across chunk and part boundaries, a cut-off PATCH resumed from its durable
// offset; the sweep deleting expired bytes; start-up removing bytes no record accounts for; and,
// on the storage itself, bytes past the recorded offset dropped when an upload is reopened.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { BlobStorage } from "../src/blobs/blob-storage.js";
import { CHUNK_BYTES } from "../src/blobs/pg-blob-storage.js";
import { PART_BYTES } from "../src/blobs/s3-blob-storage.js";
import { type BlobBackend, directoryBackend, postgresAvailable, postgresBackend, s3Backend } from "./blob-backends.js";
import { type BlobRelay, blobDevice, grant, patch, patchHeaders, pattern, send, startBlobRelay, uploadOffset } from "./blob-http.js";
import type { SocketClient } from "./socket-client.js";

const PG_UP = await postgresAvailable();
const MAKERS = { directory: directoryBackend, postgres: postgresBackend, s3: s3Backend } as const;
const LIFETIME_MS = 60_000;

describe.each(["directory", "postgres", "s3"] as const)("blobs on %s", (name) => {
  const skip = name === "postgres" && !PG_UP;
  let backend: BlobBackend;
  let storage: BlobStorage;
  let r: BlobRelay;
  let c: SocketClient;
  const clock = { now: Date.now() };
  beforeAll(async () => {
    if (skip) return;
    backend = await MAKERS[name]();
    storage = await backend.open();
    r = await startBlobRelay({ blobs: storage, now: () => clock.now, limits: { blobLifetimeMs: LIFETIME_MS } });
    c = await blobDevice(r);
  });
  afterAll(async () => {
    if (skip) return;
    await c?.close();
    await r?.stop();
    await backend?.destroy();
  });

  const put = (blobId: string, capability: string, body: Uint8Array, chunked = false) =>
    send(`${r.httpUrl}/blobs/${blobId}`, {
      method: "PUT",
      headers: { authorization: `Bearer ${capability}`, ...(chunked ? {} : { "content-length": String(body.length) }) },
      chunks: [body],
    });
  const get = (blobId: string, range?: string) => send(`${r.httpUrl}/blobs/${blobId}`, { method: "GET", headers: range ? { range } : {} });

  it.skipIf(skip)("stores a PUT whole and serves it whole, by Range across chunk boundaries, and by HEAD", async () => {
    const size = 2 * CHUNK_BYTES + 1001;
    const body = Buffer.from(pattern(size, 3));
    const { blobId, capability } = await grant(c, size);
    expect((await put(blobId, capability, body)).status).toBe(201);
    expect(await storage.size(blobId)).toBe(size);
    expect(Buffer.compare((await get(blobId)).body, body)).toBe(0);
    for (const [start, end] of [
      [0, 0],
      [CHUNK_BYTES - 5, CHUNK_BYTES + 5],
      [CHUNK_BYTES, 2 * CHUNK_BYTES],
      [10, size - 1],
      [size - 1, size - 1],
    ] as const) {
      const answer = await get(blobId, `bytes=${start}-${end}`);
      expect(answer.status).toBe(206);
      expect(answer.headers["content-range"]).toBe(`bytes ${start}-${end}/${size}`);
      expect(Buffer.compare(answer.body, body.subarray(start, end + 1)), `${start}-${end}`).toBe(0);
    }
    expect((await get(blobId, `bytes=${size}-`)).status).toBe(416);
    const head = await send(`${r.httpUrl}/blobs/${blobId}`, { method: "HEAD" });
    expect([head.status, head.headers["content-length"], head.body.length]).toEqual([200, String(size), 0]);
  });

  it.skipIf(skip)("takes a PUT of exactly the ticket's size N; N+1 bytes (streamed) are 413 and nothing is kept", async () => {
    const size = CHUNK_BYTES + 1;
    const over = await grant(c, size);
    expect((await put(over.blobId, over.capability, pattern(size + 1, 4), true)).status).toBe(413);
    expect(await storage.size(over.blobId)).toBeUndefined();
    expect((await get(over.blobId)).status).toBe(404);
    const exact = await grant(c, size);
    expect((await put(exact.blobId, exact.capability, pattern(size, 4), true)).status).toBe(201);
    expect(await storage.size(exact.blobId)).toBe(size);
  });

  it.skipIf(skip)("refuses a second upload of a stored blob (409) and keeps the first", async () => {
    const body = pattern(1000, 5);
    const { blobId, capability } = await grant(c, 1000);
    expect((await put(blobId, capability, body)).status).toBe(201);
    expect((await put(blobId, capability, pattern(1000, 6))).status).toBe(409);
    expect((await patch(r, blobId, capability, 0, pattern(1000, 6))).status).toBe(409);
    expect(Buffer.compare((await get(blobId)).body, Buffer.from(body))).toBe(0);
  });

  it.skipIf(skip)("completes a resumable upload of PATCHes short of a part, across a part boundary and to the end", async () => {
    const size = PART_BYTES + CHUNK_BYTES + 7;
    const body = pattern(size, 7);
    const { blobId, capability } = await grant(c, size);
    const cuts = [0, 1_000_000, PART_BYTES + 100, size];
    for (let i = 0; i + 1 < cuts.length; i++) {
      const [from, to] = [cuts[i] as number, cuts[i + 1] as number];
      const answer = await patch(r, blobId, capability, from, body.subarray(from, to));
      expect([answer.status, answer.headers["upload-offset"]]).toEqual([204, String(to)]);
      expect((await uploadOffset(r, blobId, capability)).offset).toBe(to);
    }
    expect(Buffer.compare((await get(blobId)).body, Buffer.from(body))).toBe(0);
    const range = await get(blobId, `bytes=${PART_BYTES - 3}-${PART_BYTES + 3}`);
    expect(Buffer.compare(range.body, Buffer.from(body.subarray(PART_BYTES - 3, PART_BYTES + 4)))).toBe(0);
  });

  it.skipIf(skip)("keeps what a cut-off PATCH delivered and resumes from the durable offset", async () => {
    const size = 900_000;
    const body = pattern(size, 8);
    const { blobId, capability } = await grant(c, size);
    await send(`${r.httpUrl}/blobs/${blobId}`, {
      method: "PATCH",
      headers: patchHeaders(capability, 0, { "content-length": String(size) }),
      chunks: [body.subarray(0, 300_000), body.subarray(300_000, 600_000)],
      gapMs: 20,
      cutAfterMs: 150,
    });
    let stored = { offset: -1, status: 0 };
    for (let i = 0; i < 50 && stored.offset !== 600_000; i++) {
      stored = await uploadOffset(r, blobId, capability);
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    expect(stored.offset).toBe(600_000);
    expect((await patch(r, blobId, capability, 600_000, body.subarray(600_000))).status).toBe(204);
    expect(Buffer.compare((await get(blobId)).body, Buffer.from(body))).toBe(0);
  });

  it.skipIf(skip)("refuses a PATCH that runs past the declared size (413) and keeps the offset", async () => {
    const { blobId, capability } = await grant(c, 1000);
    expect((await patch(r, blobId, capability, 0, pattern(600))).status).toBe(204);
    const answer = await patch(r, blobId, capability, 600, pattern(401));
    expect(answer.status).toBe(413);
    expect((await uploadOffset(r, blobId, capability)).offset).toBe(600);
    expect((await patch(r, blobId, capability, 600, pattern(400))).status).toBe(204);
    expect(await storage.size(blobId)).toBe(1000);
  });

  it.skipIf(skip)("answers 20 back-to-back PATCHes, each sent as soon as the last was answered, without a spurious 409", async () => {
    const body = pattern(20_000, 12);
    const { blobId, capability } = await grant(c, body.length);
    for (let offset = 0; offset < body.length; offset += 1000) {
      const answer = await patch(r, blobId, capability, offset, body.subarray(offset, offset + 1000));
      expect([answer.status, answer.headers["upload-offset"]], `at ${offset}`).toEqual([204, String(offset + 1000)]);
    }
    expect(Buffer.compare((await get(blobId)).body, Buffer.from(body))).toBe(0);
  });

  it.skipIf(skip)("deletes an expired blob's bytes at the sweep", async () => {
    const { blobId, capability } = await grant(c, 5000);
    expect((await put(blobId, capability, pattern(5000))).status).toBe(201);
    clock.now += LIFETIME_MS + 1;
    try {
      expect((await get(blobId)).status).toBe(404);
      await r.relay.sweep();
      expect(await storage.size(blobId)).toBeUndefined();
    } finally {
      clock.now -= LIFETIME_MS + 1;
    }
  });

  it.skipIf(skip)("drops bytes past the recorded offset when an upload is opened again", async () => {
    const blobId = "ab".repeat(16);
    const first = await storage.openPartial(blobId, 0, 700_000);
    if (!first) throw new Error("no upload");
    await first.write(pattern(300_000, 9));
    const recorded = await first.sync();
    expect(recorded).toBe(300_000);
    await first.write(pattern(100_000, 10)); // never recorded
    await first.close();
    const again = await storage.openPartial(blobId, recorded, 700_000);
    if (!again) throw new Error("recorded bytes lost");
    await again.write(pattern(400_000, 11));
    expect(await again.sync()).toBe(700_000);
    await again.close();
    expect(await storage.publishPartial(blobId, 700_000)).toBe(true);
    expect(await storage.publishPartial(blobId, 700_000)).toBe(true); // idempotent
    const read = await storage.read(blobId, { start: 299_990, end: 300_009 });
    const bytes = Buffer.concat((await read?.stream.toArray()) ?? []);
    expect(Buffer.compare(bytes, Buffer.concat([pattern(300_000, 9).subarray(299_990), pattern(400_000, 11).subarray(0, 10)]))).toBe(0);
    expect(await storage.openPartial("cd".repeat(16), 10, 100)).toBeUndefined();
    await storage.remove(blobId);
    expect(await storage.size(blobId)).toBeUndefined();
  });

  it.skipIf(skip)("removes bytes no record accounts for at start-up", async () => {
    const stray = "ef".repeat(16);
    expect(
      await storage.write(
        stray,
        (async function* () {
          yield pattern(2000);
        })(),
        2000,
      ),
    ).toEqual({ ok: true, size: 2000 });
    const partial = await storage.openPartial("12".repeat(16), 0, 5000);
    await partial?.write(pattern(100));
    await partial?.sync();
    await partial?.close();
    const { blobId, capability } = await grant(c, 3000);
    expect((await put(blobId, capability, pattern(3000))).status).toBe(201);
    const second = await startBlobRelay({ blobs: await backend.open(), storePath: `${r.dataDir}/relay.sqlite` });
    try {
      expect(await storage.size(stray)).toBeUndefined();
      expect(await storage.openPartial("12".repeat(16), 100, 5000)).toBeUndefined();
      expect(await storage.size(blobId)).toBe(3000);
    } finally {
      await second.stop();
    }
  });
});
