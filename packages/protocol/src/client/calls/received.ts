/**
 * A call signal as the receive path hands it to the calls module: who sent it (user and
 * device), in which conversation, and whether it is a sync copy of what another of our own
 * devices sent.
 */

import type { CallSignalType } from "../../content/content.js";

/** One received call-signal content, after its envelope opened and its session decrypted it. */
export interface ReceivedCallSignal {
  /** The contact the signal is about (the peer; for a sync copy, the peer our device sent it to). */
  readonly contactId: string;
  /** The peer's user id, hex. */
  readonly peer: string;
  /** The device that sent it (ours for a sync copy). */
  readonly senderDevice: number;
  /** True for a sync copy: another of our devices sent this to `peer`. */
  readonly fromOwnDevice: boolean;
  readonly callId: string;
  readonly type: CallSignalType;
  readonly payload: string;
  /** The sender's clock. */
  readonly sentAt: number;
}
