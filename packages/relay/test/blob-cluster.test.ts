// Two relay nodes sharing one store (one SQLite file) and one blob backend (PostgreSQL chunks or
// an S3 bucket), as a cluster runs them: a blob uploaded through one node downloads, whole and by
// Range, through the other; an upload whose node was killed (-9) mid-PATCH continues on the other
// node from the durable offset to the exact blob; two uploads of one blob on two nodes at once
// cannot both write (PostgreSQL: the upload lock refuses the second; S3: the store's
// compare-and-set picks one resumable upload, and the blob is one body whole); and the killed node's
// log never shows the backend's password.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type BlobBackend, postgresAvailable, postgresBackend, s3Backend } from "./blob-backends.js";
import { type BlobRelay, blobDevice, grant, patch, patchHeaders, pattern, send, sleep, startBlobRelay, uploadOffset } from "./blob-http.js";
import { buildRelay, type RelayProcess, startRelayProcess } from "./relay-process.js";
import type { SocketClient } from "./socket-client.js";

const PG_UP = await postgresAvailable();
const MiB = 1024 * 1024;
const SECRET = "hunter2-not-logged";

/** The backend's URL with a password the test server ignores (PostgreSQL trusts; s3rver's secret is S3RVER). */
function withSecret(backend: BlobBackend): string {
  return backend.name === "postgres" ? backend.url.replace("postgres@", `postgres:${SECRET}@`) : backend.url;
}

