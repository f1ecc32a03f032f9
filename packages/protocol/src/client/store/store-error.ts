/**
 * The storage layer's error type. Every failure a `Store` reports on purpose is a `StoreError`
 * with a stable string `code`; bad arguments are `TypeError`/`RangeError` as elsewhere in the
 * library. Messages name the store's file or database at most, never a key, passphrase or
 * stored value, so they are safe to log.
 */

/** Stable error codes. Adding one is a minor change; renaming or removing one is breaking. */
export const StoreErrorCode = {
  /** Another process, tab (Web Locks) or open store in this process holds the store's lock. */
  Locked: "ERR_STORE_LOCKED",
  /**
   * Another writer claimed the store after this one (`claimStore`: a second tab, a second client
   * on the same store, a second process that got past the lock). The batch wrote nothing; stop
   * writing through this handle — encrypting again would reuse message keys.
   */
  TakenOver: "ERR_STORE_TAKEN_OVER",
  /**
   * The store's data is older than the state it last acknowledged (a truncated log, an older copy
   * of the directory, a restored backup): reopening it would re-use keys already used.
   */
  Rollback: "ERR_STORE_ROLLBACK",
  /** The passphrase does not match the one the store was created with. */
  Passphrase: "ERR_STORE_PASSPHRASE",
  /** Stored bytes fail their checks somewhere other than a torn tail: data would be lost, so nothing is dropped silently. */
  Corrupt: "ERR_STORE_CORRUPT",
  /** The store was written by a newer format version, or with parameters this version refuses. */
  Unsupported: "ERR_STORE_UNSUPPORTED",
  /** The store is closed (or closing); open it again to use it. */
  Closed: "ERR_STORE_CLOSED",
  /**
   * A write or sync failed. The batch may or may not be applied; the store closes itself so it
   * never appends after a failed write, and opening it again recovers the last durable state.
   * (From `changePassphrase` before the switch: the old passphrase stays and the store stays open.)
   */
  Io: "ERR_STORE_IO",
} as const;

/** One of the stable store error code strings. */
export type StoreErrorCode = (typeof StoreErrorCode)[keyof typeof StoreErrorCode];

const ALL_CODES: ReadonlySet<string> = new Set(Object.values(StoreErrorCode));

/**
 * An error a store raises on purpose. Compare `code`, never `message`.
 *
 * @example
 * ```ts
 * try { store = await FileStore.open(dir, { passphrase }); }
 * catch (e) { if (StoreError.is(e, "ERR_STORE_PASSPHRASE")) askAgain(); else throw e; }
 * ```
 */
export class StoreError extends Error {
  /** Stable machine-readable code. */
  readonly code: StoreErrorCode;

  constructor(code: StoreErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = "StoreError";
    this.code = code;
  }

  /** True when `value` is a StoreError, optionally with the given code. */
  static is(value: unknown, code?: StoreErrorCode): value is StoreError {
    return value instanceof StoreError && ALL_CODES.has(value.code) && (code === undefined || value.code === code);
  }
}

/** The error every batch of a writer that was claimed over rejects with. */
export function storeTakenOver(): StoreError {
  return new StoreError(StoreErrorCode.TakenOver, "another writer claimed this store; this one may no longer write to it");
}

/** The error every call on a closed store rejects with. */
export function storeClosed(): StoreError {
  return new StoreError(StoreErrorCode.Closed, "the store is closed");
}
