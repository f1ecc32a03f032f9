// Resumable uploads on a really full disk (a small tmpfs filled to ENOSPC, as storage-full.test.ts):
// a PATCH that does not fit the free space is refused with 507 before anything is written, a PATCH
// whose writes hit ENOSPC mid-body is answered 507 (never 500) and keeps only what was durable,
// and the upload resumes to the exact bytes once space returns. Needs root for `mount -t tmpfs`;
// skipped without it, except under CI=true, where it fails.
import { execFileSync } from "node:child_process";
import { closeSync, mkdtempSync, openSync, readFileSync, rmdirSync, rmSync, writeSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type BlobRelay, blobDevice, grant, patch, patchHeaders, pattern, send, sleep, startBlobRelay, uploadOffset } from "./blob-http.js";

const mountPoint = mkdtempSync(join(tmpdir(), "parley-blob-full-"));
function tryMount(): boolean {
  try {
    execFileSync("mount", ["-t", "tmpfs", "-o", "size=8m", "tmpfs", mountPoint], { stdio: "pipe" });
    return true;
  } catch (error) {
    if (process.env.CI === "true")
      throw new Error(`CI=true but a tmpfs cannot be mounted for the full-disk test: ${(error as Error).message}`);
    return false;
  }
}
const mounted = tryMount();
const filler = join(mountPoint, "filler");
let r: BlobRelay;

beforeAll(async () => {
  if (mounted) r = await startBlobRelay({ dataDir: mountPoint, limits: { minFreeStorageBytes: 1 } });
});
afterAll(async () => {
  if (mounted) {
    await r.stop(false);
    execFileSync("umount", [mountPoint]);
  }
  rmdirSync(mountPoint);
});

/** Fills the file system with `filler` until ENOSPC. */
function fillDisk(): void {
  const fd = openSync(filler, "w");
  const chunk = Buffer.alloc(64 * 1024, 7);
  try {
    for (let i = 0; i < 1000; i++) writeSync(fd, chunk);
    throw new Error("the disk did not fill");
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== "ENOSPC") throw error;
    for (const size of [4096, 512, 64, 1]) {
      try {
        for (let i = 0; i < 1000; i++) writeSync(fd, chunk.subarray(0, size));
      } catch {}
    }
  } finally {
    closeSync(fd);
  }
}

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
    fillDisk();
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

    rmSync(filler);
    const resumed = await uploadOffset(r, blobId, capability);
    expect(resumed.offset).toBe(stuck.offset);
    expect((await patch(r, blobId, capability, resumed.offset, body.subarray(resumed.offset))).headers["upload-offset"]).toBe(String(size));
    expect(Buffer.compare(Buffer.from(await (await fetch(url)).arrayBuffer()), Buffer.from(body))).toBe(0);
    await c.close();
  });
});
