// A relay process killed with SIGKILL in the middle of a long PATCH, and restarted on the same
// data (spec/relay.md §9.3): every offset HEAD reported before the kill is still stored, with
// exactly the uploaded bytes before it; the upload resumes from there and completes to the exact
// blob. Also runs the bin with --max-blob-size and --blob-lifetime.
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { patch, patchHeaders, pattern, send, sleep, uploadOffset } from "./blob-http.js";
import { newIdentity } from "./identities.js";
import { buildRelay, type RelayProcess, startRelayProcess } from "./relay-process.js";
import { SocketClient } from "./socket-client.js";

const MiB = 1024 * 1024;
const SIZE = 24 * MiB;
let dataDir: string | undefined;
let relay: RelayProcess | undefined;

beforeAll(() => {
  buildRelay();
  dataDir = mkdtempSync(join(tmpdir(), "parley-blob-kill9-"));
});
afterAll(async () => {
  if (relay && relay.child.exitCode === null) {
    relay.child.kill("SIGKILL");
    await relay.exited;
  }
  if (dataDir) rmSync(dataDir, { recursive: true, force: true });
});

const args = (port: number) => [
  "--port",
  String(port),
  "--data",
  dataDir as string,
  "--log-level",
  "warn",
  "--max-blob-size",
  "32MiB",
  "--blob-lifetime",
  "2d",
];

describe("kill -9 mid-PATCH", () => {
  it("keeps every offset reported durable before the kill, and resumes to the exact blob", async () => {
    relay = await startRelayProcess(args(0));
    const port = relay.port;
    const httpUrl = `http://127.0.0.1:${port}`;
    const c = await SocketClient.connect(relay.url);
    expect(await c.register(newIdentity())).toMatchObject({ t: "ok" });
    expect(await c.request({ t: "blob_ticket", size: 32 * MiB + 1 })).toMatchObject({ t: "error", code: "BLOB_TOO_LARGE" });
    const granted = await c.request({ t: "blob_ticket", size: SIZE });
    if (granted.t !== "blob_granted") throw new Error("no ticket");
    const { blobId, capability } = granted;
    await c.close();
    const body = pattern(SIZE, 31);

    // One long PATCH, 1 MiB pieces; the relay makes it durable every 8 MiB while it arrives.
    const pieces = Array.from({ length: 20 }, (_, i) => body.subarray(i * MiB, (i + 1) * MiB));
    const upload = send(`${httpUrl}/blobs/${blobId}`, {
      method: "PATCH",
      headers: patchHeaders(capability, 0, { "content-length": String(SIZE) }),
      chunks: pieces,
      gapMs: 5,
      cutAfterMs: 60_000,
    });
    let reported = 0;
    for (let i = 0; i < 400 && reported < 16 * MiB; i++) {
      await sleep(25);
      reported = (await uploadOffset({ httpUrl }, blobId, capability)).offset;
    }
    expect(reported).toBeGreaterThanOrEqual(16 * MiB);
    const victim = relay;
    victim.child.kill("SIGKILL");
    await victim.exited;
    await upload;

    relay = await startRelayProcess(args(port));
    const after = await uploadOffset({ httpUrl }, blobId, capability);
    expect(after).toMatchObject({ status: 200, length: SIZE });
    expect(after.offset).toBeGreaterThanOrEqual(reported);
    expect(after.offset).toBeLessThan(SIZE);
    const partial = readFileSync(join(dataDir as string, "blobs", `${blobId}.upload`));
    expect(Buffer.compare(partial.subarray(0, after.offset), Buffer.from(body.subarray(0, after.offset)))).toBe(0);

    const rest = await patch({ httpUrl }, blobId, capability, after.offset, body.subarray(after.offset));
    expect(rest.status).toBe(204);
    expect(rest.headers["upload-offset"]).toBe(String(SIZE));
    const got = Buffer.from(await (await fetch(`${httpUrl}/blobs/${blobId}`)).arrayBuffer());
    expect(got.length).toBe(SIZE);
    expect(Buffer.compare(got, Buffer.from(body))).toBe(0);
    relay.child.kill("SIGTERM");
    expect(await relay.exited).toMatchObject({ code: 0 });
  }, 120_000);
});
