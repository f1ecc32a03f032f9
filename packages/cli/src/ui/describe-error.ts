/**
 * One sentence for the status line about a failure the SDK or the store reports: per
 * ParleyError code, per relay refusal and per store error code; never a stack trace, a key or
 * message content. Errors are told apart by their `code` (and a relay refusal by its `reason`),
 * not by class, so the onboarding screen can describe a failure without loading the SDK first.
 */
import type { ErrorCode } from "@parley/protocol";

/** ParleyError's code for a relay refusal (ErrorCode.Relay); its `reason` says which. */
const RELAY_REFUSED: ErrorCode = "ERR_RELAY";

const PARLEY: Readonly<Record<ErrorCode, string>> = {
  ERR_INVALID_ENCODING: "Something arrived damaged and could not be read.",
  ERR_UNSUPPORTED_VERSION: "This came from a newer version of Parley; update to read it.",
  ERR_INVALID_SIGNATURE: "A signature did not check out, so Parley refused it.",
  ERR_INVALID_KEY: "A contact's key was not valid, so Parley did not use it.",
  ERR_INVALID_DH_OUTPUT: "A contact's key was not valid, so Parley did not use it.",
  ERR_IDENTITY_MISMATCH: "The codes or keys do not match, so Parley refused them.",
  ERR_PREKEY_NOT_FOUND: "A message could not be opened because its key is gone; ask the sender to send it again.",
  ERR_DUPLICATE_MESSAGE: "This message was already received.",
  ERR_TOO_MANY_SKIPPED: "Too many messages went missing in between to open this one.",
  ERR_DECRYPT_FAILED: "A message could not be decrypted.",
  ERR_NO_SESSION: "There is no secure session with that device yet.",
  ERR_SENDER_MISMATCH: "A message claimed to come from someone it did not, so Parley dropped it.",
  ERR_INVALID_STATE: "Saved data in this profile could not be loaded.",
  ERR_LIMIT_EXCEEDED: "That is more than Parley allows at once.",
  ERR_UNTRUSTED_IDENTITY: "This contact's safety number changed: check it with /verify, then /accept to send again.",
  ERR_RELAY: "The relay refused the request.",
  ERR_TIMEOUT: "The relay did not answer in time; check the connection.",
  ERR_UNKNOWN_CONTACT: "That contact is not in your list; start with /msg @handle.",
  ERR_CLOSED: "This profile is no longer connected.",
  ERR_DEVICE_REMOVED: "A message came from a removed device, so Parley refused it.",
  ERR_STALE_DEVICE_LIST: "The relay sent an outdated device list, so Parley kept the newer one.",
  ERR_NO_ACCOUNT: "There is no account in this profile yet.",
  ERR_ACCOUNT_EXISTS: "This profile already has an account.",
  ERR_RELAY_ID_MISMATCH: "This relay is not the one the account belongs to, so Parley did not sign in.",
  ERR_GROUP_PERMISSION: "Only admins can do that in this group.",
  ERR_GROUP_STALE: "The group changed in the meantime; try again.",
  ERR_GROUP_INVALID: "That change would break the group (for example, remove its last admin).",
  ERR_NOT_GROUP_MEMBER: "You are not a member of this group.",
  ERR_CALL_STATE: "That call is not in a state that allows this (it ended, or it rings on another device).",
  ERR_ATTACHMENT_CORRUPT: "The file was damaged or tampered with in transit and was not saved.",
  ERR_ATTACHMENT_TRUNCATED: "The file is incomplete on the relay and could not be saved.",
  ERR_BACKUP_PASSPHRASE: "That backup passphrase is not right.",
  ERR_BACKUP_CORRUPT: "That file is not a Parley backup, or it is damaged.",
  ERR_BACKUP_ACCOUNT: "That backup belongs to another account.",
  ERR_INVALID_DISPLAY_NAME: "A display name cannot be empty.",
};

const STORE: Readonly<Record<string, string>> = {
  ERR_STORE_TAKEN_OVER: "Another parley process opened this profile; this one has stopped.",
  ERR_STORE_LOCKED: "This profile is open in another parley process.",
  ERR_STORE_PASSPHRASE: "That passphrase is not right.",
  ERR_STORE_CORRUPT: "This profile's data is damaged and could not be opened.",
  ERR_STORE_UNSUPPORTED: "This profile was saved by a newer version of Parley.",
  ERR_STORE_CLOSED: "This profile is closed.",
  ERR_STORE_IO: "The profile could not be saved (is the disk full?).",
  ERR_STORE_ROLLBACK: "This profile's data is older than it should be, so Parley did not open it.",
};

const RELAY: Readonly<Record<string, string>> = {
  NOT_FOUND: "No one has that handle.",
  HANDLE_TAKEN: "That handle is taken; try another one.",
  HANDLE_INVALID: "Handles are 3 to 32 letters, digits or _, starting with a letter.",
  RATE_LIMITED: "Slow down a little, then try again.",
  QUOTA_EXCEEDED: "The relay's storage limit for you is reached.",
  STORAGE_FULL: "The relay is out of space; try again later.",
  QUEUE_FULL: "The recipient has too many undelivered messages; try again later.",
  BLOB_TOO_LARGE: "That file is too large for this relay.",
  UNAVAILABLE: "The relay is busy; try again in a moment.",
  UNAUTHORIZED: "The relay did not accept this device's sign-in.",
};

/** The error's stable code (ParleyError, StoreError, Node's fs errors), if it has one. */
export function errorCode(error: unknown): string | undefined {
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === "string" ? code : undefined;
}

/** A sentence for people about `error`. */
export function describeError(error: unknown): string {
  const code = errorCode(error);
  const reason = (error as { reason?: unknown } | null)?.reason;
  if (code === RELAY_REFUSED && typeof reason === "string" && reason !== "") {
    return RELAY[reason] ?? `The relay refused the request (${reason}).`;
  }
  if (code && code in PARLEY) return PARLEY[code as ErrorCode];
  if (code && STORE[code]) return STORE[code];
  if (code === "ENOENT") return "No such file or folder.";
  if (code === "EACCES" || code === "EPERM") return "Permission denied for that file or folder.";
  if (code === "EISDIR") return "That is a folder, not a file.";
  if (error instanceof RangeError || error instanceof TypeError)
    return `${error.message.charAt(0).toUpperCase()}${error.message.slice(1)}.`;
  if (error instanceof Error && error.name === "AbortError") return "Cancelled.";
  if (code) return `Something went wrong (${code}).`;
  return "Something went wrong; please try again.";
}
