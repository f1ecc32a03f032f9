/**
 * The options and counters of the encrypted file store (`FileStore.open`, `FileStore.stats`).
 */
import type { CryptoProvider } from "../../crypto/provider.js";
import type { StoreAnchor } from "./file-anchor.js";
import type { ScryptParams } from "./file-constants.js";
import type { Passphrase } from "./passphrase.js";

/** Options for {@link FileStore.open}. */
export interface FileStoreOptions {
  /** Text (NFC-normalised) or bytes; must not be empty. Never stored or logged. */
  readonly passphrase: Passphrase;
  /** Provider for ChaCha20-Poly1305, HKDF, HMAC and randomness. Default: the node:crypto provider. */
  readonly crypto?: CryptoProvider;
  /**
   * scrypt parameters for a store created by this call (and for `changePassphrase`). An existing
   * store always uses the parameters in its header. Default {@link DEFAULT_SCRYPT}; lower only in tests.
   */
  readonly kdf?: ScryptParams;
  /** Never compact a log smaller than this many bytes. Default 1 MiB; tests set 0 to compact often. */
  readonly compactMinBytes?: number;
  /**
   * Where the rollback anchor is kept. Default: `store.anchor` in `dir`, which catches a truncated
   * log or an older log put back, but not an older copy of the whole directory. Keep it elsewhere
   * (`fileAnchor(path)` on another volume, or your own `StoreAnchor` over the OS keychain or a
   * server) to catch that too. Moving it later makes the store refuse to open (ERR_STORE_ROLLBACK)
   * until it is moved back.
   */
  readonly anchor?: StoreAnchor;
}

/** Counters for monitoring and tests. */
export interface FileStoreStats {
  /** Current size of the log file. */
  readonly logBytes: number;
  /** Encoded size of the live entries (what a compacted log holds, besides framing). */
  readonly liveBytes: number;
  /** fdatasync calls made for batches since open: fewer than batches means group commit worked. */
  readonly syncs: number;
  /** Compactions since open. */
  readonly compactions: number;
}
