/**
 * What nodes tell each other over the bus, and the checked decoding of it. Messages are JSON
 * (small, readable with `redis-cli subscribe` when debugging); a message that does not decode
 * to one of these shapes is dropped and counted, never trusted and never a crash.
 *
 * - `wake`: mailboxes that got mail in one commit batch (one message per batch).
 * - `claim`: a device authenticated on `node` with connection generation `generation`; any
 *   node holding an older connection of it closes that one (CloseCode.Replaced).
 * - `release`: the connection of that generation closed (other nodes forget where it was).
 * - `ephemeral`: an ephemeral frame (typing, presence) for a device live on another node.
 * - `expired`: mailboxes whose messages a sweep expired (their devices are told, wherever they are).
 * - `removed`: devices taken off their account's device list; their connections are closed.
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
  | { readonly t: "release"; readonly key: string; readonly generation: number }
  | { readonly t: "ephemeral"; readonly key: string; readonly envelope: Uint8Array }
  | { readonly t: "expired"; readonly keys: readonly string[] }
  | { readonly t: "removed"; readonly keys: readonly string[] }
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
const isGeneration = (v: unknown): v is number => Number.isSafeInteger(v) && (v as number) > 0;
const BASE64 = /^[A-Za-z0-9+/]*={0,2}$/;
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
      return isString(m.key) && isGeneration(m.generation) && isString(m.node)
        ? { t: "claim", key: m.key, generation: m.generation, node: m.node }
        : undefined;
    case "release":
      return isString(m.key) && isGeneration(m.generation) ? { t: "release", key: m.key, generation: m.generation } : undefined;
    case "ephemeral":
      return isString(m.key) && isString(m.envelope) && BASE64.test(m.envelope)
        ? { t: "ephemeral", key: m.key, envelope: new Uint8Array(Buffer.from(m.envelope, "base64")) }
        : undefined;
    case "expired":
    case "removed":
      return isStrings(m.keys) ? { t: m.t, keys: m.keys } : undefined;
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
  if (message.t === "ephemeral") {
    const { envelope } = message;
    return JSON.stringify({
      from,
      message: { ...message, envelope: Buffer.from(envelope.buffer, envelope.byteOffset, envelope.byteLength).toString("base64") },
    });
  }
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
