/**
 * Blob bytes in PostgreSQL, for relay nodes sharing one database (the cluster default): each
 * blob is a run of `bytea` chunks of about CHUNK_BYTES in its own schema's tables, so a ranged
 * read fetches only the chunks it covers and nothing holds a whole blob in memory.
 *
 * - A single PUT inserts its chunks and the blob's row in one transaction: other nodes see the
 *   whole blob or nothing.
 * - A resumable upload inserts chunks as they fill, each its own commit: its durable offset is
 *   what its committed chunks say. Chunks past the offset the Store recorded are deleted when it
 *   is opened again, on whichever node.
 * - Publishing turns the upload's chunks into the blob's in one transaction.
 * - The upload claim is a session advisory lock held on its own connection: two nodes cannot
 *   write one blob at once, and a node that dies releases its locks with its connections.
 */

import { Readable } from "node:stream";
import pg from "pg";
import { StorageError } from "../store/storage-error.js";
import type { StorageStatus } from "../store/store.js";
import type { BlobStorage, BlobWriteResult, ByteRange, PartialUpload } from "./blob-storage.js";
import { migrateBlobSchema } from "./pg-blob-schema.js";

/** Bytes per stored chunk: small enough to read a range cheaply, large enough that a 100 MiB blob is 400 rows. */
export const CHUNK_BYTES = 256 * 1024;

/** Chunks fetched per query while streaming a read (2 MiB in memory at most). */
const READ_BATCH_CHUNKS = 8;

/** First key of the advisory locks that claim blob uploads (the second is taken from the blob id). */
const CLAIM_LOCK_CLASS = 0x626c6f62; // "blob"

/** Tries of a held upload lock before an upload is refused, and the pause between them (a release in flight takes one round trip). */
const CLAIM_TRIES = 5;
const CLAIM_RETRY_MS = 40;

/** How long an upload waits for a lock connection when maxUploads are in progress on this node. */
const CLAIM_WAIT_MS = 10_000;

const ID = /^[0-9a-f]{32}$/;

/** Options of {@link PgBlobStorage}. */
export interface PgBlobStorageOptions {
  /** `postgres://…` without the `schema` parameter. */
  readonly connectionString: string;
  /** The schema holding the blob tables (created if missing). */
  readonly schema: string;
  /** Connections for reads and writes. */
  readonly poolSize?: number;
  /** Uploads in progress on this node at once (each holds a connection for its lock; default 32). */
  readonly maxUploads?: number;
}

/** The advisory-lock key of a blob's upload claim (a collision only makes a second upload wait its turn). */
function claimKey(blobId: string): number {
  return Number.parseInt(blobId.slice(0, 8), 16) | 0;
}

function checkId(blobId: string): void {
  if (!ID.test(blobId)) throw new RangeError("bad blob id");
}

/** Blob bytes in PostgreSQL tables. */
export class PgBlobStorage implements BlobStorage {
  readonly kind = "postgres";
  readonly #pool: pg.Pool;
  readonly #locks: pg.Pool;
  readonly #maxUploads: number;
  readonly #claims = new Map<string, pg.PoolClient>();
  readonly #chunks: string;
  readonly #blobs: string;
  #failing = false;

