// Attachments end to end (spec/attachments.md): real clients, a real relay process and its blob
// store. A file goes up once, encrypted in chunks, and comes back verified; the relay holds only
// padded ciphertext; a tampered or truncated blob gives a typed error and never a file; an upload
// cut mid-request, or cut by a client restart, resumes from the relay's offset instead of
// starting over; forwarding re-sends the pointer without a second upload.

import { createHash } from "node:crypto";
import { existsSync, readdirSync, readFileSync, truncateSync, writeFileSync } from "node:fs";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { attachmentLayout, ErrorCode, ParleyError } from "@parley/protocol";
import { type ChatMessage, MemoryStore, type ParleyClient } from "@parley/protocol/client";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { errorCodeOf, newClient, readAll, reopenClient, waitFor } from "./support/clients.js";
import { type RelayProcess, startRelay } from "./support/relay-process.js";

let relay: RelayProcess;
let alice: ParleyClient;
let bob: ParleyClient;
let bobAtAlice: string;
let aliceAtBob: string;
let dir: string;
const aliceStore = new MemoryStore();

/** Deterministic bytes that differ everywhere (a repeated pattern would hide chunk mix-ups). */
function fileBytes(size: number, seed: number): Uint8Array {
  const out = new Uint8Array(size);
  let x = seed * 2654435761 + 1;
  for (let i = 0; i < size; i++) {
    x = (x * 1103515245 + 12345) >>> 0;
    out[i] = x >>> 24;
  }
  return out;
}

/** Alice sends `source`; resolves with Bob's received message. */
async function sendToBob(source: Parameters<ParleyClient["sendFile"]>[1], options: Parameters<ParleyClient["sendFile"]>[2] = {}) {
  const sent = await alice.sendFile(bobAtAlice, source, options);
  const received = await waitFor(bob, "message", (m) => m.id === sent.id, 30_000);
  return { sent, received };
}

const blobFile = (blobId: string) => join(relay.dataDir, "blobs", blobId);

beforeAll(async () => {
  relay = await startRelay();
  dir = await mkdtemp(join(tmpdir(), "parley-attachments-"));
  alice = await newClient(relay.wsUrl, "Alice", aliceStore);
  bob = await newClient(relay.wsUrl, "Bob");
  await bob.claimHandle("bob");
  bobAtAlice = (await alice.findContact("bob")).id;
  const first = waitFor(bob, "message");
  await alice.sendText(bobAtAlice, "files coming");
  aliceAtBob = (await first).contactId;
});

afterAll(async () => {
  await Promise.all([alice?.close(), bob?.close()]);
  await relay?.stop();
  relay?.cleanup();
  if (dir) await rm(dir, { recursive: true, force: true });
});

