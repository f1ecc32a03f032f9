/**
 * Replaying a store log: decrypt the records after the header in order, hand each batch to the
 * caller, and decide what a record that fails its checks means. Pure (bytes in, decisions out);
 * `file-store.ts` does the reading and the truncating.
 *
 * The writer appends one group commit at a time and starts the next only after the previous
 * one's fdatasync returned. So every group but the last is durable and acknowledged, and only the
 * last can be torn by a crash: cut short, zero-filled where the file system extended the file
 * before the data landed, or even with a later record of the group intact and an earlier one not
 * (pages reach the disk in any order before a sync). A torn last group was never acknowledged,
 * and replay stops at its first bad record.
 *
 * Damage anywhere else would lose acknowledged data if it were cut off, so it fails with
 * ERR_STORE_CORRUPT instead. The test: an intact record at or after the bad one that belongs to a
 * later group (its group starts after the bad record's seq) — or one that is out of place. Since a
 * damaged length hides where the next record starts, every later offset is tried; the cheap
 * length/complement check rejects almost all of them before any decryption.
 */
import { wipe } from "../../crypto/bytes.js";
import type { CryptoProvider } from "../../crypto/provider.js";
import { HEADER_BYTES } from "./file-constants.js";
import { decodeBatch, framePrefix, openRecord } from "./file-record.js";
import type { StoreWrite } from "./store.js";
import { StoreError, StoreErrorCode } from "./store-error.js";

/** What replay found. */
export interface ReplayResult {
  /** Bytes of header plus intact records: the file must be truncated to this if it is longer. */
  readonly goodLength: number;
  /** Number of intact records, which is the next record's sequence number. */
  readonly records: number;
}

/** True if an authentic record at or after `from` shows that record `seq` was not in the torn last group. */
function acknowledgedDataAfter(
  crypto: CryptoProvider,
  dataKey: Uint8Array,
  fileId: Uint8Array,
  file: Uint8Array,
  view: DataView,
  from: number,
  seq: number,
): boolean {
  for (let pos = from; pos < file.length; pos++) {
    const prefix = framePrefix(view, pos);
    if (prefix === undefined) continue;
    const laterGroup = prefix.seq - prefix.groupOffset > seq;
    // An earlier seq after `seq`'s place is never written by the store: tampering or a bug, not a tear.
    const outOfPlace = prefix.seq < seq;
    if ((laterGroup || outOfPlace) && openRecord(crypto, dataKey, fileId, file, view, pos) !== undefined) return true;
  }
  return false;
}

/**
 * Replays every intact record of `file` (a whole store file, header included) through
 * `onBatch`, in order, stopping at a torn tail. Throws `ERR_STORE_CORRUPT` when a bad record is
 * not part of a torn last group, or when an authentic record does not parse.
 */
export function replayLog(
  crypto: CryptoProvider,
  dataKey: Uint8Array,
  fileId: Uint8Array,
  file: Uint8Array,
  onBatch: (writes: StoreWrite[]) => void,
): ReplayResult {
  const view = new DataView(file.buffer, file.byteOffset, file.byteLength);
  let pos = HEADER_BYTES;
  let seq = 0;
  while (pos < file.length) {
    const record = openRecord(crypto, dataKey, fileId, file, view, pos);
    if (record === undefined || record.seq !== seq) {
      if (acknowledgedDataAfter(crypto, dataKey, fileId, file, view, pos, seq)) {
        throw new StoreError(
          StoreErrorCode.Corrupt,
          `store log is damaged: record ${seq} at byte ${pos} fails its checks and acknowledged records follow`,
        );
      }
      break;
    }
    const writes = decodeBatch(record.plaintext);
    wipe(record.plaintext); // the writes hold copies; the plaintext is secret
    // Authentic but unparsable means a writer bug or a format we do not know: never guess.
    if (writes === undefined) throw new StoreError(StoreErrorCode.Corrupt, `store log record ${seq} does not parse`);
    onBatch(writes);
    pos = record.end;
    seq++;
  }
  return { goodLength: pos, records: seq };
}
