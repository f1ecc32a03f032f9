/**
 * Every name, label, size and limit of the encrypted file store's on-disk format, in one place,
 * each with the reason for its value. Changing any of the format constants is a format change:
 * bump `FORMAT_VERSION` and keep reading the old one.
 */

/** Scrypt cost parameters (RFC 7914 §2): CPU/memory cost `N` (a power of two), block size `r`, parallelism `p`. */
export interface ScryptParams {
  readonly N: number;
  readonly r: number;
  readonly p: number;
}

/**
 * Parameters for new stores: N = 2^17, r = 8, p = 1 takes 128 MiB and a few hundred ms on a
 * laptop — the interactive-login setting of RFC 7914 §2 raised one step, since a store is
 * opened once per app start. They are written into each store's header, so raising them later
 * only affects stores created (or re-keyed with `changePassphrase`) afterwards.
 */
export const DEFAULT_SCRYPT: ScryptParams = Object.freeze({ N: 2 ** 17, r: 8, p: 1 });

/** Most memory a header may make us give scrypt (128·N·r bytes): a hostile header must not exhaust RAM. */
export const MAX_SCRYPT_MEMORY = 2 ** 30;
/** Largest N accepted (2^24): beyond it one open takes minutes even within the memory cap. */
export const MAX_SCRYPT_LOG_N = 24;
/** Largest p accepted: p multiplies CPU time without memory, so it is the cheap DoS knob. */
export const MAX_SCRYPT_P = 16;

/** The append-only log inside the store directory. */
export const LOG_NAME = "store.log";
/** The rollback anchor (`file-anchor.ts`), unless the app keeps it elsewhere. */
export const ANCHOR_NAME = "store.anchor";
/** The lock file; its content names the holder (`file-lock.ts`). */
export const LOCK_NAME = "store.lock";
/** Compaction writes `store.log.<random>.tmp` and renames it over the log; leftovers are deleted on open. */
export const TEMP_SUFFIX = ".tmp";

/** First 8 bytes of every store file; tells a Parley store from anything else. */
export const MAGIC = /* @__PURE__ */ new TextEncoder().encode("PRLYSTOR");
/** Format version in the header; a reader refuses versions it does not know. */
export const FORMAT_VERSION = 1;
/** KDF identifier in the header. Only scrypt exists; the byte leaves room for Argon2id. */
export const KDF_SCRYPT = 1;
/** Random salt for the passphrase KDF: 128 bits, as RFC 7914 and NIST SP 800-132 suggest. */
export const SALT_BYTES = 16;
/** Random id of one log file, bound into every record's AD so records cannot move between files. */
export const FILE_ID_BYTES = 16;
/** HMAC-SHA256 over the header fields, under a key from the passphrase: the wrong-passphrase check. */
export const KEY_CHECK_BYTES = 32;
/** Truncated SHA-256 of the header: tells a damaged header (ERR_STORE_CORRUPT) from a wrong passphrase. */
export const HEADER_CHECKSUM_BYTES = 16;
/**
 * Header flag byte (offset 13) bit: this log has a rollback anchor, so a missing or unverifiable
 * anchor means rollback. Logs written before anchors have it clear and are re-written on open.
 */
export const FLAG_ANCHORED = 1;
/** magic 8, version 1, kdf 1, log2 N 1, r 1, p 1, flags 1, reserved 2, salt 16, file id 16 — what the key check covers. */
export const HEADER_FIELDS_BYTES = 48;
/** Fields, key check, checksum. */
export const HEADER_BYTES = HEADER_FIELDS_BYTES + KEY_CHECK_BYTES + HEADER_CHECKSUM_BYTES;

/**
 * Record frame prefix: sealed length (u32 LE) and its complement, so a damaged length is detected
 * rather than followed; sequence number (u64 LE); offset within its group commit (u32 LE), which
 * tells a torn last group from damage to an acknowledged one (`file-replay.ts`).
 */
export const FRAME_PREFIX_BYTES = 20;
/** ChaCha20-Poly1305 nonce (RFC 8439), random per record: 2^32 records keep the collision chance below 2^-32. */
export const NONCE_BYTES = 12;
/** Poly1305 tag. */
export const TAG_BYTES = 16;
/**
 * Largest plaintext of one record (one batch), 64 MiB: the whole store lives in memory, so a
 * batch this size is already misuse; the cap also stops a damaged length from making open
 * allocate gigabytes.
 */
export const MAX_RECORD_PLAINTEXT = 64 * 2 ** 20;

/** HKDF-SHA256 info for the record encryption key. */
export const LABEL_DATA_KEY = /* @__PURE__ */ new TextEncoder().encode("Parley store v1 data key");
/** HKDF-SHA256 info for the rollback anchor's MAC key (`file-anchor.ts`). */
export const LABEL_ANCHOR_KEY = /* @__PURE__ */ new TextEncoder().encode("Parley store v1 anchor key");
/** HKDF-SHA256 info for the key-check MAC key (separate from the data key so the check reveals nothing about it). */
export const LABEL_CHECK_KEY = /* @__PURE__ */ new TextEncoder().encode("Parley store v1 key check");

/** Most bytes one group commit writes: bounds the memory of a burst while still merging hundreds of small batches. */
export const GROUP_COMMIT_MAX_BYTES = 4 * 2 ** 20;
/** Compact when the log is this many times the live data (amortised rewrite cost: one byte per byte appended). */
export const COMPACT_RATIO = 2;
/** ...and at least this big (1 MiB), so a small store is not rewritten every few batches. */
export const DEFAULT_COMPACT_MIN_BYTES = 2 ** 20;
/** Compaction writes live entries in records of about this size (1 MiB), so it never holds the whole store twice. */
export const COMPACT_CHUNK_BYTES = 2 ** 20;
