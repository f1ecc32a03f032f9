/**
 * What nodes tell each other over the bus, and the checked decoding of it. Messages are JSON
 * (small, readable with `redis-cli subscribe` when debugging); a message that does not decode
 * to one of these shapes is dropped and counted, never trusted and never a crash.
 *
 * - `wake`: mailboxes that got mail in one commit batch (one message per batch).
 * - `claim`: a device authenticated on `node` with connection generation `generation`; any
 *   node holding an older connection of it closes that one (CloseCode.Replaced).
 * - `quota`: consumption since the last flush, batched: rate-bucket spends, queue-share holds
 *   and acknowledged messages (which release shares).
 */

/** `[bucket name, bucket key, amount]`. */
export type QuotaSpend = readonly [bucket: string, key: string, amount: number];
/** `[mailbox key, message id hex, share keys, expires at]`: a stored message holding sender shares. */
export type ShareHold = readonly [mailbox: string, messageIdHex: string, shareKeys: readonly string[], expiresAt: number];
/** `[mailbox key, message id hexes]`: messages the mailbox's device acknowledged. */
export type ShareAck = readonly [mailbox: string, messageIdHexes: readonly string[]];

/** One message between nodes. */
export type BusMessage =
  | { readonly t: "wake"; readonly keys: readonly string[] }
  | { readonly t: "claim"; readonly key: string; readonly generation: number; readonly node: string }
  | {
      readonly t: "quota";
      readonly spends: readonly QuotaSpend[];
      readonly holds: readonly ShareHold[];
      readonly acks: readonly ShareAck[];
    };

/** A message as sent: the sending bus instance (to skip one's own) and the message. */
export interface BusEnvelope {
  readonly from: string;
  readonly message: BusMessage;
}

const isString = (v: unknown): v is string => typeof v === "string";
const isStrings = (v: unknown): v is string[] => Array.isArray(v) && v.every(isString);
const isCount = (v: unknown): v is number => typeof v === "number" && Number.isFinite(v) && v >= 0;

function isSpend(v: unknown): v is QuotaSpend {
  return Array.isArray(v) && v.length === 3 && isString(v[0]) && isString(v[1]) && isCount(v[2]);
}
function isHold(v: unknown): v is ShareHold {
  return Array.isArray(v) && v.length === 4 && isString(v[0]) && isString(v[1]) && isStrings(v[2]) && isCount(v[3]);
}
function isAck(v: unknown): v is ShareAck {
  return Array.isArray(v) && v.length === 2 && isString(v[0]) && isStrings(v[1]);
}

/** The message of a well-formed body, else undefined. */
function decodeMessage(m: Record<string, unknown>): BusMessage | undefined {
  switch (m.t) {
    case "wake":
      return isStrings(m.keys) ? { t: "wake", keys: m.keys } : undefined;
    case "claim":
      return isString(m.key) && Number.isSafeInteger(m.generation) && (m.generation as number) > 0 && isString(m.node)
        ? { t: "claim", key: m.key, generation: m.generation as number, node: m.node }
        : undefined;
    case "quota":
      return Array.isArray(m.spends) &&
        m.spends.every(isSpend) &&
        Array.isArray(m.holds) &&
        m.holds.every(isHold) &&
        Array.isArray(m.acks) &&
        m.acks.every(isAck)
        ? { t: "quota", spends: m.spends, holds: m.holds, acks: m.acks }
        : undefined;
    default:
      return undefined;
  }
}

/** Encodes a message sent by bus instance `from`. */
export function encodeEnvelope(from: string, message: BusMessage): string {
  return JSON.stringify({ from, message });
}

/** Decodes an envelope, or undefined for anything malformed (never throws). */
export function decodeEnvelope(text: string): BusEnvelope | undefined {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    return undefined;
  }
  if (typeof parsed !== "object" || parsed === null) return undefined;
  const { from, message } = parsed as Record<string, unknown>;
  if (!isString(from) || typeof message !== "object" || message === null) return undefined;
  const decoded = decodeMessage(message as Record<string, unknown>);
  return decoded ? { from, message: decoded } : undefined;
}
