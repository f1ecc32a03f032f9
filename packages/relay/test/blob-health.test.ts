// Health of the shared blob backends (GET /healthz via relayHealth): PostgreSQL and S3 report
// "failing" after a failed call and "ok" again once a call or the health check's own probe
// succeeds (so /healthz recovers with no blob traffic); the directory keeps its
// free-space check. A failure reaches clients as a typed StorageError, never as a 500 with text.

import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import pg from "pg";
import S3rver from "s3rver";
import { afterAll, describe, expect, it } from "vitest";
import { blobStorageFor } from "../src/blobs/open-blobs.js";
import { relayHealth } from "../src/server/status-routes.js";
import { StorageError } from "../src/store/storage-error.js";
import { PG_URL, postgresAvailable, postgresBackend } from "./blob-backends.js";
import { blobDevice, grant, send, startBlobRelay } from "./blob-http.js";

const PG_UP = await postgresAvailable();
const ID = "0f".repeat(16);
const cleanups: (() => Promise<void>)[] = [];
afterAll(async () => {
  for (const cleanup of cleanups.reverse()) await cleanup();
});

describe("blob storage health", () => {
  it.skipIf(!PG_UP)("PostgreSQL: failing after a failed query, through /healthz too, until a call succeeds", async () => {
    const backend = await postgresBackend();
    cleanups.push(() => backend.destroy());
    const r = await startBlobRelay({ blobs: await backend.open() });
    cleanups.push(() => r.stop());
    const storage = r.relay.context.blobs;
    const c = await blobDevice(r);
    cleanups.push(async () => {
      await c.close();
    });
    const stored = await grant(c, 100);
    const put = await send(`${r.httpUrl}/blobs/${stored.blobId}`, {
      method: "PUT",
      headers: { authorization: `Bearer ${stored.capability}`, "content-length": "100" },
      chunks: [new Uint8Array(100)],
    });
    expect(put.status).toBe(201);
    expect(await storage.health(1)).toBe("ok");
    // The tables vanish under the relay (an operator's mistake, a failed restore).
    const schema = new URL(backend.url).searchParams.get("schema") as string;
    const admin = new pg.Client({ connectionString: PG_URL });
    await admin.connect();
    await admin.query(`DROP SCHEMA "${schema}" CASCADE`);
    await admin.end();
    await expect(storage.size(ID)).rejects.toBeInstanceOf(StorageError);
    expect(await storage.health(1)).toBe("failing");
    expect(await relayHealth(r.relay.context)).toBe("storage_failing");
    const health = await send(`${r.httpUrl}/healthz`, { method: "GET" });
    expect(health.status).toBe(503);
    const get = await send(`${r.httpUrl}/blobs/${stored.blobId}`, { method: "GET" });
    expect([get.status, JSON.parse(get.body.toString())]).toEqual([503, { error: "UNAVAILABLE" }]);
    // The health check probes the tables: still failing while they are missing, ok once they are back, with no blob call.
    expect(await storage.health(1)).toBe("failing");
    await storage.init(); // recreated
    expect(await storage.health(1)).toBe("ok");
    expect(await storage.size(ID)).toBeUndefined();
    expect(await relayHealth(r.relay.context)).toBe("ok");
  });

  it("S3: failing while the endpoint does not answer, ok once it answers again", async () => {
    const dir = mkdtempSync(join(tmpdir(), "parley-s3rver-"));
    cleanups.push(async () => rmSync(dir, { recursive: true, force: true }));
    const options = { address: "127.0.0.1", port: 0, silent: true, directory: dir, configureBuckets: [{ name: "parley-blobs" }] };
    const first = new S3rver(options);
    const { port } = await first.run();
    const storage = blobStorageFor(`s3://S3RVER:S3RVER@parley-blobs?endpoint=http://127.0.0.1:${port}`, "/data");
    await storage.init();
    expect(await storage.health(1)).toBe("ok");
    first.httpServer.closeAllConnections();
    await first.close();
    await expect(storage.size(ID)).rejects.toBeInstanceOf(StorageError);
    expect(await storage.health(1)).toBe("failing");
    expect(await storage.health(1)).toBe("failing"); // the probe fails too
    const second = new S3rver({ ...options, port });
    await second.run();
    cleanups.push(async () => {
      second.httpServer.closeAllConnections();
      await second.close();
    });
    // Recovers by the health check's own probe, before any blob call.
    expect(await storage.health(1)).toBe("ok");
    expect(await storage.size(ID)).toBeUndefined();
  });

  it("S3: a ticket's upload to a bucket that is gone is answered 503 UNAVAILABLE, and the relay keeps serving", async () => {
    const dir = mkdtempSync(join(tmpdir(), "parley-s3rver-"));
    cleanups.push(async () => rmSync(dir, { recursive: true, force: true }));
    const server = new S3rver({
      address: "127.0.0.1",
      port: 0,
      silent: true,
      directory: dir,
      configureBuckets: [{ name: "parley-blobs" }],
    });
    const { port } = await server.run();
    const r = await startBlobRelay({ blobs: blobStorageFor(`s3://S3RVER:S3RVER@parley-blobs?endpoint=http://127.0.0.1:${port}`, "/data") });
    cleanups.push(() => r.stop());
    const c = await blobDevice(r);
    cleanups.push(async () => {
      await c.close();
    });
    const { blobId, capability } = await grant(c, 100);
    server.httpServer.closeAllConnections();
    await server.close();
    const put = await send(`${r.httpUrl}/blobs/${blobId}`, {
      method: "PUT",
      headers: { authorization: `Bearer ${capability}`, "content-length": "100" },
      chunks: [new Uint8Array(100)],
    });
    expect(put.status).toBe(503);
    expect(JSON.parse(put.body.toString())).toEqual({ error: "UNAVAILABLE" });
    expect((await send(`${r.httpUrl}/healthz`, { method: "GET" })).status).toBe(503);
  });
});
