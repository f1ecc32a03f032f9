/**
 * The PostgreSQL Store: several relay nodes share one database (one schema per deployment).
 * Each method is one statement or one transaction; enqueues lock their mailboxes' seq rows so
 * seqs commit in order per mailbox; batches travel as arrays. Connection failures become
 * StorageErrors, `health` reports "failing" until a call succeeds, and the pool reconnects by
 * itself when the server is back.
 */

import pg from "pg";
import type { Logger } from "pino";
import { redactUrl } from "./open-store.js";
import { openPgBlobs } from "./pg-blobs.js";
import { openPgDirectory } from "./pg-directory.js";
import { pgStorageError } from "./pg-errors.js";
import { openPgMailboxes } from "./pg-mailboxes.js";
import { openPgPush } from "./pg-push.js";
import { checkSchemaName, migrate } from "./pg-schema.js";
import { StorageError } from "./storage-error.js";
import { StorageHealth } from "./storage-health.js";
import type { Store } from "./store.js";

/** Options of {@link openPostgresStore}. */
export interface PostgresStoreOptions {
  /** Schema holding the tables (created if missing); overrides the URL's `?schema=`. Default `parley`. */
  readonly schema?: string;
  /** Connections in the pool (default {@link DEFAULT_POOL_SIZE}). */
  readonly poolSize?: number;
  /** How long a call waits for a connection before failing (ms, default {@link DEFAULT_CONNECT_TIMEOUT_MS}). */
  readonly connectTimeoutMs?: number;
  /** Told when the server drops an idle connection (a restart, the network); it gets the error's code only. */
  readonly log?: Pick<Logger, "warn">;
}

/** Default pool size: enough for the delivery pumps and handlers of one node without crowding a shared server. */
export const DEFAULT_POOL_SIZE = 10;
/** Default connect timeout: a call against an unreachable server fails in seconds instead of hanging. */
export const DEFAULT_CONNECT_TIMEOUT_MS = 5000;
/** Schema used when neither the options nor the URL name one. */
export const DEFAULT_SCHEMA = "parley";

/** int8 (counts, times, seqs) as numbers: every value the store keeps is far below 2^53. */
const INT8_OID = 20;
const types = {
  getTypeParser: ((oid: number, format?: "text" | "binary") =>
    oid === INT8_OID && format !== "binary" ? Number : pg.types.getTypeParser(oid, format)) as typeof pg.types.getTypeParser,
};

/** Splits `?schema=` off a connection URL (pg would otherwise take it as a connection parameter). */
function splitSchema(url: string): { connectionString: string; schema: string | undefined } {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new RangeError(`"${redactUrl(url)}" is not a PostgreSQL URL`);
  }
  const schema = parsed.searchParams.get("schema") ?? undefined;
  parsed.searchParams.delete("schema");
  return { connectionString: parsed.toString(), schema };
}

/** SQLSTATEs of a transaction the server aborted for a conflict with another (deadlock, serialization): safe to run again. */
const CONFLICT_CODES = new Set(["40P01", "40001"]);
/** Attempts at a call that keeps hitting conflicts before it fails (as UNAVAILABLE: retry later). */
const CONFLICT_ATTEMPTS = 3;

/** Runs `call` again when the server aborted it for a conflict with a concurrent transaction. */
async function retryConflicts<T>(call: () => Promise<T>): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await call();
    } catch (error) {
      const code = (error as { code?: unknown } | null)?.code;
      if (typeof code !== "string" || !CONFLICT_CODES.has(code) || attempt >= CONFLICT_ATTEMPTS) throw error;
    }
  }
}

/** A pooled connection used by one transaction. */
export type Tx = pg.PoolClient;

/** What the store's parts share: the pool, and the wrappers that map failures and record health. */
export interface PgContext {
  /** Runs one statement outside a transaction. */
  query<R extends pg.QueryResultRow>(config: pg.QueryConfig): Promise<pg.QueryResult<R>>;
  /** Runs `fn` in a transaction on one connection (ROLLBACK on any error). */
  transaction<T>(fn: (tx: Tx) => Promise<T>): Promise<T>;
}

