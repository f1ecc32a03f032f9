/**
 * The payload of a call-signal content (spec/calls.md §4): a small JSON object per signal type,
 * encoded by the sender and checked field by field by the receiver. The content kind carries the
 * call id and the type; this file owns what each type says (SDP, ICE batch, reason, target
 * device, group and participants). Decoding is for attacker input: anything out of shape is
 * ERR_INVALID_ENCODING, never a crash and never a partly read value.
 */

import type { CallSignalType } from "../../content/content.js";
import { ErrorCode, invalidEncoding, ParleyError } from "../../errors.js";
import { MAX_CALL_ICE_BATCH, MAX_CALL_ICE_CANDIDATE_BYTES, MAX_CALL_PARTICIPANTS, MAX_CALL_SDP_BYTES } from "../../limits.js";

/** Why a call leg ended, as one side tells the other in a `hangup` (spec/calls.md §3.2). */
export type HangupReason = "hangup" | "cancelled" | "noAnswer" | "failed" | "answeredElsewhere" | "glare";

const HANGUP_REASONS: readonly HangupReason[] = ["hangup", "cancelled", "noAnswer", "failed", "answeredElsewhere", "glare"];

/** A decoded call signal: the type and the fields that type carries. `to`: the one device it is for (absent: every device). */
export type CallSignal =
  | {
      readonly type: "offer";
      readonly sdp: string;
      readonly video: boolean;
      /** Group calls: the group id (hex) and every invited participant's user id (hex), caller included. */
      readonly group?: { readonly groupId: string; readonly participants: readonly string[] };
      readonly to?: number;
    }
  | { readonly type: "answer"; readonly sdp: string; readonly to?: number }
  | { readonly type: "ice"; readonly candidates: readonly string[]; readonly to?: number }
  | { readonly type: "hangup"; readonly reason: HangupReason; readonly to?: number }
  | { readonly type: "busy" | "ringing" | "decline" | "join"; readonly to?: number };

const utf8Length = (text: string) => new TextEncoder().encode(text).length;
const HEX_ID = /^[0-9a-f]{32}$/;

/** Builds the error a check reports: `limit` for a field over its size limit. */
type Fail = (message: string, limit?: boolean) => Error;

/**
 * Encodes a signal's payload. ERR_LIMIT_EXCEEDED for an SDP, candidate or batch over its limit
 * (nothing is sent); RangeError for any other value the receiver would refuse.
 */
export function encodeCallSignal(signal: CallSignal): string {
  checkSignal(signal, (message, limit) => (limit ? new ParleyError(ErrorCode.LimitExceeded, message) : new RangeError(message)));
  const { type: _type, ...fields } = signal;
  return JSON.stringify(fields);
}

/** Decodes the payload of a call signal of type `type`; ERR_INVALID_ENCODING for anything out of shape. */
export function decodeCallSignal(type: CallSignalType, payload: string): CallSignal {
  let fields: unknown;
  try {
    fields = JSON.parse(payload);
  } catch {
    throw invalidEncoding("call signal payload is not JSON");
  }
  if (typeof fields !== "object" || fields === null || Array.isArray(fields)) throw invalidEncoding("call signal payload is not an object");
  const raw = fields as Record<string, unknown>;
  // Only the known fields are kept (unknown ones are ignored: spec/calls.md §4, forward compatibility).
  const signal = pick(type, raw);
  checkSignal(signal, (message) => invalidEncoding(message));
  return signal;
}

function pick(type: CallSignalType, raw: Record<string, unknown>): CallSignal {
  const to = raw.to === undefined ? {} : { to: raw.to as number };
  switch (type) {
    case "offer":
      return {
        type,
        sdp: raw.sdp as string,
        video: raw.video as boolean,
        ...(raw.group === undefined ? {} : { group: raw.group as { groupId: string; participants: string[] } }),
        ...to,
      };
    case "answer":
      return { type, sdp: raw.sdp as string, ...to };
    case "ice":
      return { type, candidates: raw.candidates as string[], ...to };
    case "hangup":
      return { type, reason: raw.reason as HangupReason, ...to };
    default:
      return { type, ...to };
  }
}

function checkSignal(signal: CallSignal, fail: Fail): void {
  if (signal.to !== undefined && !(Number.isInteger(signal.to) && signal.to >= 0 && signal.to <= 0xffff_ffff)) {
    throw fail("call signal target device is not a device id");
  }
  switch (signal.type) {
    case "offer":
      checkSdp(signal.sdp, fail);
      if (typeof signal.video !== "boolean") throw fail("call offer video flag is not a boolean");
      if (signal.group !== undefined) checkGroup(signal.group, fail);
      break;
    case "answer":
      checkSdp(signal.sdp, fail);
      break;
    case "ice":
      checkCandidates(signal.candidates, fail);
      break;
    case "hangup":
      if (!HANGUP_REASONS.includes(signal.reason)) throw fail("call hangup reason is unknown");
      break;
    default:
      break;
  }
}

function checkSdp(sdp: unknown, fail: Fail): void {
  if (typeof sdp !== "string" || sdp.length === 0) throw fail("call SDP is not a non-empty string");
  if (utf8Length(sdp) > MAX_CALL_SDP_BYTES) throw fail(`call SDP is longer than ${MAX_CALL_SDP_BYTES} bytes`, true);
}

function checkCandidates(candidates: unknown, fail: Fail): void {
  if (!Array.isArray(candidates) || candidates.length === 0) throw fail("call ICE batch is not a non-empty list");
  if (candidates.length > MAX_CALL_ICE_BATCH) throw fail(`call ICE batch holds more than ${MAX_CALL_ICE_BATCH} candidates`, true);
  for (const candidate of candidates) {
    if (typeof candidate !== "string") throw fail("call ICE candidate is not a string");
    if (utf8Length(candidate) > MAX_CALL_ICE_CANDIDATE_BYTES)
      throw fail(`call ICE candidate is longer than ${MAX_CALL_ICE_CANDIDATE_BYTES} bytes`, true);
  }
}

function checkGroup(group: unknown, fail: Fail): void {
  const value = group as { groupId?: unknown; participants?: unknown } | null;
  if (typeof value !== "object" || value === null || typeof value.groupId !== "string" || !HEX_ID.test(value.groupId)) {
    throw fail("call group id is not 16 bytes of lowercase hex");
  }
  const participants = value.participants;
  if (!Array.isArray(participants) || participants.length < 2) throw fail("a group call has at least 2 participants");
  if (participants.length > MAX_CALL_PARTICIPANTS) throw fail(`a group call has at most ${MAX_CALL_PARTICIPANTS} participants`, true);
  if (!participants.every((p) => typeof p === "string" && HEX_ID.test(p)) || new Set(participants).size !== participants.length) {
    throw fail("call participants are not distinct user ids");
  }
}
