/**
 * What to tell a person when the SDK reports a failure: one sentence per ParleyError code (every
 * code in `ErrorCode`; a test keeps them in step), per store error code and per relay refusal,
 * never a stack trace or message content. Unknown errors get a generic sentence.
 */
import { ErrorCode, ParleyError } from "@parley/protocol";

/** A sentence for every ParleyError code the SDK can report (spec/errors.md). */
export const PARLEY_ERROR_SENTENCES: Readonly<Record<ErrorCode, string>> = {
  ERR_INVALID_ENCODING: "Something arrived damaged and could not be read.",
  ERR_UNSUPPORTED_VERSION: "This came from a newer version of Parley. Update this app to read it.",
  ERR_INVALID_SIGNATURE: "A signature did not check out, so Parley refused it to keep you safe.",
  ERR_INVALID_KEY: "A contact's key was not valid, so Parley did not use it.",
  ERR_INVALID_DH_OUTPUT: "A contact's key was not valid, so Parley did not use it.",
  ERR_IDENTITY_MISMATCH: "The keys the relay gave for this contact belong to someone else, so Parley refused them.",
  ERR_PREKEY_NOT_FOUND: "A message could not be opened because the key it was sent to is gone. Ask the sender to send it again.",
  ERR_DUPLICATE_MESSAGE: "This message was already received.",
  ERR_TOO_MANY_SKIPPED: "Too many messages went missing in between to open this one.",
  ERR_DECRYPT_FAILED: "A message could not be decrypted. It may have been damaged or tampered with.",
  ERR_NO_SESSION: "There is no secure session with that device yet. Parley will set one up when you send.",
  ERR_SENDER_MISMATCH: "A message claimed to come from someone it did not, so Parley dropped it.",
  ERR_INVALID_STATE: "Saved data on this device could not be loaded.",
  ERR_LIMIT_EXCEEDED: "That is more than Parley allows at once.",
  ERR_UNTRUSTED_IDENTITY: "This contact's safety number changed. Review it before sending.",
  ERR_RELAY: "The relay refused the request.",
  ERR_TIMEOUT: "The relay did not answer in time. Check your connection.",
  ERR_UNKNOWN_CONTACT: "That contact is not in your list.",
  ERR_CLOSED: "This tab is no longer connected to your account.",
  ERR_DEVICE_REMOVED: "A message came from a device its owner has removed, so Parley refused it.",
  ERR_STALE_DEVICE_LIST: "The relay sent an outdated device list, so Parley kept the newer one.",
  ERR_NO_ACCOUNT: "There is no Parley account in this browser yet.",
  ERR_ACCOUNT_EXISTS: "This browser already has a Parley account.",
  ERR_RELAY_ID_MISMATCH: "This relay is not the one your account belongs to, so Parley did not sign in.",
  ERR_GROUP_PERMISSION: "Only admins can do that in this group.",
  ERR_GROUP_STALE: "The group changed in the meantime. Try again.",
  ERR_GROUP_INVALID: "That change would break the group (for example, remove its last admin).",
  ERR_NOT_GROUP_MEMBER: "You are no longer a member of this group.",
  ERR_CALL_STATE: "That call has ended or is not ringing on this device.",
  ERR_ATTACHMENT_CORRUPT: "The file was damaged or tampered with in transit and was not opened.",
  ERR_ATTACHMENT_TRUNCATED: "The file is incomplete on the relay and could not be opened.",
  ERR_BACKUP_PASSPHRASE: "That backup passphrase is not right.",
  ERR_BACKUP_CORRUPT: "That file is not a Parley backup, or it is damaged.",
  ERR_BACKUP_ACCOUNT: "That backup belongs to another account.",
  ERR_INVALID_DISPLAY_NAME: "Type a name: it cannot be empty.",
};

/** The local store's codes (StoreError). */
const OTHER_SENTENCES: Readonly<Record<string, string>> = {
  ERR_STORE_TAKEN_OVER: "Parley was opened in another tab. This tab has stopped.",
  ERR_STORE_LOCKED: "Parley is open in another tab.",
  ERR_STORE_PASSPHRASE: "That passphrase is not right.",
  ERR_STORE_CORRUPT: "The data saved in this browser is damaged and could not be opened.",
  ERR_STORE_UNSUPPORTED: "The data in this browser was saved by a newer version of Parley.",
  ERR_STORE_CLOSED: "This tab is no longer connected to your account. Reload the page.",
  ERR_STORE_IO: "This browser refused to save Parley's data (private mode or a full disk?).",
  ERR_STORE_ROLLBACK: "The data in this browser is older than it should be, so Parley did not open it.",
};

/** The relay's refusals (ERR_RELAY with `reason`), spec/relay.md. */
const RELAY_SENTENCES: Readonly<Record<string, string>> = {
  NOT_FOUND: "No one has that handle.",
  HANDLE_TAKEN: "That handle is taken. Try another one.",
  HANDLE_INVALID: "Handles use 3 to 32 letters, digits, dots, dashes or underscores.",
  RATE_LIMITED: "Slow down a little, then try again.",
  QUOTA_EXCEEDED: "The relay's storage limit for you is reached.",
  STORAGE_FULL: "The relay is out of space. Try again later.",
  QUEUE_FULL: "The recipient has too many undelivered messages. Try again later.",
  BLOB_TOO_LARGE: "That file is too large for this relay.",
  UNAVAILABLE: "The relay is busy. Try again in a moment.",
  UNAUTHORIZED: "The relay did not accept this device's sign-in.",
};

/** A sentence for people about `error`. */
export function describeError(error: unknown): string {
  const code = errorCode(error);
  const relay = error instanceof ParleyError && error.code === ErrorCode.Relay && error.reason ? RELAY_SENTENCES[error.reason] : undefined;
  if (relay) return relay;
  if (code && code in PARLEY_ERROR_SENTENCES) return PARLEY_ERROR_SENTENCES[code as ErrorCode];
  const other = code ? OTHER_SENTENCES[code] : undefined;
  if (other) return other;
  if (error instanceof Error && error.name === "AbortError") return "Cancelled.";
  if (code) return `Something went wrong (${code}).`;
  return "Something went wrong. Please try again.";
}

/** A sentence for a display name the SDK refused: a too long one says so, the rest as `describeError`. */
export function describeDisplayNameError(error: unknown): string {
  if (errorCode(error) === ErrorCode.LimitExceeded) return "That name is too long. Use a shorter one.";
  return describeError(error);
}

/** The error's stable code (ParleyError, StoreError, …), if it has one. */
export function errorCode(error: unknown): string | undefined {
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === "string" ? code : undefined;
}