/**
 * Opens the store at `url` (`postgres://` or `postgresql://`), creating the schema and applying
 * migrations. Throws StorageError when the server cannot be reached; never logs the password.
 */
export async function openPostgresStore(url: string, options: PostgresStoreOptions = {}): Promise<Store> {
  const { connectionString, schema: urlSchema } = splitSchema(url);
  const schema = checkSchemaName(options.schema ?? urlSchema ?? DEFAULT_SCHEMA);
  const poolSize = options.poolSize ?? DEFAULT_POOL_SIZE;
  if (!Number.isInteger(poolSize) || poolSize < 1) throw new RangeError(`poolSize must be a positive integer, got ${poolSize}`);
  const health = new StorageHealth(undefined);
  const pool = new pg.Pool({
    connectionString,
    max: poolSize,
    connectionTimeoutMillis: options.connectTimeoutMs ?? DEFAULT_CONNECT_TIMEOUT_MS,
    keepAlive: true,
    // Every connection resolves the store's tables in its schema; the name is checked, so it needs no quoting.
    options: `-c search_path=${schema}`,
    types,
  });
  // An idle connection dropped by the server (restart, network) must not crash the process.
  pool.on("error", (error: Error & { code?: string }) => {
    health.failed(new StorageError("io"));
    options.log?.warn({ code: error.code }, "the PostgreSQL store lost a connection; the pool reconnects on the next call");
  });

  const fail = (error: unknown): never => {
    const storage = pgStorageError(error);
    if (!storage) throw error;
    health.failed(storage);
    throw storage;
  };
  /** Runs `fn` in a transaction; errors come out as pg gave them. */
  const inTransaction = async <T>(fn: (tx: Tx) => Promise<T>): Promise<T> => {
    const client = await pool.connect();
    // A checked-out connection that dies emits 'error' on the client, not the pool.
    let broken: unknown;
    const onError = (error: Error) => {
      broken = error;
    };
    client.on("error", onError);
    try {
      await client.query("BEGIN");
      const result = await fn(client);
      await client.query("COMMIT");
      return result;
    } catch (error) {
      if (!broken) await client.query("ROLLBACK").catch((rollbackError: unknown) => (broken = rollbackError));
      throw error;
    } finally {
      client.off("error", onError);
      client.release(broken !== undefined);
    }
  };
  /** Runs `call` (again after a conflict), records the outcome for `health`, and maps storage failures. */
  const guarded = async <T>(call: () => Promise<T>): Promise<T> => {
    try {
      const result = await retryConflicts(call);
      health.succeeded();
      return result;
    } catch (error) {
      return fail(error);
    }
  };
  const context: PgContext = {
    query: <R extends pg.QueryResultRow>(config: pg.QueryConfig) => guarded(() => pool.query<R>(config)),
    transaction: (fn) => guarded(() => inTransaction(fn)),
  };

  try {
    const client = await pool.connect();
    try {
      await migrate(client, schema);
    } finally {
      client.release();
    }
  } catch (error) {
    await pool.end().catch(() => undefined);
    const storage = pgStorageError(error);
    const where = `cannot open the store at ${redactUrl(url)}`;
    if (storage) throw new StorageError(storage.kind, `${where}: ${storage.message}`);
    // Server answers (no such database, authentication, a newer schema) name no password.
    throw new Error(`${where}: ${error instanceof Error ? error.message : String(error)}`, { cause: error });
  }

  let probing: Promise<void> | undefined;
  let closed = false;
  return {
    ...openPgDirectory(context),
    ...openPgBlobs(context),
    ...openPgMailboxes(context),
    ...openPgPush(context),
    async health(_minFreeBytes) {
      // Free space is the server's business; a failing store is probed so /healthz recovers without traffic.
      if ((await health.check(0)) === "failing") {
        probing ??= context
          .query({ text: "SELECT 1" })
          .then(() => undefined)
          .catch(() => undefined)
          .finally(() => {
            probing = undefined;
          });
        await probing;
      }
      return health.check(0);
    },
    async close() {
      if (closed) return;
      closed = true;
      await pool.end();
    },
  };
}
