/**
 * Blob bytes in PostgreSQL, for relay nodes sharing one database (the cluster default): each
 * blob is a run of `bytea` chunks of about CHUNK_BYTES in its own schema's tables, so a ranged
 * read fetches only the chunks it covers and nothing holds a whole blob in memory.
 *
 * - A single PUT commits its chunks as upload chunks as they arrive (no transaction waits on a
 *   slow client), then publishes them with the blob's row in one transaction: other nodes see
 *   the whole blob or nothing.
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
import { BodyError, bodyOf, CHUNK_BYTES, PgPartialUpload } from "./pg-blob-chunks.js";
import { migrateBlobSchema } from "./pg-blob-schema.js";

export { CHUNK_BYTES } from "./pg-blob-chunks.js";

/** Chunks fetched per query while streaming a read (2 MiB in memory at most). */
const READ_BATCH_CHUNKS = 8;

/** First key of the advisory locks that claim blob uploads (the second is taken from the blob id). */
const CLAIM_LOCK_CLASS = 0x626c6f62; // "blob"

/** Tries of a held upload lock before an upload is refused, and the pause between them (a release in flight takes one round trip). */
const CLAIM_TRIES = 5;
const CLAIM_RETRY_MS = 40;

/** How long a read or write waits for a pooled connection before it fails as UNAVAILABLE. */
const POOL_WAIT_MS = 10_000;

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
  /** The health probe in flight, shared by concurrent checks. */
  #probing: Promise<void> | undefined;

  constructor(readonly options: PgBlobStorageOptions) {
    this.#maxUploads = options.maxUploads ?? 32;
    this.#pool = new pg.Pool({
      connectionString: options.connectionString,
      max: options.poolSize ?? 4,
      connectionTimeoutMillis: POOL_WAIT_MS,
    });
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

  /**
   * Streams the body into upload chunks (each its own short commit, so no connection waits on a
   * slow client), then publishes them in one transaction unless the blob exists: other nodes
   * see the whole blob or nothing. The caller's claim keeps resumable uploads of it away.
   */
  async write(blobId: string, chunks: AsyncIterable<Uint8Array>, maxSize: number): Promise<BlobWriteResult> {
    checkId(blobId);
    if ((await this.size(blobId)) !== undefined) return { ok: false, reason: "conflict" };
    // Upload chunks here belong to no recorded offset (a PUT needs offset 0): left over, not in use.
    await this.removePartial(blobId);
    const upload = new PgPartialUpload(0, this.#inserter(blobId));
    try {
      for await (const chunk of bodyOf(chunks)) {
        if (upload.length + chunk.length > maxSize) {
          await this.removePartial(blobId);
          return { ok: false, reason: "too_large" };
        }
        await upload.write(chunk);
      }
      await upload.sync();
    } catch (error) {
      await this.removePartial(blobId).catch(() => {});
      if (error instanceof BodyError) throw error.cause; // the client's body failed, not the database
      throw error;
    }
    const published = await this.#transaction((client) => this.#publish(client, blobId, upload.length, false));
    if (!published) {
      await this.removePartial(blobId);
      return { ok: false, reason: "conflict" };
    }
    return { ok: true, size: upload.length };
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
      return new PgPartialUpload(offset, this.#inserter(blobId));
    });
  }

  async publishPartial(blobId: string, size: number): Promise<boolean> {
    checkId(blobId);
    return this.#transaction(async (client) => {
      const { rows } = await client.query<{ count: string }>(
        `SELECT COUNT(*) AS count FROM ${this.#chunks} WHERE blob_id = $1 AND NOT complete`,
        [blobId],
      );
      if (Number(rows[0]?.count ?? 0) === 0) {
        // Published already (a restart came between publishing and the store's completion).
        const existing = await client.query<{ size: string }>(`SELECT size FROM ${this.#blobs} WHERE blob_id = $1`, [blobId]);
        return existing.rows.length === 1 && Number(existing.rows[0]?.size) === size;
      }
      return this.#publish(client, blobId, size, true);
    });
  }

  /**
   * Inside a transaction: turns the blob's upload chunks (`size` bytes, else false) into the
   * blob, replacing an existing blob when `replace`, else false when one exists.
   */
  async #publish(client: pg.PoolClient, blobId: string, size: number, replace: boolean): Promise<boolean> {
    const { rows } = await client.query<{ stored: string }>(
      `SELECT COALESCE(SUM(len), 0) AS stored FROM ${this.#chunks} WHERE blob_id = $1 AND NOT complete`,
      [blobId],
    );
    if (Number(rows[0]?.stored ?? 0) !== size) return false;
    const existing = await client.query(`SELECT 1 FROM ${this.#blobs} WHERE blob_id = $1 FOR UPDATE`, [blobId]);
    if (existing.rowCount && !replace) return false;
    await client.query(`DELETE FROM ${this.#chunks} WHERE blob_id = $1 AND complete`, [blobId]);
    await client.query(`DELETE FROM ${this.#blobs} WHERE blob_id = $1`, [blobId]);
    await client.query(`UPDATE ${this.#chunks} SET complete = true WHERE blob_id = $1 AND NOT complete`, [blobId]);
    await client.query(`INSERT INTO ${this.#blobs} (blob_id, size) VALUES ($1, $2)`, [blobId, size]);
    return true;
  }

  /** Commits one upload chunk of `blobId` (each on its own: a resumable upload's durable offset is what is committed). */
  #inserter(blobId: string): (start: number, data: Uint8Array) => Promise<void> {
    return async (start, data) => {
      await this.#query(`INSERT INTO ${this.#chunks} (blob_id, complete, start, len, data) VALUES ($1, false, $2, $3, $4)`, [
        blobId,
        start,
        data.length,
        data,
      ]);
    };
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

  /**
   * "failing" after a database failure, until a call succeeds. While failing, each check probes
   * the blob table, so `/healthz` recovers without blob traffic (a balancer that took every node out
   * sends none).
   */
  async health(): Promise<StorageStatus> {
    if (this.#failing) {
      this.#probing ??= this.#query(`SELECT 1 FROM ${this.#chunks} LIMIT 1`)
        .then(() => undefined)
        .catch(() => undefined)
        .finally(() => {
          this.#probing = undefined;
        });
      await this.#probing;
    }
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
