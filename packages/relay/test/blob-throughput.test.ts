// Upload and download time of a 5 MiB and a 50 MiB blob through a relay on each blob backend
// (PUT, then GET), printed as a table so changes to a backend show; the bytes must round-trip.
// Figures on a loaded 2-core test machine are indicative only; no timing is asserted.
import { afterAll, describe, expect, it } from "vitest";
import { directoryBackend, postgresAvailable, postgresBackend, s3Backend } from "./blob-backends.js";
import { blobDevice, grant, pattern, send, startBlobRelay } from "./blob-http.js";

const PG_UP = await postgresAvailable();
const MiB = 1024 * 1024;
const figures: string[] = [];
afterAll(() => {
  if (figures.length > 0) console.log(`blob throughput (PUT / GET):\n${figures.join("\n")}`);
});

describe.each(["directory", "postgres", "s3"] as const)("throughput on %s", (name) => {
  it.skipIf(name === "postgres" && !PG_UP)(
    "uploads and downloads 5 MiB and 50 MiB whole",
    async () => {
      const backend = await { directory: directoryBackend, postgres: postgresBackend, s3: s3Backend }[name]();
      const r = await startBlobRelay({ blobs: await backend.open(), limits: { maxBlobBytesPerAccount: 512 * MiB } });
      const c = await blobDevice(r);
      try {
        for (const size of [5 * MiB, 50 * MiB]) {
          const body = pattern(size, size % 251);
          const { blobId, capability } = await grant(c, size);
          const url = `${r.httpUrl}/blobs/${blobId}`;
          let started = performance.now();
          const put = await send(url, {
            method: "PUT",
            headers: { authorization: `Bearer ${capability}`, "content-length": String(size) },
            chunks: Array.from({ length: size / MiB }, (_, i) => body.subarray(i * MiB, (i + 1) * MiB)),
          });
          const putMs = performance.now() - started;
          expect(put.status).toBe(201);
          started = performance.now();
          const got = await send(url, { method: "GET" });
          const getMs = performance.now() - started;
          expect(Buffer.compare(got.body, Buffer.from(body))).toBe(0);
          figures.push(
            `${name.padEnd(10)} ${String(size / MiB).padStart(3)} MiB: ${putMs.toFixed(0).padStart(6)} ms / ${getMs.toFixed(0).padStart(6)} ms`,
          );
        }
      } finally {
        await c.close();
        await r.stop();
        await backend.destroy();
      }
    },
    180_000,
  );
});