  constructor(readonly options: PgBlobStorageOptions) {
    this.#maxUploads = options.maxUploads ?? 32;
    this.#pool = new pg.Pool({ connectionString: options.connectionString, max: options.poolSize ?? 4 });
    this.#locks = new pg.Pool({
      connectionString: options.connectionString,
      max: this.#maxUploads,
      connectionTimeoutMillis: CLAIM_WAIT_MS,
    });
    // An idle connection that breaks must not crash the relay; the next query reports it.
    this.#pool.on("error", () => this.#failed());
    this.#locks.on("error", () => this.#failed());
    const schema = `"${options.schema}"`;
    this.#chunks = `${schema}.blob_chunks`;
    this.#blobs = `${schema}.blobs`;
  }

  /** Creates or upgrades the schema (under a lock, so nodes starting together need no coordination). */
  async init(): Promise<void> {
    await this.#run(async () => {
      const client = await this.#pool.connect();
      try {
        await migrateBlobSchema(client, this.options.schema);
      } finally {
        client.release();
      }
    });
  }

  async removeOrphans(keep: (blobId: string, partial: boolean) => Promise<boolean>): Promise<number> {
    const { rows } = await this.#query<{ blob_id: string; partial: boolean }>(
      `SELECT blob_id, false AS partial FROM ${this.#blobs}
       UNION SELECT DISTINCT blob_id, true AS partial FROM ${this.#chunks} WHERE NOT complete`,
    );
    let removed = 0;
    for (const { blob_id: blobId, partial } of rows) {
      if (await keep(blobId, partial)) continue;
      // A blob another node is uploading (stored, not yet recorded complete) is not an orphan.
      if (!(await this.claim(blobId))) continue;
      try {
        if (!(await keep(blobId, partial))) {
          if (partial) await this.removePartial(blobId);
          else await this.#removeComplete(blobId);
          removed++;
        }
      } finally {
        await this.release(blobId);
      }
    }
    return removed;
  }

  /**
   * Takes the blob's upload lock. An upload that just answered its client releases its lock a
   * moment later (one round trip), so a client's next request, on this node or another, may
   * find it still held: the lock is tried CLAIM_TRIES times, CLAIM_RETRY_MS apart, before the
   * upload is refused as in progress elsewhere.
   */
  async claim(blobId: string): Promise<boolean> {
    checkId(blobId);
    for (let attempt = 1; ; attempt++) {
      if (this.#claims.has(blobId)) return false;
      const client = await this.#lockConnection();
      let locked: boolean;
      try {
        const { rows } = await client.query<{ locked: boolean }>("SELECT pg_try_advisory_lock($1, $2) AS locked", [
          CLAIM_LOCK_CLASS,
          claimKey(blobId),
        ]);
        locked = rows[0]?.locked === true;
      } catch (error) {
        client.release(true);
        throw this.#asStorageError(error);
      }
      if (locked && !this.#claims.has(blobId)) {
        this.#claims.set(blobId, client);
        return true;
      }
      if (locked) await client.query("SELECT pg_advisory_unlock($1, $2)", [CLAIM_LOCK_CLASS, claimKey(blobId)]).catch(() => {});
      client.release();
      if (attempt === CLAIM_TRIES) return false;
      await new Promise((resolve) => setTimeout(resolve, CLAIM_RETRY_MS));
    }
  }

  /**
   * A connection to hold an upload lock on. When maxUploads are in progress the upload waits
   * for one, at most CLAIM_WAIT_MS, then is refused as UNAVAILABLE (retry later), which is not a
   * storage failure.
   */
  async #lockConnection(): Promise<pg.PoolClient> {
    try {
      const client = await this.#locks.connect();
      this.#succeeded();
      return client;
    } catch (error) {
      if (
        error instanceof Error &&
        /timeout exceeded when trying to connect/.test(error.message) &&
        this.#locks.totalCount >= this.#maxUploads
      )
        throw new StorageError("io", "too many uploads in progress; retry later");
      throw this.#asStorageError(error);
    }
  }

  async release(blobId: string): Promise<void> {
    const client = this.#claims.get(blobId);
    if (!client) return;
    this.#claims.delete(blobId);
    try {
      await client.query("SELECT pg_advisory_unlock($1, $2)", [CLAIM_LOCK_CLASS, claimKey(blobId)]);
      client.release();
    } catch {
      client.release(true); // dropping the connection drops its locks
    }
  }

  async write(blobId: string, chunks: AsyncIterable<Uint8Array>, maxSize: number): Promise<BlobWriteResult> {
    checkId(blobId);
    const client = await this.#run(() => this.#pool.connect());
    let broken = false;
    try {
      await client.query("BEGIN");
      const exists = await client.query(`SELECT 1 FROM ${this.#blobs} WHERE blob_id = $1`, [blobId]);
      if (exists.rowCount) {
        await client.query("ROLLBACK");
        return { ok: false, reason: "conflict" };
      }
      // Stale complete chunks of no blob row (none normally): this upload replaces them.
      await client.query(`DELETE FROM ${this.#chunks} WHERE blob_id = $1 AND complete`, [blobId]);
      const buffer = new ChunkBuffer();
      let size = 0;
      const insert = (start: number, data: Uint8Array) =>
        client.query(`INSERT INTO ${this.#chunks} (blob_id, complete, start, len, data) VALUES ($1, true, $2, $3, $4)`, [
          blobId,
          start,
          data.length,
          data,
        ]);
      for await (const chunk of bodyOf(chunks)) {
        size += chunk.length;
        if (size > maxSize) {
          await client.query("ROLLBACK");
          return { ok: false, reason: "too_large" };
        }
        for (const full of buffer.add(chunk)) await insert(full.start, full.data);
      }
      const last = buffer.flush();
      if (last) await insert(last.start, last.data);
      try {
        await client.query(`INSERT INTO ${this.#blobs} (blob_id, size) VALUES ($1, $2)`, [blobId, size]);
      } catch (error) {
        if ((error as { code?: string }).code !== "23505") throw error;
        await client.query("ROLLBACK");
        return { ok: false, reason: "conflict" };
      }
      await client.query("COMMIT");
      this.#succeeded();
      return { ok: true, size };
    } catch (error) {
      broken = true;
      if (error instanceof BodyError) throw error.cause; // the client's body failed, not the database
      throw this.#asStorageError(error);
    } finally {
      // A connection left inside a failed transaction is not reused.
      client.release(broken);
    }
  }

  async openPartial(blobId: string, offset: number): Promise<PartialUpload | undefined> {
    checkId(blobId);
    return this.#run(async () => {
      await this.#pool.query(`DELETE FROM ${this.#chunks} WHERE blob_id = $1 AND NOT complete AND start >= $2`, [blobId, offset]);
      const { rows } = await this.#pool.query<{ stored: string }>(
        `SELECT COALESCE(SUM(len), 0) AS stored FROM ${this.#chunks} WHERE blob_id = $1 AND NOT complete`,
        [blobId],
      );
      if (Number(rows[0]?.stored ?? 0) !== offset) return undefined;
      return new PgPartialUpload(offset, (start, data) =>
        this.#run(() =>
          this.#pool.query(`INSERT INTO ${this.#chunks} (blob_id, complete, start, len, data) VALUES ($1, false, $2, $3, $4)`, [
            blobId,
            start,
            data.length,
            data,
          ]),
        ).then(() => undefined),
      );
    });
  }

  async publishPartial(blobId: string, size: number): Promise<boolean> {
    checkId(blobId);
    return this.#transaction(async (client) => {
      const { rows } = await client.query<{ stored: string; count: string }>(
        `SELECT COALESCE(SUM(len), 0) AS stored, COUNT(*) AS count FROM ${this.#chunks} WHERE blob_id = $1 AND NOT complete`,
        [blobId],
      );
      const stored = Number(rows[0]?.stored ?? 0);
      if (Number(rows[0]?.count ?? 0) === 0) {
        const existing = await client.query<{ size: string }>(`SELECT size FROM ${this.#blobs} WHERE blob_id = $1`, [blobId]);
        return existing.rows.length === 1 && Number(existing.rows[0]?.size) === size;
      }
      if (stored !== size) return false;
      await client.query(`DELETE FROM ${this.#chunks} WHERE blob_id = $1 AND complete`, [blobId]);
      await client.query(`DELETE FROM ${this.#blobs} WHERE blob_id = $1`, [blobId]);
      await client.query(`UPDATE ${this.#chunks} SET complete = true WHERE blob_id = $1 AND NOT complete`, [blobId]);
      await client.query(`INSERT INTO ${this.#blobs} (blob_id, size) VALUES ($1, $2)`, [blobId, size]);
      return true;
    });
  }

  async removePartial(blobId: string): Promise<void> {
    await this.#query(`DELETE FROM ${this.#chunks} WHERE blob_id = $1 AND NOT complete`, [blobId]);
  }

  async read(blobId: string, range?: ByteRange): Promise<{ stream: Readable; size: number } | undefined> {
    const size = await this.size(blobId);
    if (size === undefined) return undefined;
    const from = range?.start ?? 0;
    const to = range?.end ?? size - 1;
    return { stream: Readable.from(this.#chunksOf(blobId, from, to)), size };
  }

  async size(blobId: string): Promise<number | undefined> {
    checkId(blobId);
    const { rows } = await this.#query<{ size: string }>(`SELECT size FROM ${this.#blobs} WHERE blob_id = $1`, [blobId]);
    return rows[0] ? Number(rows[0].size) : undefined;
  }

  async remove(blobId: string): Promise<void> {
    checkId(blobId);
    await this.#transaction(async (client) => {
      await client.query(`DELETE FROM ${this.#blobs} WHERE blob_id = $1`, [blobId]);
      await client.query(`DELETE FROM ${this.#chunks} WHERE blob_id = $1`, [blobId]);
    });
  }

  /** The database's free space is not known here: no reserve is checked. */
  async freeBytes(): Promise<number | undefined> {
    return undefined;
  }

  /** "failing" after a database failure, until a call succeeds. */
  async health(): Promise<StorageStatus> {
    return this.#failing ? "failing" : "ok";
  }

  async close(): Promise<void> {
    for (const blobId of [...this.#claims.keys()]) await this.release(blobId);
    await Promise.all([this.#pool.end(), this.#locks.end()]);
  }

  /** The bytes `from`..`to` (inclusive), a few chunks per query. */
  async *#chunksOf(blobId: string, from: number, to: number): AsyncGenerator<Uint8Array> {
    let next = from;
    while (next <= to) {
      // The chunks still to send: ending after `next` (chunks are at most CHUNK_BYTES long, so
      // they start after next - CHUNK_BYTES, which keeps the scan on the primary key's range).
      const { rows } = await this.#query<{ start: string; data: Buffer }>(
        `SELECT start, data FROM ${this.#chunks}
         WHERE blob_id = $1 AND complete AND start > $2 AND start <= $3 AND start + len > $4
         ORDER BY start LIMIT ${READ_BATCH_CHUNKS}`,
        [blobId, next - CHUNK_BYTES, to, next],
      );
      if (rows.length === 0) throw new StorageError("io", "blob chunks are missing");
      for (const row of rows) {
        const start = Number(row.start);
        const end = start + row.data.length; // exclusive
        if (start > next || end <= next) throw new StorageError("io", "blob chunks are missing");
        yield row.data.subarray(next - start, Math.min(end, to + 1) - start);
        next = Math.min(end, to + 1);
      }
    }
  }

  async #removeComplete(blobId: string): Promise<void> {
    await this.#transaction(async (client) => {
      await client.query(`DELETE FROM ${this.#blobs} WHERE blob_id = $1`, [blobId]);
      await client.query(`DELETE FROM ${this.#chunks} WHERE blob_id = $1 AND complete`, [blobId]);
    });
  }

  async #transaction<T>(fn: (client: pg.PoolClient) => Promise<T>): Promise<T> {
    return this.#run(async () => {
      const client = await this.#pool.connect();
      try {
        await client.query("BEGIN");
        const result = await fn(client);
        await client.query("COMMIT");
        client.release();
        return result;
      } catch (error) {
        client.release(true);
        throw error;
      }
    });
  }

  #query<R extends pg.QueryResultRow>(text: string, values?: unknown[]): Promise<pg.QueryResult<R>> {
    return this.#run(() => this.#pool.query<R>(text, values));
  }

  /** Runs a database call: failures become StorageError (no message text: it may name data), success clears the failing state. */
  async #run<T>(fn: () => Promise<T>): Promise<T> {
    try {
      const result = await fn();
      this.#succeeded();
      return result;
    } catch (error) {
      throw this.#asStorageError(error);
    }
  }

  #asStorageError(error: unknown): unknown {
    if (error instanceof StorageError || error instanceof RangeError) return error;
    const code = (error as { code?: unknown } | null)?.code;
    // Only errors from the database or the connection count; anything else (a cut-off body) passes through.
    if (!(error instanceof Error) || (typeof code !== "string" && !/connect|terminat|timeout/i.test(error.message))) return error;
    this.#failed();
    return new StorageError(code === "53100" ? "full" : "io");
  }

  #failed(): void {
    this.#failing = true;
  }

  #succeeded(): void {
    this.#failing = false;
  }
}

/** A failure of the request body (a client that went away), kept apart from database failures. */
class BodyError extends Error {}

/** `chunks`, with its failures wrapped in BodyError. */
async function* bodyOf(chunks: AsyncIterable<Uint8Array>): AsyncGenerator<Uint8Array> {
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
class ChunkBuffer {
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
class PgPartialUpload implements PartialUpload {
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
