/**
 * The client's split rule for `multi_send` (spec/relay.md §7.8): recipients that do not fit one
 * frame — more devices than the relay takes, or more bytes — go in several frames, each carrying
 * the same payload and a run of whole recipients in order (a user's devices never split across
 * frames). Pure; sizes are an upper bound of the msgpack encoding, so a planned frame never
 * exceeds the byte limit.
 */

import type { MultiSendRecipient } from "./frames.js";
import { MAX_MULTI_DEVICES, MAX_MULTI_RECIPIENTS, MAX_WIRE_FRAME_BYTES } from "./schema.js";

/** The limits a plan respects; defaults are the wire's (and the reference relay's) defaults. */
export interface MultiSendLimits {
  /** Devices per frame (the relay's `maxMultiSendDevices`). */
  readonly maxDevices?: number;
  /** Encoded bytes per frame (the relay's `maxMultiSendFrameBytes`). */
  readonly maxFrameBytes?: number;
}

/** Upper bound of a frame's bytes besides its payload and recipients: the map, `v`, `t`, `id`, `ephemeral`, keys and headers. */
const FRAME_OVERHEAD = 96;
/** Upper bound of one recipient entry without its devices: map, userId, token, key names, array header. */
const RECIPIENT_BYTES = 1 + 7 + 18 + 6 + 34 + 8 + 3;
/** Upper bound of one device entry: map, deviceId (int32), header (bin8 48), messageId (bin8 16), key names. */
const DEVICE_BYTES = 1 + 9 + 5 + 7 + 50 + 10 + 18;

/** Upper bound of the encoded size of one recipient entry. */
function recipientBytes(r: MultiSendRecipient): number {
  return RECIPIENT_BYTES + r.devices.length * DEVICE_BYTES;
}

/**
 * Splits `recipients` into the recipient lists of as few consecutive frames as the limits allow
 * (greedy, in order). Throws RangeError when one recipient alone does not fit a frame.
 *
 * @example
 * ```ts
 * for (const part of splitMultiSend(payload.length, recipients)) await relay.request({ t: "multi_send", payload, recipients: part });
 * ```
 */
export function splitMultiSend(
  payloadBytes: number,
  recipients: readonly MultiSendRecipient[],
  limits: MultiSendLimits = {},
): MultiSendRecipient[][] {
  const maxDevices = Math.min(limits.maxDevices ?? MAX_MULTI_DEVICES, MAX_MULTI_DEVICES);
  const maxBytes = Math.min(limits.maxFrameBytes ?? MAX_WIRE_FRAME_BYTES, MAX_WIRE_FRAME_BYTES);
  const base = FRAME_OVERHEAD + 5 + payloadBytes;
  const frames: MultiSendRecipient[][] = [];
  let current: MultiSendRecipient[] = [];
  let devices = 0;
  let bytes = base;
  for (const r of recipients) {
    const size = recipientBytes(r);
    if (r.devices.length > maxDevices || base + size > maxBytes) throw new RangeError("one recipient does not fit a multi_send frame");
    if (
      current.length > 0 &&
      (devices + r.devices.length > maxDevices || bytes + size > maxBytes || current.length === MAX_MULTI_RECIPIENTS)
    ) {
      frames.push(current);
      current = [];
      devices = 0;
      bytes = base;
    }
    current.push(r);
    devices += r.devices.length;
    bytes += size;
  }
  if (current.length > 0) frames.push(current);
  return frames;
}
