/**
 * The protocol's one error type. Every failure the library reports on purpose is a
 * `ParleyError` with a stable string `code`, listed in spec/errors.md (a test keeps the two
 * in sync). Messages never contain key material or plaintext.
 */

/** Stable error codes. Adding one is a minor change; renaming or removing one is breaking. */
export const ErrorCode = {
  /** Bytes that do not parse as the expected structure (truncated, trailing bytes, bad length, bad UTF-8). */
  InvalidEncoding: "ERR_INVALID_ENCODING",
  /** A structure with a version or suite this implementation does not speak. */
  UnsupportedVersion: "ERR_UNSUPPORTED_VERSION",
  /** An Ed25519 signature that does not verify. */
  InvalidSignature: "ERR_INVALID_SIGNATURE",
  /** A public key that is malformed or fails its input check (e.g. ML-KEM modulus check). */
  InvalidKey: "ERR_INVALID_KEY",
  /** An X25519 agreement produced the all-zero value (low-order point). */
  InvalidDhOutput: "ERR_INVALID_DH_OUTPUT",
  /** A bundle or certificate is for another account or device than the one asked for. */
  IdentityMismatch: "ERR_IDENTITY_MISMATCH",
  /** A prekey message names a prekey this device does not have (used, expired or never made). */
  PreKeyNotFound: "ERR_PREKEY_NOT_FOUND",
  /** A message that was already decrypted (or whose key was discarded). State is unchanged. */
  DuplicateMessage: "ERR_DUPLICATE_MESSAGE",
  /** A message that would need more skipped message keys than the limits allow. */
  TooManySkipped: "ERR_TOO_MANY_SKIPPED",
  /** Authentication failed. Deliberately says nothing about why. */
  DecryptFailed: "ERR_DECRYPT_FAILED",
  /** No session with that device exists. */
  NoSession: "ERR_NO_SESSION",
  /** A sealed envelope's claimed sender does not match the session that authenticated it. */
  SenderMismatch: "ERR_SENDER_MISMATCH",
  /** Serialized state that cannot be loaded (corrupt, or from an unknown version). */
  InvalidState: "ERR_INVALID_STATE",
  /** An input or counter beyond a documented limit (see limits.ts). */
  LimitExceeded: "ERR_LIMIT_EXCEEDED",
  /** Client: the contact's account key changed; sending is blocked until the user accepts it. */
  UntrustedIdentity: "ERR_UNTRUSTED_IDENTITY",
  /** Client: the relay answered a request with an error frame (`reason` holds the relay's code). */
  Relay: "ERR_RELAY",
  /** Client: a request got no answer in time. */
  Timeout: "ERR_TIMEOUT",
  /** Client: no contact with that user id or handle. */
  UnknownContact: "ERR_UNKNOWN_CONTACT",
  /** Client: the client was closed. */
  Closed: "ERR_CLOSED",
  /** Client: a message from a device that is not on its account's newest signed device list was refused. */
  DeviceRemoved: "ERR_DEVICE_REMOVED",
  /** Client: a device list older than one already seen for that account (a relay replaying it) was refused. */
  StaleDeviceList: "ERR_STALE_DEVICE_LIST",
  /** Client: the store holds no account (`ParleyClient.open`); check first with `ParleyClient.hasAccount`. */
  NoAccount: "ERR_NO_ACCOUNT",
  /** Client: the store already holds an account (`ParleyClient.create`, `requestLink`). */
  AccountExists: "ERR_ACCOUNT_EXISTS",
  /** Client: the relay's challenge names another relay than the one dialled; nothing was signed (spec/relay.md §3.1). */
  RelayIdMismatch: "ERR_RELAY_ID_MISMATCH",
  /** A group change whose author is not a member, or lacks the role its actions need (spec/group-state.md). */
  GroupPermission: "ERR_GROUP_PERMISSION",
  /** A group change that does not follow the state held: a replay, a fork or a gap (`reason` says which). */
  GroupStale: "ERR_GROUP_STALE",
  /** A group state or change that breaks the group's invariants (last admin gone, too many members, unknown member…). */
  GroupInvalid: "ERR_GROUP_INVALID",
  /** Client: acting in a group this account is not (or no longer) a member of. */
  NotGroupMember: "ERR_NOT_GROUP_MEMBER",
  /** Client: a call action that the call's state does not allow, or on a call this device does not know (spec/calls.md §3). */
  CallState: "ERR_CALL_STATE",
  /** An attachment's ciphertext failed a check: a chunk's tag, the digest, its length or its padding (spec/attachments.md). */
  AttachmentCorrupt: "ERR_ATTACHMENT_CORRUPT",
  /** An attachment's ciphertext ended before its final chunk (spec/attachments.md). */
  AttachmentTruncated: "ERR_ATTACHMENT_TRUNCATED",
  /** Client: the passphrase does not open this backup (spec/backup.md); nothing was written. */
  BackupPassphrase: "ERR_BACKUP_PASSPHRASE",
  /** Client: bytes that are not a valid backup (bad magic, version, KDF cost, tampered ciphertext or payload); nothing was written. */
  BackupCorrupt: "ERR_BACKUP_CORRUPT",
  /** Client: a backup of another account (`importBackup`), or without the account key a restore needs. */
  BackupAccount: "ERR_BACKUP_ACCOUNT",
  /** Client: a display name that is empty or only white space (`setDisplayName`). */
  InvalidDisplayName: "ERR_INVALID_DISPLAY_NAME",
} as const;

/** One of the stable error code strings. */
export type ErrorCode = (typeof ErrorCode)[keyof typeof ErrorCode];

const ALL_CODES: ReadonlySet<string> = new Set(Object.values(ErrorCode));

/**
 * An error the protocol raises on purpose. Compare `code`, never `message`.
 *
 * @example
 * try { decryptMessage(record, bytes, ctx); }
 * catch (e) { if (ParleyError.is(e, "ERR_DUPLICATE_MESSAGE")) ignore(); else throw e; }
 */
export class ParleyError extends Error {
  /** Stable machine-readable code. */
  readonly code: ErrorCode;
  /** Optional machine-readable detail, e.g. the relay's error code for ERR_RELAY. Never secret. */
  readonly reason: string | undefined;

  constructor(code: ErrorCode, message: string, options?: { cause?: unknown; reason?: string }) {
    super(message, options?.cause === undefined ? undefined : { cause: options.cause });
    this.name = "ParleyError";
    this.code = code;
    this.reason = options?.reason;
  }

  /** True when `value` is a ParleyError, optionally with the given code. */
  static is(value: unknown, code?: ErrorCode): value is ParleyError {
    return value instanceof ParleyError && ALL_CODES.has(value.code) && (code === undefined || value.code === code);
  }
}

/** Shorthand used by decoders. */
export function invalidEncoding(what: string): ParleyError {
  return new ParleyError(ErrorCode.InvalidEncoding, `invalid encoding: ${what}`);
}