describe.each(["postgres", "s3"] as const)("two nodes sharing blobs on %s", (name) => {
  const skip = name === "postgres" && !PG_UP;
  let backend: BlobBackend;
  let a: BlobRelay;
  let b: BlobRelay;
  let ca: SocketClient;
  beforeAll(async () => {
    if (skip) return;
    buildRelay();
    backend = name === "postgres" ? await postgresBackend() : await s3Backend();
    a = await startBlobRelay({ blobs: await backend.open() });
    b = await startBlobRelay({ blobs: await backend.open(), storePath: `${a.dataDir}/relay.sqlite` });
    ca = await blobDevice(a);
  }, 60_000);
  afterAll(async () => {
    if (skip) return;
    await ca?.close();
    await b?.stop();
    await a?.stop();
    await backend?.destroy();
  });

  const get = (node: BlobRelay, blobId: string, range?: string) =>
    send(`${node.httpUrl}/blobs/${blobId}`, { method: "GET", headers: range ? { range } : {} });
  const putOn = (node: BlobRelay, blobId: string, capability: string, body: Uint8Array, gapMs = 0) =>
    send(`${node.httpUrl}/blobs/${blobId}`, {
      method: "PUT",
      headers: { authorization: `Bearer ${capability}`, "content-length": String(body.length) },
      chunks: Array.from({ length: 8 }, (_, i) => body.subarray((i * body.length) / 8, ((i + 1) * body.length) / 8)),
      gapMs,
    });

  it.skipIf(skip)("serves on node B, whole and by Range, a blob uploaded through node A (PUT and PATCH)", async () => {
    const size = 700_001;
    const body = Buffer.from(pattern(size, 21));
    const put = await grant(ca, size);
    expect((await putOn(a, put.blobId, put.capability, body)).status).toBe(201);
    const resumable = await grant(ca, size);
    expect((await patch(a, resumable.blobId, resumable.capability, 0, body.subarray(0, 400_000))).status).toBe(204);
    expect((await uploadOffset(b, resumable.blobId, resumable.capability)).offset).toBe(400_000);
    expect((await patch(b, resumable.blobId, resumable.capability, 400_000, body.subarray(400_000))).status).toBe(204);
    for (const blobId of [put.blobId, resumable.blobId]) {
      expect(Buffer.compare((await get(b, blobId)).body, body)).toBe(0);
      const range = await get(b, blobId, "bytes=262140-262150");
      expect([range.status, Buffer.compare(range.body, body.subarray(262_140, 262_151))]).toEqual([206, 0]);
      expect(Buffer.compare((await get(a, blobId)).body, body)).toBe(0);
    }
  });

  it.skipIf(skip)("lets only one of two simultaneous uploads of one blob on two nodes write", async () => {
    const size = 2 * MiB;
    const [first, second] = [pattern(size, 22), pattern(size, 23)];
    const put = await grant(ca, size);
    const puts = await Promise.all([putOn(a, put.blobId, put.capability, first, 30), putOn(b, put.blobId, put.capability, second, 30)]);
    const patched = await grant(ca, size);
    const patches = await Promise.all(
      [
        [a, first],
        [b, second],
      ].map(([node, body]) =>
        send(`${(node as BlobRelay).httpUrl}/blobs/${patched.blobId}`, {
          method: "PATCH",
          headers: patchHeaders(patched.capability, 0, { "content-length": String(size) }),
          chunks: Array.from({ length: 8 }, (_, i) => (body as Uint8Array).subarray((i * size) / 8, ((i + 1) * size) / 8)),
          gapMs: 30,
        }),
      ),
    );
    expect(puts.map((p) => p.status).sort()).toEqual([201, 409]);
    if (name === "postgres") expect(patches.map((p) => p.status).sort()).toEqual([204, 409]);
    else expect(patches.map((p) => p.status)).toContain(204);
    for (const [blobId, winner] of [
      [put.blobId, puts[0]?.status === 201 ? first : second],
      [patched.blobId, patches[0]?.status === 204 ? first : second],
    ] as const) {
      const stored = (await get(b, blobId)).body;
      expect(stored.length).toBe(size);
      // PostgreSQL: the answered winner's bytes. S3, resumable: one body whole (each multipart
      // upload is apart; the store's CAS picked which one is completed). S3, single PUT: real S3
      // refuses the second object (If-None-Match: *); s3rver ignores that and overwrites a file
      // in place, so two PUTs there may mix and are not checked byte for byte.
      if (name === "postgres") expect(Buffer.compare(stored, Buffer.from(winner))).toBe(0);
      else if (blobId === patched.blobId)
        expect([Buffer.compare(stored, Buffer.from(first)), Buffer.compare(stored, Buffer.from(second))]).toContain(0);
    }
  });

  it.skipIf(skip)(
    "continues on node B, from the durable offset, an upload whose node was killed mid-PATCH",
    async () => {
      const size = 20 * MiB;
      const body = pattern(size, 24);
      const { blobId, capability } = await grant(ca, size);
      let victim: RelayProcess | undefined = await startRelayProcess([
        "--port",
        "0",
        "--data",
        a.dataDir,
        "--blobs",
        withSecret(backend),
        "--log-level",
        "info",
      ]);
      try {
        const httpUrl = `http://127.0.0.1:${victim.port}`;
        const upload = send(`${httpUrl}/blobs/${blobId}`, {
          method: "PATCH",
          headers: patchHeaders(capability, 0, { "content-length": String(size) }),
          chunks: Array.from({ length: 20 }, (_, i) => body.subarray(i * MiB, (i + 1) * MiB)),
          gapMs: 10,
          cutAfterMs: 60_000,
        });
        let reported = 0;
        for (let i = 0; i < 400 && reported < 8 * MiB; i++) {
          await sleep(25);
          reported = (await uploadOffset({ httpUrl }, blobId, capability)).offset;
        }
        expect(reported).toBeGreaterThanOrEqual(8 * MiB);
        victim.child.kill("SIGKILL");
        await victim.exited;
        await upload;
        expect(victim.output()).toContain("blob storage open");
        expect(victim.output()).not.toContain(SECRET);
        expect(victim.output()).not.toContain(":S3RVER@");
        victim = undefined;

        const after = await uploadOffset(b, blobId, capability);
        expect(after.offset).toBeGreaterThanOrEqual(reported);
        expect(after.offset).toBeLessThan(size);
        let rest = await patch(b, blobId, capability, after.offset, body.subarray(after.offset));
        // The killed node's upload lock goes with its connection; PostgreSQL may take a moment to notice.
        for (let i = 0; i < 40 && rest.status === 409; i++) {
          await sleep(100);
          rest = await patch(b, blobId, capability, after.offset, body.subarray(after.offset));
        }
        expect([rest.status, rest.headers["upload-offset"]]).toEqual([204, String(size)]);
        expect(Buffer.compare((await get(b, blobId)).body, Buffer.from(body))).toBe(0);
        expect(Buffer.compare((await get(a, blobId, `bytes=${size - 10}-`)).body, Buffer.from(body.subarray(size - 10)))).toBe(0);
      } finally {
        if (victim && victim.child.exitCode === null) {
          victim.child.kill("SIGKILL");
          await victim.exited;
        }
      }
    },
    120_000,
  );
});
