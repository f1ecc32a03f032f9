/**
 * The encrypted file store's 96-byte plaintext header: format version, scrypt parameters, salt,
 * file id, key check and checksum. Pure encoding and validation; the keys it is checked with
 * come from `file-keys.ts`.
 *
 * Layout (all integers unsigned):
 * ```
 *  0  8  magic "PRLYSTOR"
 *  8  1  format version (1)
 *  9  1  KDF id (1 = scrypt)
 * 10  1  log2 N      11  1  r      12  1  p      13  1  flags (bit 0: anchored)      14  2  reserved, zero
 * 16 16  salt
 * 32 16  file id
 * 48 32  key check = HMAC-SHA256(check key, bytes 0..48)
 * 80 16  checksum  = SHA-256(bytes 0..80)[0..16]
 * ```
 */
import { equalBytes } from "../../crypto/bytes.js";
import {
  FILE_ID_BYTES,
  FLAG_ANCHORED,
  FORMAT_VERSION,
  HEADER_BYTES,
  HEADER_CHECKSUM_BYTES,
  HEADER_FIELDS_BYTES,
  KDF_SCRYPT,
  KEY_CHECK_BYTES,
  MAGIC,
  MAX_SCRYPT_LOG_N,
  MAX_SCRYPT_MEMORY,
  MAX_SCRYPT_P,
  SALT_BYTES,
  type ScryptParams,
} from "./file-constants.js";
import { copyBytes } from "./key-value-index.js";
import { StoreError, StoreErrorCode } from "./store-error.js";

/** The decoded header of a store file. */
export interface FileHeader {
  readonly kdf: ScryptParams;
  readonly salt: Uint8Array;
  readonly fileId: Uint8Array;
  /** Bytes 0..48, the input of the key check. */
  readonly fields: Uint8Array;
  readonly keyCheck: Uint8Array;
  /** The log has a rollback anchor (every log this version writes does). */
  readonly anchored: boolean;
}

/** Why `params` are not usable, or undefined if they are. */
function scryptProblem(params: ScryptParams): string | undefined {
  const { N, r, p } = params;
  if (!Number.isInteger(N) || N < 2 || N > 2 ** MAX_SCRYPT_LOG_N || (N & (N - 1)) !== 0) {
    return `scrypt N must be a power of two from 2 to 2^${MAX_SCRYPT_LOG_N}`;
  }
  if (!Number.isInteger(r) || r < 1 || r > 255) return "scrypt r must be an integer from 1 to 255";
  if (!Number.isInteger(p) || p < 1 || p > MAX_SCRYPT_P) return `scrypt p must be an integer from 1 to ${MAX_SCRYPT_P}`;
  if (128 * N * r > MAX_SCRYPT_MEMORY) return "scrypt parameters need more than 1 GiB of memory";
  return undefined;
}

/** Throws `RangeError` unless `params` are scrypt parameters this format can record and will run. */
export function assertScryptParams(params: ScryptParams): void {
  if (typeof params !== "object" || params === null) throw new TypeError("kdf must be an object { N, r, p }");
  const problem = scryptProblem(params);
  if (problem !== undefined) throw new RangeError(problem);
}

/** Bytes 0..48 of a header: everything the key check authenticates. */
export function encodeHeaderFields(kdf: ScryptParams, salt: Uint8Array, fileId: Uint8Array): Uint8Array {
  assertScryptParams(kdf);
  if (salt.length !== SALT_BYTES || fileId.length !== FILE_ID_BYTES) throw new RangeError("bad salt or file id length");
  const fields = new Uint8Array(HEADER_FIELDS_BYTES);
  fields.set(MAGIC, 0);
  fields[8] = FORMAT_VERSION;
  fields[9] = KDF_SCRYPT;
  fields[10] = Math.log2(kdf.N);
  fields[11] = kdf.r;
  fields[12] = kdf.p;
  fields[13] = FLAG_ANCHORED;
  fields.set(salt, 16);
  fields.set(fileId, 32);
  return fields;
}

/** The full header: fields, key check, and the checksum over both (`sha256` from the crypto provider). */
export function encodeHeader(fields: Uint8Array, keyCheck: Uint8Array, sha256: (data: Uint8Array) => Uint8Array): Uint8Array {
  if (fields.length !== HEADER_FIELDS_BYTES || keyCheck.length !== KEY_CHECK_BYTES) throw new RangeError("bad header part length");
  const header = new Uint8Array(HEADER_BYTES);
  header.set(fields, 0);
  header.set(keyCheck, HEADER_FIELDS_BYTES);
  header.set(
    sha256(header.subarray(0, HEADER_FIELDS_BYTES + KEY_CHECK_BYTES)).subarray(0, HEADER_CHECKSUM_BYTES),
    HEADER_FIELDS_BYTES + KEY_CHECK_BYTES,
  );
  return header;
}

const corrupt = (what: string) => new StoreError(StoreErrorCode.Corrupt, `store header is damaged: ${what}`);
const unsupported = (what: string) => new StoreError(StoreErrorCode.Unsupported, `store header is not supported: ${what}`);

/**
 * Parses the header at the start of `file`. Throws `ERR_STORE_CORRUPT` for a file that is not a
 * store or whose header is damaged, and `ERR_STORE_UNSUPPORTED` for a newer version or scrypt
 * parameters beyond this version's limits (checked before anything runs scrypt with them).
 */
export function decodeHeader(file: Uint8Array, sha256: (data: Uint8Array) => Uint8Array): FileHeader {
  if (file.length < HEADER_BYTES) throw corrupt("file shorter than a header");
  if (!equalBytes(file.subarray(0, MAGIC.length), MAGIC)) throw corrupt("not a Parley store file");
  // The version comes before the checksum: a future version may lay the header out differently.
  if (file[8] !== FORMAT_VERSION) throw unsupported(`format version ${file[8]}`);
  const checked = file.subarray(0, HEADER_FIELDS_BYTES + KEY_CHECK_BYTES);
  const checksum = file.subarray(HEADER_FIELDS_BYTES + KEY_CHECK_BYTES, HEADER_BYTES);
  if (!equalBytes(sha256(checked).subarray(0, HEADER_CHECKSUM_BYTES), checksum)) throw corrupt("checksum mismatch");
  if (file[9] !== KDF_SCRYPT) throw unsupported(`KDF id ${file[9]}`);
  if (((file[13] as number) & ~FLAG_ANCHORED) !== 0 || file[14] !== 0 || file[15] !== 0) throw unsupported("reserved bytes set");
  const kdf: ScryptParams = { N: 2 ** (file[10] as number), r: file[11] as number, p: file[12] as number };
  const problem = scryptProblem(kdf);
  if (problem !== undefined) throw unsupported(problem);
  return {
    kdf,
    // Copies, not views: `file` is often a Node Buffer of the whole log.
    salt: copyBytes(file.subarray(16, 32)),
    fileId: copyBytes(file.subarray(32, 48)),
    fields: copyBytes(file.subarray(0, HEADER_FIELDS_BYTES)),
    keyCheck: copyBytes(file.subarray(HEADER_FIELDS_BYTES, HEADER_FIELDS_BYTES + KEY_CHECK_BYTES)),
    anchored: ((file[13] as number) & FLAG_ANCHORED) !== 0,
  };
}
