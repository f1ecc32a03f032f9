/**
 * What to tell a person when the SDK reports a failure: one sentence per ParleyError code,
 * never a stack trace or message content. Unknown errors get a generic sentence.
 */
import { ParleyError } from "@parley/protocol";

const SENTENCES: Readonly<Record<string, string>> = {
  // Relay refusals arrive as ERR_RELAY with the relay's code as `reason`: looked up as ERR_<reason>.
  ERR_NOT_FOUND: "No one has that handle.",
  ERR_HANDLE_TAKEN: "That handle is taken. Try another one.",
  ERR_HANDLE_INVALID: "Handles use 3 to 32 letters, digits, dots, dashes or underscores.",
  ERR_TIMEOUT: "The relay did not answer in time. Check your connection.",
  ERR_UNKNOWN_CONTACT: "That contact is not in your list.",
  ERR_NOT_GROUP_MEMBER: "You are no longer a member of this group.",
  ERR_GROUP_PERMISSION: "Only admins can do that in this group.",
  ERR_UNTRUSTED_IDENTITY: "This contact's safety number changed. Review it before sending.",
  ERR_ATTACHMENT_CORRUPT: "The file was damaged or tampered with in transit and was not opened.",
  ERR_ATTACHMENT_TRUNCATED: "The file is incomplete on the relay and could not be opened.",
  ERR_CLOSED: "This tab is no longer connected to your account.",
  ERR_STORE_TAKEN_OVER: "Parley was opened in another tab. This tab has stopped.",
  ERR_STORE_LOCKED: "Parley is open in another tab.",
};

/** A sentence for people about `error`. */
export function describeError(error: unknown): string {
  const code = errorCode(error);
  if (code?.startsWith("ERR_STORE_") && SENTENCES[code]) return SENTENCES[code];
  if (error instanceof ParleyError) {
    const relayReason = error.reason ? SENTENCES[`ERR_${error.reason}`] : undefined;
    return SENTENCES[error.code] ?? relayReason ?? `Something went wrong (${error.code}).`;
  }
  if (error instanceof Error && error.name === "AbortError") return "Cancelled.";
  return "Something went wrong. Please try again.";
}

/** The error's stable code (ParleyError, StoreError, …), if it has one. */
export function errorCode(error: unknown): string | undefined {
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === "string" ? code : undefined;
}
