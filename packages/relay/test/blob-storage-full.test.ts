import { readFileSync } from "node:fs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type BlobRelay, blobDevice, grant, patch, patchHeaders, pattern, send, sleep, startBlobRelay, uploadOffset } from "./blob-http.js";
import { smallDisk } from "./small-disk.js";

const disk = smallDisk("parley-blob-full-", "8m");
const mountPoint = disk.dir;
const mounted = disk.mounted;
let r: BlobRelay;

beforeAll(async () => {
  if (mounted) r = await startBlobRelay({ dataDir: mountPoint, limits: { minFreeStorageBytes: 1 } });
});
afterAll(async () => {
  if (mounted) {
    await r.stop(false);
  }
  disk.release();
});

describe.skipIf(!mounted)("resumable uploads on a full disk", () => {
  it("answers 507 before writing, or when writes fail mid-body; keeps the durable offset; resumes when space returns", async () => {
    const c = await blobDevice(r);
    const size = 2 * 1024 * 1024;
    const body = pattern(size, 41);
    const { blobId, capability } = await grant(c, size);
    const url = `${r.httpUrl}/blobs/${blobId}`;
    expect((await patch(r, blobId, capability, 0, body.subarray(0, 300_000))).status).toBe(204);

    // The disk fills while a chunked PATCH is under way: its next writes fail with ENOSPC.
    const cut = send(url, {
      method: "PATCH",
      headers: patchHeaders(capability, 300_000, { "transfer-encoding": "chunked" }),
      chunks: [body.subarray(300_000, 600_000), body.subarray(600_000, 1_200_000), body.subarray(1_200_000, 1_800_000)],
      gapMs: 150,
    });
    await sleep(60);
    disk.fill();
    const answer = await cut;
    expect([0, 507]).toContain(answer.status);
    if (answer.status === 507) expect(JSON.parse(answer.body.toString())).toEqual({ error: "STORAGE_FULL" });
    const stuck = await uploadOffset(r, blobId, capability);
    expect(stuck.status).toBe(200);
    expect(stuck.offset).toBeGreaterThanOrEqual(300_000);
    expect(stuck.offset).toBeLessThan(size);

    // Refused before anything is written while the rest cannot fit.
    const early = await patch(r, blobId, capability, stuck.offset, body.subarray(stuck.offset));
    expect(early.status).toBe(507);
    expect(early.headers["upload-offset"]).toBe(String(stuck.offset));
    expect(
      readFileSync(r.logFile, "utf8")
        .split("\n")
        .filter((line) => line.includes('"level":50')),
    ).toEqual([]);

    disk.free();
    const resumed = await uploadOffset(r, blobId, capability);
    expect(resumed.offset).toBe(stuck.offset);
    expect((await patch(r, blobId, capability, resumed.offset, body.subarray(resumed.offset))).headers["upload-offset"]).toBe(String(size));
    expect(Buffer.compare(Buffer.from(await (await fetch(url)).arrayBuffer()), Buffer.from(body))).toBe(0);
    await c.close();
  });
});
