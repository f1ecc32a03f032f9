// The durable core of resumable uploads on a real directory and store: progress is recorded at
// each checkpoint while a body is still arriving, a cut body keeps what arrived, a body past the
// declared size keeps only what was durable before it, missing recorded bytes restart the upload
// at 0, and completion publishes exactly the bytes and is idempotent.
import { existsSync, mkdtempSync, readFileSync, rmSync, truncateSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { openSqliteStore } from "../store/sqlite-store.js";
import type { Store } from "../store/store.js";
import { BlobFiles } from "./blob-files.js";
import { type AppendParams, appendUpload, completeUpload } from "./resumable-upload.js";

const ID = "0f".repeat(16);
let dir: string;
let files: BlobFiles;
let store: Store;
beforeEach(async () => {
  dir = mkdtempSync(join(tmpdir(), "parley-append-"));
  files = new BlobFiles(join(dir, "blobs"));
  await files.init();
  store = openSqliteStore(":memory:");
  await store.createBlob(
    { blobId: ID, capabilityHash: new Uint8Array(32), maxSize: 100, ticketExpiresAt: 1000 },
    { now: 0, maxOpenTickets: 10, maxBytes: 1000 },
  );
});
afterEach(async () => {
  await store.close();
  rmSync(dir, { recursive: true, force: true });
});

const bytes = (n: number, fill: number) => new Uint8Array(n).fill(fill);
const params = (offset: number, body: AsyncIterable<Uint8Array>): AppendParams => ({
  files,
  store,
  blobId: ID,
  offset,
  declaredSize: 100,
  body,
  ticketExpiry: () => 2000,
  blobExpiry: () => 9000,
  checkpointBytes: 30,
});
const offset = async () => (await store.getBlob(ID))?.uploadOffset;

describe("appendUpload", () => {
  it("records progress at each checkpoint while the body is still arriving, and extends the ticket", async () => {
    const seen: (number | undefined)[] = [];
    async function* body() {
      for (let i = 0; i < 4; i++) {
        seen.push(await offset());
        yield bytes(20, i);
      }
    }
    expect(await appendUpload(params(0, body()))).toEqual({ outcome: "ok", offset: 80 });
    expect(seen).toEqual([0, 0, 40, 40]);
    expect(await store.getBlob(ID)).toMatchObject({ uploadOffset: 80, ticketExpiresAt: 2000, size: undefined });
  });

  it("keeps what arrived of a body that fails mid-way", async () => {
    async function* body() {
      yield bytes(25, 1);
      throw new Error("aborted");
    }
    expect(await appendUpload(params(0, body()))).toEqual({ outcome: "interrupted", offset: 25 });
    expect(readFileSync(join(dir, "blobs", `${ID}.upload`))).toEqual(Buffer.from(bytes(25, 1)));
  });

  it("keeps only the durable part of a body that runs past the declared size; the next append cuts the rest", async () => {
    async function* body() {
      yield bytes(40, 1); // checkpointed
      yield bytes(20, 2); // written, not durable
      yield bytes(41, 3); // 101 > 100
    }
    expect(await appendUpload(params(0, body()))).toEqual({ outcome: "too_large", offset: 40 });
    expect(await offset()).toBe(40);
    async function* rest() {
      yield bytes(60, 4);
    }
    expect(await appendUpload(params(40, rest()))).toEqual({ outcome: "complete", offset: 100 });
    expect(readFileSync(join(dir, "blobs", ID))).toEqual(Buffer.concat([bytes(40, 1), bytes(60, 4)]));
    expect(await store.getBlob(ID)).toMatchObject({ size: 100, expiresAt: 9000 });
  });

  it("restarts at 0 when recorded bytes are missing on disk", async () => {
    async function* first() {
      yield bytes(50, 1);
    }
    await appendUpload(params(0, first()));
    truncateSync(join(dir, "blobs", `${ID}.upload`), 10);
    async function* more() {
      yield bytes(10, 2);
    }
    expect(await appendUpload(params(50, more()))).toEqual({ outcome: "reset", offset: 0 });
    expect(await offset()).toBe(0);
  });

  it("reports a ticket swept meanwhile as gone, and removes the bytes", async () => {
    await store.expireBlobs(5000);
    async function* body() {
      yield bytes(10, 1);
    }
    expect((await appendUpload(params(0, body()))).outcome).toBe("gone");
    expect(existsSync(join(dir, "blobs", `${ID}.upload`))).toBe(false);
  });

  it("completes idempotently", async () => {
    async function* body() {
      yield bytes(100, 7);
    }
    expect(await appendUpload(params(0, body()))).toEqual({ outcome: "complete", offset: 100 });
    expect(await completeUpload(params(100, body()))).toEqual({ outcome: "complete", offset: 100 });
    expect(readFileSync(join(dir, "blobs", ID))).toEqual(Buffer.from(bytes(100, 7)));
  });
});
