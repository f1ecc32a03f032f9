// Blobs hold only ciphertext (issue 14): a client encrypts a file full of a marker in 64 KiB AEAD
// chunks (a stand-in for the attachment STREAM format) and uploads it resumably, with a PATCH cut
// mid-body. Afterwards the blob file is byte for byte the ciphertext, the relay's whole data
// directory (SQLite file, WAL, blob files, log) holds neither the marker nor the file key, the
// log holds no blob id or capability, and the downloaded ranges decrypt to the file.
import { readdirSync, readFileSync, statSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type BlobRelay, blobDevice, grant, patch, patchHeaders, send, sleep, startBlobRelay, uploadOffset } from "./blob-http.js";
import { deps } from "./identities.js";

const MARKER = "PARLEY-BLOB-PLAINTEXT-MARKER-41d2e8";
const CHUNK = 64 * 1024;
const TAG = 16;
let r: BlobRelay;
beforeAll(async () => {
  r = await startBlobRelay();
});
afterAll(async () => {
  await r.stop();
});

function allFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    return statSync(path).isDirectory() ? allFiles(path) : [path];
  });
}

const nonce = (i: number) => {
  const n = new Uint8Array(12);
  new DataView(n.buffer).setUint32(8, i);
  return n;
};

describe("blob privacy", () => {
  it("stores exactly the uploaded ciphertext and nothing of the plaintext or key, anywhere in its data", async () => {
    const plaintext = Buffer.from(MARKER.repeat(Math.ceil((5 * CHUNK) / MARKER.length)));
    const key = deps.crypto.randomBytes(32);
    const chunks: Uint8Array[] = [];
    for (let i = 0; i * CHUNK < plaintext.length; i++)
      chunks.push(deps.crypto.aeadEncrypt(key, nonce(i), plaintext.subarray(i * CHUNK, (i + 1) * CHUNK), new Uint8Array(0)));
    const ciphertext = Buffer.concat(chunks);

    const c = await blobDevice(r);
    const { blobId, capability } = await grant(c, ciphertext.length);
    const url = `${r.httpUrl}/blobs/${blobId}`;
    await send(url, {
      method: "PATCH",
      headers: patchHeaders(capability, 0, { "content-length": String(ciphertext.length) }),
      chunks: [ciphertext.subarray(0, 100_000)],
      cutAfterMs: 50,
    });
    let offset = 0;
    for (let i = 0; i < 50 && offset === 0; i++) {
      await sleep(20);
      offset = (await uploadOffset(r, blobId, capability)).offset;
    }
    expect(offset).toBeGreaterThan(0);
    expect((await patch(r, blobId, capability, offset, ciphertext.subarray(offset))).status).toBe(204);
    await c.close();

    expect(Buffer.compare(readFileSync(join(r.blobDir, blobId)), ciphertext)).toBe(0);
    const keyHex = Buffer.from(key).toString("hex");
    for (const file of allFiles(r.dataDir)) {
      const bytes = readFileSync(file);
      expect(bytes.includes(MARKER), file).toBe(false);
      expect(bytes.includes(Buffer.from(key)), file).toBe(false);
      expect(bytes.toString("latin1").includes(keyHex), file).toBe(false);
    }
    const log = readFileSync(r.logFile, "utf8");
    expect(log).not.toContain(blobId);
    expect(log).not.toContain(capability);

    // A download resumed chunk by chunk with Range decrypts to the file.
    const sealed = CHUNK + TAG;
    const opened: Uint8Array[] = [];
    for (let i = 0; i * sealed < ciphertext.length; i++) {
      const part = await send(url, { method: "GET", headers: { range: `bytes=${i * sealed}-${(i + 1) * sealed - 1}` } });
      expect(part.status).toBe(206);
      const plain = deps.crypto.aeadDecrypt(key, nonce(i), part.body, new Uint8Array(0));
      if (!plain) throw new Error(`chunk ${i} did not verify`);
      opened.push(plain);
    }
    expect(Buffer.compare(Buffer.concat(opened), plaintext)).toBe(0);
  });
});
