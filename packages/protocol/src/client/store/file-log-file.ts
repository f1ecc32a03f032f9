/**
 * A store log file as the writer holds it (handle, header values, keys, append position), and
 * the two ways one comes to exist: written fresh from a set of entries — creation is a fresh log
 * of nothing, compaction and re-keying a fresh log of the live entries — or loaded from disk by
 * checking the header against the passphrase and replaying the records (`file-replay.ts`).
 *
 * A fresh log is written to a temp file, synced, then renamed over `store.log`, so the log
 * path only ever names a complete file. `writeFreshLog`'s caller syncs the directory afterwards.
 */
import { type FileHandle, open, readFile, rename, unlink } from "node:fs/promises";
import { join } from "node:path";
import { bytesToHex, wipe } from "../../crypto/bytes.js";
import type { CryptoProvider } from "../../crypto/provider.js";
import { COMPACT_CHUNK_BYTES, FILE_ID_BYTES, LOG_NAME, SALT_BYTES, type ScryptParams, TEMP_SUFFIX } from "./file-constants.js";
import { decodeHeader, encodeHeader, encodeHeaderFields } from "./file-header.js";
import { isErrno, syncDirectory, writeFully } from "./file-io.js";
import { deriveStoreKeys, keyCheckValue, keysMatchHeader, type StoreKeys, wipeStoreKeys } from "./file-keys.js";
import { encodeBatch, sealRecord } from "./file-record.js";
import { replayLog } from "./file-replay.js";
import { type KeyValueIndex, putSize } from "./key-value-index.js";
import type { StoreWrite } from "./store.js";
import { StoreError, StoreErrorCode } from "./store-error.js";

/** What a log is encrypted with: the passphrase's salt and scrypt parameters, and the keys derived from them. */
export interface LogSecrets {
  readonly salt: Uint8Array;
  readonly kdf: ScryptParams;
  readonly keys: StoreKeys;
}

/** The log file being appended to. */
export interface LogFile extends LogSecrets {
  readonly handle: FileHandle;
  readonly fileId: Uint8Array;
  /** Bytes of intact data; the next record goes here. */
  length: number;
  /** Records in the file; the next record's sequence number. */
  records: number;
  /** The header says the log has a rollback anchor (false only for logs from before anchors). */
  readonly anchored: boolean;
}

/**
 * Runs once a fresh log is complete and synced, just before it is renamed into place: the moment
 * to write a "pending" rollback anchor that accepts either log (`file-anchor.ts`).
 */
export type BeforeRename = (fresh: { readonly fileId: Uint8Array; readonly records: number; readonly keys: StoreKeys }) => Promise<void>;

/**
 * Writes `entries` (puts) as a new log under `secrets` with a fresh file id, in records of about
 * `COMPACT_CHUNK_BYTES`, and renames it over the log in `dir`. On failure the temp file is
 * removed and the old log, if any, is untouched. Returns the new log, open for appending.
 */
export async function writeFreshLog(
  dir: string,
  crypto: CryptoProvider,
  secrets: LogSecrets,
  entries: Iterable<StoreWrite>,
  beforeRename: BeforeRename,
): Promise<LogFile> {
  const fileId = crypto.randomBytes(FILE_ID_BYTES);
  const fields = encodeHeaderFields(secrets.kdf, secrets.salt, fileId);
  const header = encodeHeader(fields, keyCheckValue(crypto, secrets.keys, fields), crypto.sha256);
  const tempPath = join(dir, `${LOG_NAME}.${bytesToHex(crypto.randomBytes(8))}${TEMP_SUFFIX}`);
  const handle = await open(tempPath, "wx", 0o600);
  let length = 0;
  let records = 0;
  try {
    await writeFully(handle, header, 0);
    length = header.length;
    let chunk: StoreWrite[] = [];
    let chunkBytes = 0;
    const flush = async () => {
      const plaintext = encodeBatch(chunk);
      // Group offset 0 for each: the file is synced before it becomes the log, so every record counts as acknowledged.
      const frame = sealRecord(crypto, secrets.keys.dataKey, fileId, records++, 0, plaintext);
      wipe(plaintext);
      await writeFully(handle, frame, length);
      length += frame.length;
      chunk = [];
      chunkBytes = 0;
    };
    for (const entry of entries) {
      const size = putSize(entry.namespace, entry.key, entry.value ?? new Uint8Array(0));
      if (chunk.length > 0 && chunkBytes + size > COMPACT_CHUNK_BYTES) await flush();
      chunk.push(entry);
      chunkBytes += size;
    }
    if (chunk.length > 0) await flush();
    await handle.datasync();
    await beforeRename({ fileId, records, keys: secrets.keys });
    await rename(tempPath, join(dir, LOG_NAME));
  } catch (error) {
    await handle.close().catch(() => {});
    await unlink(tempPath).catch(() => {});
    throw error;
  }
  return { ...secrets, handle, fileId, length, records, anchored: true };
}

/**
 * Opens the log in `dir` with the passphrase bytes (wiped here), replaying it into `index`, or
 * creates an empty one with `newKdf` (durably: directory synced) if there is none. A torn tail is
 * truncated away. Throws `ERR_STORE_PASSPHRASE`, `ERR_STORE_CORRUPT` or `ERR_STORE_UNSUPPORTED`.
 */
export async function loadLog(
  dir: string,
  crypto: CryptoProvider,
  passphrase: Uint8Array,
  newKdf: ScryptParams,
  index: KeyValueIndex,
  beforeRename: BeforeRename,
): Promise<LogFile> {
  const path = join(dir, LOG_NAME);
  let file: Uint8Array;
  try {
    file = await readFile(path);
  } catch (error) {
    if (!isErrno(error, "ENOENT")) throw error;
    const salt = crypto.randomBytes(SALT_BYTES);
    const keys = await deriveStoreKeys(crypto, passphrase, salt, newKdf);
    let log: LogFile | undefined;
    try {
      log = await writeFreshLog(dir, crypto, { salt, kdf: newKdf, keys }, [], beforeRename);
      await syncDirectory(dir);
      return log;
    } catch (writeError) {
      wipeStoreKeys(keys);
      await log?.handle.close().catch(() => {});
      throw writeError;
    }
  }
  let header: ReturnType<typeof decodeHeader>;
  try {
    header = decodeHeader(file, crypto.sha256);
  } catch (error) {
    wipe(passphrase);
    throw error;
  }
  const keys = await deriveStoreKeys(crypto, passphrase, header.salt, header.kdf);
  let handle: FileHandle | undefined;
  try {
    if (!keysMatchHeader(crypto, keys, header.fields, header.keyCheck)) {
      throw new StoreError(StoreErrorCode.Passphrase, "wrong passphrase for this store");
    }
    const { goodLength, records } = replayLog(crypto, keys.dataKey, header.fileId, file, (writes) => index.apply(writes));
    handle = await open(path, "r+");
    if (goodLength < file.length) {
      // A torn tail from a crash mid-append: none of it was acknowledged.
      await handle.truncate(goodLength);
      await handle.datasync();
    }
    return {
      salt: header.salt,
      kdf: header.kdf,
      keys,
      handle,
      fileId: header.fileId,
      length: goodLength,
      records,
      anchored: header.anchored,
    };
  } catch (error) {
    wipeStoreKeys(keys);
    index.clear();
    await handle?.close().catch(() => {});
    throw error;
  }
}
