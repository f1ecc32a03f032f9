// The blob behaviour every backend must keep (directory, PostgreSQL chunks, S3 multipart), over
// real HTTP against a relay on that backend: PUT stored whole and served whole, by Range and HEAD;
// the ticket's size N accepted and N+1 refused with nothing kept; a second upload refused;
// a cut-off PUT leaving nothing; two concurrent PUTs, one stored whole; the ticket quota at N and
// N+1; resumable PATCHes across chunk and part boundaries, a cut-off PATCH resumed from its durable
// offset; the sweep deleting expired bytes; start-up removing bytes no record accounts for; and,
// on the storage itself, bytes past the recorded offset dropped when an upload is reopened.
import { readFileSync } from "node:fs";
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
/** Open tickets per account (the suite's device holds many: the quota is checked on a new one). */
const TICKETS = 40;

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
    r = await startBlobRelay({
      blobs: storage,
      now: () => clock.now,
      limits: { blobLifetimeMs: LIFETIME_MS, maxOpenBlobTickets: TICKETS },
    });
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

  it.skipIf(skip)("round-trips PUTs at each storage boundary N and N+1 (a chunk, a part) and of 1 byte", async () => {
    for (const size of [1, CHUNK_BYTES, CHUNK_BYTES + 1, PART_BYTES, PART_BYTES + 1]) {
      const body = Buffer.from(pattern(size, size % 97));
      const { blobId, capability } = await grant(c, size);
      expect((await put(blobId, capability, body)).status, `${size}`).toBe(201);
      expect(await storage.size(blobId)).toBe(size);
      expect(Buffer.compare((await get(blobId)).body, body), `${size}`).toBe(0);
      const last = await get(blobId, `bytes=-1`);
      expect([last.status, last.body[0]]).toEqual([206, body[size - 1]]);
      await storage.remove(blobId);
    }
  });

  it.skipIf(skip)("keeps nothing of a PUT cut off mid-body, logs no error, and takes the retry", async () => {
    const size = CHUNK_BYTES * 2;
    const body = pattern(size, 13);
    const { blobId, capability } = await grant(c, size);
    const cut = await send(`${r.httpUrl}/blobs/${blobId}`, {
      method: "PUT",
      headers: { authorization: `Bearer ${capability}`, "content-length": String(size) },
      chunks: [body.subarray(0, CHUNK_BYTES + 10)],
      cutAfterMs: 50,
    });
    expect(cut.status).toBe(0);
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect(await storage.size(blobId)).toBeUndefined();
    expect(await storage.health(1)).toBe("ok");
    expect((await put(blobId, capability, body)).status).toBe(201);
    expect(Buffer.compare((await get(blobId)).body, Buffer.from(body))).toBe(0);
    const errors = readFileSync(r.logFile, "utf8")
      .split("\n")
      .filter((line) => line.includes('"level":50'));
    expect(errors).toEqual([]);
  });

  it.skipIf(skip)("lets one of two concurrent PUTs of one blob store its whole body; the other gets 409", async () => {
    const size = 2 * CHUNK_BYTES;
    const [first, second] = [pattern(size, 14), pattern(size, 15)];
    const { blobId, capability } = await grant(c, size);
    const pieces = (body: Uint8Array) => Array.from({ length: 8 }, (_, i) => body.subarray((i * size) / 8, ((i + 1) * size) / 8));
    const answers = await Promise.all(
      [first, second].map((body) =>
        send(`${r.httpUrl}/blobs/${blobId}`, {
          method: "PUT",
          headers: { authorization: `Bearer ${capability}`, "content-length": String(size) },
          chunks: pieces(body),
          gapMs: 10,
        }),
      ),
    );
    expect(answers.map((a) => a.status).sort()).toEqual([201, 409]);
    const winner = answers[0]?.status === 201 ? first : second;
    expect(Buffer.compare((await get(blobId)).body, Buffer.from(winner))).toBe(0);
  });

  it.skipIf(skip)("serves downloads while more slow PUTs are under way than the backend has connections", async () => {
    const stored = await grant(c, 1000);
    expect((await put(stored.blobId, stored.capability, pattern(1000, 16))).status).toBe(201);
    const slow = await Promise.all(Array.from({ length: 6 }, () => grant(c, 10 * 1000)));
    const uploads = slow.map(({ blobId, capability }) =>
      send(`${r.httpUrl}/blobs/${blobId}`, {
        method: "PUT",
        headers: { authorization: `Bearer ${capability}`, "content-length": String(10 * 1000) },
        chunks: Array.from({ length: 10 }, (_, i) => pattern(1000, i)),
        gapMs: 300,
      }),
    );
    await new Promise((resolve) => setTimeout(resolve, 400));
    const started = performance.now();
    const download = await get(stored.blobId);
    const waited = performance.now() - started;
    expect(download.status).toBe(200);
    expect(waited).toBeLessThan(1500);
    expect((await Promise.all(uploads)).map((u) => u.status)).toEqual(Array(6).fill(201));
  });

  it.skipIf(skip)("grants maxOpenBlobTickets open tickets per account and refuses one more (QUOTA_EXCEEDED)", async () => {
    const fresh = await blobDevice(r);
    try {
      for (let i = 0; i < TICKETS; i++) await grant(fresh, 10);
      expect(await fresh.request({ t: "blob_ticket", size: 10 })).toMatchObject({ t: "error", code: "QUOTA_EXCEEDED" });
    } finally {
      await fresh.close();
    }
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
