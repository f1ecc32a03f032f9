// Blob lifetimes with a controlled clock, and restarts (spec/relay.md §9.3, §9.5): progress keeps
// a ticket alive up to maxBlobUploadMs, an abandoned partial upload is swept with its bytes, a
// blob expires after blobLifetimeMs (and --blob-lifetime), and an upload survives a relay
// restart: the durable offset is kept, bytes written past it are cut off, a completion the stop
// interrupted is finished, and files no record accounts for are removed.
import { appendFileSync, existsSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import Database from "better-sqlite3";
import { describe, expect, it } from "vitest";
import { blobDevice, grant, patch, patchHeaders, pattern, send, startBlobRelay, uploadOffset } from "./blob-http.js";

const TICKET = 1000;
const WINDOW = 2500;

describe("ticket keep-alive and sweeping", () => {
  it("extends a ticket on each durable PATCH, never past maxBlobUploadMs, then sweeps the partial upload and its bytes", async () => {
    let clock = Date.now();
    const r = await startBlobRelay({ now: () => clock, limits: { blobTicketLifetimeMs: TICKET, maxBlobUploadMs: WINDOW } });
    try {
      const c = await blobDevice(r);
      const t0 = clock;
      const { blobId, capability } = await grant(c, 1000);
      const unused = await grant(c, 10);
      clock = t0 + 900;
      expect((await patch(r, blobId, capability, 0, pattern(100))).status).toBe(204);
      clock = t0 + 1500; // past the first expiry: kept alive by the progress at t0 + 900
      expect(await uploadOffset(r, blobId, capability)).toMatchObject({ status: 200, offset: 100 });
      expect((await uploadOffset(r, unused.blobId, unused.capability)).status).toBe(401);
      await r.relay.sweep();
      expect(existsSync(join(r.blobDir, `${blobId}.upload`))).toBe(true);
      expect(await r.relay.context.store.getBlob(unused.blobId)).toBeUndefined();
      expect((await patch(r, blobId, capability, 100, pattern(100))).status).toBe(204);
      clock = t0 + 2400;
      expect((await patch(r, blobId, capability, 200, pattern(100))).status).toBe(204);
      // Granted at t0: no progress keeps it past t0 + maxBlobUploadMs.
      expect((await r.relay.context.store.getBlob(blobId))?.ticketExpiresAt).toBe(t0 + WINDOW);
      clock = t0 + WINDOW;
      expect((await uploadOffset(r, blobId, capability)).status).toBe(401);
      expect((await patch(r, blobId, capability, 300, pattern(100))).status).toBe(401);
      await r.relay.sweep();
      expect(await r.relay.context.store.getBlob(blobId)).toBeUndefined();
      expect(readdirSync(r.blobDir).filter((name) => name.startsWith(blobId))).toEqual([]);
      await c.close();
    } finally {
      await r.stop();
    }
  });

  it("serves a blob until blobLifetimeMs after completion, then 404 and its file is swept", async () => {
    let clock = Date.now();
    const r = await startBlobRelay({ now: () => clock, limits: { blobLifetimeMs: 5000 } });
    try {
      const c = await blobDevice(r);
      const { blobId, capability } = await grant(c, 100);
      expect((await patch(r, blobId, capability, 0, pattern(100))).status).toBe(204);
      clock += 4999;
      expect((await fetch(`${r.httpUrl}/blobs/${blobId}`)).status).toBe(200);
      clock += 1;
      expect((await fetch(`${r.httpUrl}/blobs/${blobId}`)).status).toBe(404);
      expect((await uploadOffset(r, blobId, capability)).status).toBe(404);
      expect((await patch(r, blobId, capability, 100, pattern(1))).status).toBe(404);
      await r.relay.sweep();
      expect(existsSync(join(r.blobDir, blobId))).toBe(false);
      await c.close();
    } finally {
      await r.stop();
    }
  });
});

describe("draining", () => {
  it("refuses new upload bytes with 503 and Retry-After once the node drains, and still serves downloads", async () => {
    const r = await startBlobRelay();
    try {
      const c = await blobDevice(r);
      const done = await grant(c, 100);
      const open = await grant(c, 100);
      const auth = (capability: string) => ({ authorization: `Bearer ${capability}` });
      expect(
        (await send(`${r.httpUrl}/blobs/${done.blobId}`, { method: "PUT", headers: auth(done.capability), chunks: [pattern(100)] })).status,
      ).toBe(201);
      expect((await patch(r, open.blobId, open.capability, 0, pattern(40))).status).toBe(204);
      await c.close();
      const drained = r.relay.drain();
      await drained;
      const put = await send(`${r.httpUrl}/blobs/${open.blobId}`, {
        method: "PUT",
        headers: auth(open.capability),
        chunks: [pattern(100)],
      });
      expect(put.status).toBe(503);
      expect(put.headers["retry-after"]).toBe("1");
      const patched = await send(`${r.httpUrl}/blobs/${open.blobId}`, {
        method: "PATCH",
        headers: patchHeaders(open.capability, 40),
        chunks: [pattern(60)],
      });
      expect(patched.status).toBe(503);
      // Nothing of the refused PATCH was kept: the upload resumes from 40 elsewhere.
      expect(await r.relay.context.store.getBlob(open.blobId)).toMatchObject({ uploadOffset: 40 });
      const download = await send(`${r.httpUrl}/blobs/${done.blobId}`, { method: "GET" });
      expect(download.status).toBe(200);
      expect(new Uint8Array(download.body)).toEqual(pattern(100));
    } finally {
      await r.stop();
    }
  });
});

describe("restarts", () => {
  it("resumes an upload after a restart from its durable offset, cutting bytes written past it", async () => {
    const body = pattern(3000, 21);
    const first = await startBlobRelay();
    const c = await blobDevice(first);
    const { blobId, capability } = await grant(c, body.length);
    expect((await patch(first, blobId, capability, 0, body.subarray(0, 1200))).status).toBe(204);
    await c.close();
    await first.stop(false);
    // Bytes a crash left past the recorded offset (written, never acknowledged).
    appendFileSync(join(first.blobDir, `${blobId}.upload`), Buffer.alloc(500, 0xee));
    // Files no record accounts for.
    const stray = "ab".repeat(16);
    writeFileSync(join(first.blobDir, stray), "x");
    writeFileSync(join(first.blobDir, `${stray}.upload`), "x");
    const second = await startBlobRelay({ dataDir: first.dataDir });
    try {
      expect(existsSync(join(second.blobDir, stray))).toBe(false);
      expect(existsSync(join(second.blobDir, `${stray}.upload`))).toBe(false);
      expect(await uploadOffset(second, blobId, capability)).toMatchObject({ status: 200, offset: 1200, length: body.length });
      expect((await patch(second, blobId, capability, 1200, body.subarray(1200))).headers["upload-offset"]).toBe(String(body.length));
      expect(Buffer.compare(readFileSync(join(second.blobDir, blobId)), Buffer.from(body))).toBe(0);
    } finally {
      await second.stop();
    }
  });

  it("finishes an upload whose last bytes were durable and published when the relay stopped before recording completion", async () => {
    const body = pattern(2000, 22);
    const first = await startBlobRelay();
    const c = await blobDevice(first);
    const { blobId, capability } = await grant(c, body.length);
    expect((await patch(first, blobId, capability, 0, body)).status).toBe(204);
    await c.close();
    await first.stop(false);
    // Undo the completion record only: the state after `publish` and before `completeBlob`.
    const db = new Database(join(first.dataDir, "relay.sqlite"));
    db.prepare("UPDATE blobs SET size = NULL, expires_at = NULL WHERE blob_id = ?").run(blobId);
    db.close();
    const second = await startBlobRelay({ dataDir: first.dataDir });
    try {
      expect((await fetch(`${second.httpUrl}/blobs/${blobId}`)).status).toBe(404);
      expect(await uploadOffset(second, blobId, capability)).toEqual({ status: 200, offset: body.length, length: body.length });
      const got = await fetch(`${second.httpUrl}/blobs/${blobId}`);
      expect(got.status).toBe(200);
      expect(Buffer.compare(Buffer.from(await got.arrayBuffer()), Buffer.from(body))).toBe(0);
    } finally {
      await second.stop();
    }
  });
});
