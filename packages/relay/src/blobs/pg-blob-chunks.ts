/**
 * The pieces of PostgreSQL blob storage (pg-blob-storage.ts) that hold no connection: cutting a
 * stream into chunk rows, a resumable upload that commits chunk by chunk, and telling a failed
 * request body from a failed database.
 */

import type { PartialUpload } from "./blob-storage.js";

/** Bytes per stored chunk: small enough to read a range cheaply, large enough that a 100 MiB blob is 400 rows. */
export const CHUNK_BYTES = 256 * 1024;

/** A failure of the request body (a client that went away), kept apart from database failures. */
export class BodyError extends Error {}

/** `chunks`, with its failures wrapped in BodyError. */
export async function* bodyOf(chunks: AsyncIterable<Uint8Array>): AsyncGenerator<Uint8Array> {
  const iterator = chunks[Symbol.asyncIterator]();
  for (;;) {
    let step: IteratorResult<Uint8Array>;
    try {
      step = await iterator.next();
    } catch (error) {
      throw new BodyError("body failed", { cause: error });
    }
    if (step.done) return;
    yield step.value;
  }
}

/** Cuts a stream of writes into CHUNK_BYTES chunks, tracking where each starts. */
export class ChunkBuffer {
  #parts: Uint8Array[] = [];
  #buffered = 0;
  #start: number;

  constructor(start = 0) {
    this.#start = start;
  }

  /** Bytes taken but not yet returned in a chunk. */
  get buffered(): number {
    return this.#buffered;
  }

  /** Takes `bytes`; returns the chunks that filled. */
  add(bytes: Uint8Array): { start: number; data: Uint8Array }[] {
    this.#parts.push(bytes);
    this.#buffered += bytes.length;
    const full: { start: number; data: Uint8Array }[] = [];
    while (this.#buffered >= CHUNK_BYTES) {
      const all = Buffer.concat(this.#parts);
      full.push({ start: this.#start, data: all.subarray(0, CHUNK_BYTES) });
      this.#start += CHUNK_BYTES;
      const rest = all.subarray(CHUNK_BYTES);
      this.#parts = rest.length > 0 ? [rest] : [];
      this.#buffered = rest.length;
    }
    return full;
  }

  /** The buffered rest as a (short) chunk, or undefined if empty. */
  flush(): { start: number; data: Uint8Array } | undefined {
    if (this.#buffered === 0) return undefined;
    const data = Buffer.concat(this.#parts);
    const chunk = { start: this.#start, data };
    this.#start += data.length;
    this.#parts = [];
    this.#buffered = 0;
    return chunk;
  }
}

/** A resumable upload into PostgreSQL chunks: each full chunk commits on its own, `sync` commits the rest. */
export class PgPartialUpload implements PartialUpload {
  readonly #buffer: ChunkBuffer;
  #accepted: number;
  #durable: number;

  constructor(
    offset: number,
    private readonly insert: (start: number, data: Uint8Array) => Promise<void>,
  ) {
    this.#buffer = new ChunkBuffer(offset);
    this.#accepted = offset;
    this.#durable = offset;
  }

  get length(): number {
    return this.#accepted;
  }

  async write(chunk: Uint8Array): Promise<void> {
    this.#accepted += chunk.length;
    for (const full of this.#buffer.add(chunk)) {
      await this.insert(full.start, full.data);
      this.#durable = full.start + full.data.length;
    }
  }

  async sync(): Promise<number> {
    const last = this.#buffer.flush();
    if (last) {
      await this.insert(last.start, last.data);
      this.#durable = last.start + last.data.length;
    }
    return this.#durable;
  }

  async close(): Promise<void> {}
}