describe("attachments through a real relay", () => {
  test("a file from a path arrives with its pointer, and streams back verified; the relay holds only padded ciphertext", async () => {
    const plaintext = fileBytes(300_000, 1);
    const path = join(dir, "report.pdf");
    writeFileSync(path, plaintext);
    const progress: number[] = [];
    const { sent, received } = await sendToBob(path, { caption: "the report", onProgress: (p) => progress.push(p.uploaded) });
    expect(received.kind).toBe("attachment");
    expect(received.text).toBe("the report");
    const info = received.attachment;
    expect(info).toMatchObject({ fileName: "report.pdf", contentType: "application/pdf", size: 300_000 });
    expect(info?.encryptedSize).toBe(attachmentLayout(300_000).encryptedSize);
    expect(sent.attachment?.blobId).toBe(info?.blobId);
    expect(progress.at(-1)).toBe(info?.encryptedSize);

    const stored = readFileSync(blobFile(info?.blobId as string));
    expect(stored.length).toBe(attachmentLayout(300_000).encryptedSize);
    expect(createHash("sha256").update(stored).digest()).toEqual(Buffer.from(info?.digest as Uint8Array));
    // No 16-byte window of the plaintext appears in what the relay stores.
    expect(stored.indexOf(Buffer.from(plaintext.subarray(1000, 1016)))).toBe(-1);

    expect(Buffer.compare(await readAll(bob.openAttachment(received)), plaintext)).toBe(0);
    const out = join(dir, "saved.pdf");
    await bob.saveAttachment(received, out);
    expect(Buffer.compare(readFileSync(out), plaintext)).toBe(0);
    expect(readdirSync(dir).filter((n) => n.endsWith(".part"))).toEqual([]);
  });

  test("a Blob, an async iterable with a size, and an empty file", async () => {
    const small = fileBytes(5000, 2);
    const blob = await sendToBob(new Blob([small], { type: "image/x-test" }), { fileName: "x.bin", width: 640, height: 480 });
    expect(blob.received.attachment).toMatchObject({ contentType: "image/x-test", width: 640, height: 480, size: 5000 });
    expect(Buffer.compare(await readAll(bob.openAttachment(blob.received)), small)).toBe(0);

    const parts = [fileBytes(70_000, 3), fileBytes(1, 4), fileBytes(100_000, 5)];
    async function* pieces() {
      yield* parts;
    }
    const iterable = await sendToBob(pieces(), { size: 170_001, fileName: "clip.mp4", durationMs: 1234 });
    expect(iterable.received.attachment).toMatchObject({ contentType: "video/mp4", durationMs: 1234 });
    expect(Buffer.compare(await readAll(bob.openAttachment(iterable.received)), Buffer.concat(parts))).toBe(0);

    const empty = await sendToBob(new Blob([]), { fileName: "empty.txt" });
    expect((await readAll(bob.openAttachment(empty.received))).length).toBe(0);
  });

  test("forwarding re-sends the pointer: no second upload, the same blob", async () => {
    const { received } = await sendToBob(new Blob([fileBytes(2000, 6)]), { fileName: "fwd.bin" });
    const blobs = readdirSync(join(relay.dataDir, "blobs")).length;
    const back = waitFor(alice, "message", (m) => m.kind === "attachment" && m.text === "look");
    await bob.sendFile(aliceAtBob, received.attachment as NonNullable<ChatMessage["attachment"]>, { caption: "look" });
    const forwarded = await back;
    expect(forwarded.attachment?.blobId).toBe(received.attachment?.blobId);
    expect(readdirSync(join(relay.dataDir, "blobs")).length).toBe(blobs);
    expect(Buffer.compare(await readAll(alice.openAttachment(forwarded)), fileBytes(2000, 6))).toBe(0);
  });

  test("a tampered blob: ERR_ATTACHMENT_CORRUPT, and saveAttachment leaves no file", async () => {
    const { received } = await sendToBob(new Blob([fileBytes(200_000, 7)]), { fileName: "t.bin" });
    const file = blobFile(received.attachment?.blobId as string);
    const bytes = readFileSync(file);
    bytes[150_000] = (bytes[150_000] as number) ^ 1;
    writeFileSync(file, bytes);
    expect(await errorCodeOf(() => readAll(bob.openAttachment(received)))).toBe(ErrorCode.AttachmentCorrupt);
    const out = join(dir, "tampered.bin");
    expect(await errorCodeOf(() => bob.saveAttachment(received, out))).toBe(ErrorCode.AttachmentCorrupt);
    expect(existsSync(out)).toBe(false);
    expect(readdirSync(dir).filter((n) => n.endsWith(".part"))).toEqual([]);
  });

  test("a truncated blob: ERR_ATTACHMENT_TRUNCATED (also when cut exactly before the final chunk)", async () => {
    const { received } = await sendToBob(new Blob([fileBytes(200_000, 8)]), { fileName: "cut.bin" });
    const file = blobFile(received.attachment?.blobId as string);
    truncateSync(file, 3 * (65_536 + 16));
    expect(await errorCodeOf(() => readAll(bob.openAttachment(received)))).toBe(ErrorCode.AttachmentTruncated);
    truncateSync(file, 1000);
    const out = join(dir, "truncated.bin");
    expect(await errorCodeOf(() => bob.saveAttachment(received, out))).toBe(ErrorCode.AttachmentTruncated);
    expect(existsSync(out)).toBe(false);
  });

  test("a missing blob is ERR_RELAY NOT_FOUND; a non-hex blob id is refused before any request", async () => {
    const { received } = await sendToBob(new Blob([fileBytes(100, 9)]), { fileName: "gone.bin" });
    const info = received.attachment as NonNullable<ChatMessage["attachment"]>;
    const missing = { ...info, blobId: "0".repeat(32) };
    const error = await readAll(bob.openAttachment(missing)).catch((e) => e);
    expect(ParleyError.is(error, ErrorCode.Relay) && error.reason).toBe("NOT_FOUND");
    expect(() => bob.openAttachment({ ...info, blobId: "../healthz" })).toThrow(ParleyError);
  });

  test("an upload whose connection is cut mid-request resumes at the relay's offset instead of starting over", async () => {
    const size = 12 * 1024 * 1024;
    const plaintext = fileBytes(size, 10);
    const path = join(dir, "big.bin");
    writeFileSync(path, plaintext);
    const sentBytes: number[] = [];
    const heads: number[] = [];
    let cut = false;
    const cuttingFetch: typeof fetch = async (input, init) => {
      const headers = (init?.headers ?? {}) as Record<string, string>;
      if (init?.method === "PATCH") {
        const body = init.body as Uint8Array;
        if (!cut && Number(headers["upload-offset"]) > 0) {
          cut = true;
          // Half the segment goes out, then the connection fails mid-body.
          const half = body.subarray(0, body.length >> 1);
          const stream = new ReadableStream<Uint8Array>({
            start: (c) => c.enqueue(half),
            pull: (c) => new Promise((r) => setTimeout(r, 300)).then(() => c.error(new Error("connection cut"))),
          });
          sentBytes.push(half.length);
          return fetch(input, { ...init, body: stream, duplex: "half" } as RequestInit);
        }
        sentBytes.push(body.length);
      }
      const response = await fetch(input, init);
      if (init?.method === "HEAD") heads.push(Number(response.headers.get("upload-offset")));
      return response;
    };
    const store = new MemoryStore();
    const carol = await newClient(relay.wsUrl, "Carol", store, { fetch: cuttingFetch });
    try {
      const bobAtCarol = (await carol.findContact("bob")).id;
      const sent = await carol.sendFile(bobAtCarol, path);
      const received = await waitFor(bob, "message", (m) => m.id === sent.id, 30_000);
      expect(cut).toBe(true);
      const total = attachmentLayout(size).encryptedSize;
      // What the relay kept of the cut request was not sent again.
      expect(heads.length).toBeGreaterThan(0);
      expect(heads[0]).toBeGreaterThan(4 * 1024 * 1024);
      expect(sentBytes.reduce((a, b) => a + b, 0)).toBeLessThan(total + 65_536);
      expect(await carol.pendingUploads()).toEqual([]);
      expect(Buffer.compare(await readAll(bob.openAttachment(received)), plaintext)).toBe(0);
    } finally {
      await carol.close();
    }
  });

  test("an upload cut by a client restart resumes from the store's record and the relay's offset", async () => {
    const size = 10 * 1024 * 1024;
    const plaintext = fileBytes(size, 11);
    const path = join(dir, "restart.bin");
    writeFileSync(path, plaintext);
    const stop = new AbortController();
    const failed = await alice
      .sendFile(bobAtAlice, path, {
        onProgress: (p) => {
          if (p.uploaded > 0) stop.abort(new Error("app closed"));
        },
        signal: stop.signal,
      })
      .catch((e: Error) => e);
    expect((failed as Error).message).toBe("app closed");
    await alice.close();

    let patched = 0;
    const counting: typeof fetch = async (input, init) => {
      if (init?.method === "PATCH") patched += (init.body as Uint8Array).length;
      return fetch(input, init);
    };
    alice = await reopenClient(relay.wsUrl, aliceStore, { fetch: counting });
    await alice.connect();
    const [pending] = await alice.pendingUploads();
    expect(pending?.offset).toBeGreaterThan(0);
    expect(pending?.path).toBe(path);
    const sent = await alice.resumeUpload(pending?.id as string);
    const received = await waitFor(bob, "message", (m) => m.id === sent.id, 30_000);
    expect(patched).toBe(attachmentLayout(size).encryptedSize - (pending?.offset as number));
    expect(await alice.pendingUploads()).toEqual([]);
    expect(Buffer.compare(await readAll(bob.openAttachment(received)), plaintext)).toBe(0);
  });

  test("a download whose connection is cut mid-body resumes with a Range request from where the decryption got to", async () => {
    const size = 3 * 1024 * 1024;
    const plaintext = fileBytes(size, 12);
    const { received } = await sendToBob(new Blob([plaintext]), { fileName: "resume-down.bin" });
    const ranges: string[] = [];
    let fetched = 0;
    let cuts = 0;
    // Every response body fails after ~700 KB: the download needs several resumptions.
    const cuttingFetch: typeof fetch = async (input, init) => {
      const response = await fetch(input, init);
      if ((init?.method ?? "GET") !== "GET" || !response.body) return response;
      ranges.push(((init?.headers ?? {}) as Record<string, string>).range ?? "none");
      const reader = response.body.getReader();
      let passed = 0;
      const body = new ReadableStream<Uint8Array>({
        async pull(controller) {
          const { done, value } = await reader.read();
          if (done) return controller.close();
          passed += value.length;
          fetched += value.length;
          controller.enqueue(value);
          if (passed > 700_000) {
            cuts++;
            await reader.cancel();
            controller.error(new TypeError("terminated"));
          }
        },
      });
      return new Response(body, { status: response.status, headers: response.headers });
    };
    const dave = await newClient(relay.wsUrl, "Dave", undefined, { fetch: cuttingFetch });
    try {
      const out = await readAll(dave.openAttachment(received));
      expect(Buffer.compare(out, plaintext)).toBe(0);
      expect(cuts).toBeGreaterThanOrEqual(3);
      expect(ranges[0]).toBe("none");
      expect(ranges.slice(1).every((r) => /^bytes=\d+-$/.test(r))).toBe(true);
      // Each resumption re-fetches only what was in flight (the partial chunk and the read the cut discarded), not the file.
      expect(fetched).toBeLessThan((received.attachment?.encryptedSize as number) + cuts * 4 * 65_552);
    } finally {
      await dave.close();
    }
  });

  test("an invalid pointer is refused before anything is uploaded", async () => {
    const blobsBefore = readdirSync(join(relay.dataDir, "blobs")).length;
    await expect(alice.sendFile(bobAtAlice, new Blob([fileBytes(10, 13)]), { caption: "x".repeat(60_001) })).rejects.toThrow(ParleyError);
    await expect(alice.sendFile(bobAtAlice, new Blob([fileBytes(10, 13)]), { width: 10 })).rejects.toThrow(RangeError);
    await expect(alice.sendFile(bobAtAlice, new Blob([fileBytes(10, 13)]), { preview: new Uint8Array(65) })).rejects.toThrow(ParleyError);
    expect(readdirSync(join(relay.dataDir, "blobs")).length).toBe(blobsBefore);
    expect(await alice.pendingUploads()).toEqual([]);
  });

  test("an upload survives the relay being killed and restarted mid-upload", async () => {
    const size = 16 * 1024 * 1024;
    const plaintext = fileBytes(size, 14);
    const path = join(dir, "relay-restart.bin");
    writeFileSync(path, plaintext);
    const port = Number(new URL(relay.url).port);
    let restarting: Promise<void> | undefined;
    const sent = await alice.sendFile(bobAtAlice, path, {
      onProgress: (p) => {
        if (p.uploaded > 0 && !restarting) {
          restarting = (async () => {
            await relay.kill();
            relay = await startRelay({ dataDir: relay.dataDir, port });
          })();
        }
      },
    });
    await restarting;
    const received = await waitFor(bob, "message", (m) => m.id === sent.id, 60_000);
    expect(Buffer.compare(await readAll(bob.openAttachment(received)), plaintext)).toBe(0);
  }, 120_000);
});
