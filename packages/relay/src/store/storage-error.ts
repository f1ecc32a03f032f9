/**
 * Storage failures as typed relay errors: a full disk (SQLite's SQLITE_FULL, the file system's
 * ENOSPC/EDQUOT) becomes STORAGE_FULL, other I/O failures UNAVAILABLE, so a client is told to
 * retry later instead of getting INTERNAL. Because it is a RelayError, the dispatcher answers it
 * like any other typed refusal; nothing was stored by the failed request.
 */

import { RelayErrorCode } from "@parley/protocol/wire";
import { RelayError } from "../relay-error.js";

/** A storage failure a client can be told about. */
export class StorageError extends RelayError {
  constructor(
    readonly kind: "full" | "io",
    message = kind === "full" ? "the relay's storage is full; retry later" : "the relay's storage is failing; retry later",
  ) {
    super(kind === "full" ? RelayErrorCode.StorageFull : RelayErrorCode.Unavailable, message);
    this.name = "StorageError";
  }
}

const FULL = new Set(["SQLITE_FULL", "ENOSPC", "EDQUOT"]);
const IO = /^SQLITE_(IOERR|CANTOPEN|READONLY|CORRUPT|NOTADB)|^(EIO|EROFS)$/;

/** The StorageError for `error` if it is a storage failure (never carries the original message: it may hold paths). */
export function asStorageError(error: unknown): StorageError | undefined {
  if (error instanceof StorageError) return error;
  const code = (error as { code?: unknown } | null)?.code;
  if (typeof code !== "string") return undefined;
  if (FULL.has(code)) return new StorageError("full");
  if (IO.test(code)) return new StorageError("io");
  return undefined;
}
