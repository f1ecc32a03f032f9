/**
 * PostgreSQL failures as StorageErrors: a lost or refused connection, a server shutting down or
 * out of resources is "io" (a full disk, SQLSTATE 53100, is "full"), so the client is told to
 * retry later and `/healthz` reports it. Errors of the statement itself (constraint, syntax) are
 * not storage failures and stay as they are.
 */

import { DatabaseError } from "pg";
import { StorageError } from "./storage-error.js";

/**
 * SQLSTATE classes of an unavailable server: connection, resources, operator intervention,
 * system, internal; and transaction rollback (a conflict still unresolved after retries).
 */
const UNAVAILABLE_CLASSES = new Set(["08", "40", "53", "57", "58", "XX"]);
/** SQLSTATE of `disk_full`. */
const DISK_FULL = "53100";

/** Socket errors of a refused, dropped or unreachable connection. */
const NETWORK_CODES = new Set([
  "ECONNREFUSED",
  "ECONNRESET",
  "ETIMEDOUT",
  "EPIPE",
  "EHOSTUNREACH",
  "ENETUNREACH",
  "ENOTFOUND",
  "EAI_AGAIN",
]);
/** pg's messages (it gives them no code) for a connection lost mid-call or not obtained in time. */
const LOST_CONNECTION =
  /Connection terminated|timeout exceeded when trying to connect|connection error|Client was closed|not queryable|Query read timeout/i;

/**
 * The StorageError for `error` if it means PostgreSQL cannot serve: a socket error, a lost
 * connection or pool connect timeout, or a server answer of an unavailable class. Never carries the original message (it may name the host).
 */
export function pgStorageError(error: unknown): StorageError | undefined {
  if (error instanceof StorageError) return error;
  if (error instanceof DatabaseError) {
    const code = error.code ?? "";
    if (code === DISK_FULL) return new StorageError("full");
    return UNAVAILABLE_CLASSES.has(code.slice(0, 2)) ? new StorageError("io") : undefined;
  }
  const code = (error as { code?: unknown } | null)?.code;
  if (typeof code === "string" && NETWORK_CODES.has(code)) return new StorageError("io");
  return error instanceof Error && LOST_CONNECTION.test(error.message) ? new StorageError("io") : undefined;
}
