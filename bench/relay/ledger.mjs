// Exactly-once bookkeeping of one phase: message ids that say which phase, recipient and
// sequence number they belong to, and a ledger of what was sent, answered and received, so a
// phase can prove every message arrived once, at the right recipient, before posting a number.
import { randomBytes } from "node:crypto";

/** Largest message count one phase can track (bounds the counters' memory: 8 MiB). */
export const MAX_MESSAGES = 8_000_000;

/**
 * Message ids: tag (8 random bytes per phase) ‖ u32 recipient index ‖ u32 sequence number. The
 * tag keeps ids unique across phases (the relay dedupes ids per mailbox for a day); the index
 * and sequence let the receiver check where each message was meant to go.
 */
export function messageIds() {
  const tag = randomBytes(8);
  return {
    make(recipient, seq) {
      const id = new Uint8Array(16);
      id.set(tag, 0);
      const view = new DataView(id.buffer);
      view.setUint32(8, recipient);
      view.setUint32(12, seq);
      return id;
    },
    /** `{ recipient, seq }`, or undefined for an id of another phase. */
    read(id) {
      for (let i = 0; i < 8; i++) if (id[i] !== tag[i]) return undefined;
      const view = new DataView(id.buffer, id.byteOffset, 16);
      return { recipient: view.getUint32(8), seq: view.getUint32(12) };
    },
  };
}

/** Tracks every message of a phase by sequence number. */
export class Ledger {
  constructor(capacity) {
    this.sentOk = new Uint8Array(capacity);
    this.received = new Uint8Array(capacity);
    this.sent = 0;
    this.answered = 0;
    this.failedSends = 0;
    this.delivered = 0;
    this.duplicates = 0;
    this.misdelivered = 0;
    this.foreign = 0;
  }

  answer(seq, ok) {
    this.answered++;
    if (ok) this.sentOk[seq] = 1;
    else this.failedSends++;
  }

  /** Records a receipt at `recipient`; returns the sequence number, or -1 for a foreign id. */
  receive(ids, messageId, recipient) {
    const read = ids.read(messageId);
    if (!read || read.seq >= this.received.length) {
      this.foreign++;
      return -1;
    }
    if (read.recipient !== recipient) this.misdelivered++;
    if (this.received[read.seq]++ > 0) this.duplicates++;
    else this.delivered++;
    return read.seq;
  }

  /** The exactly-once check over everything sent. */
  verdict() {
    let missing = 0;
    let unexpected = 0;
    for (let seq = 0; seq < this.sent; seq++) {
      if (this.sentOk[seq] === 1 && this.received[seq] === 0) missing++;
      if (this.sentOk[seq] === 0 && this.received[seq] > 0) unexpected++;
    }
    const exactlyOnce =
      missing === 0 && unexpected === 0 && this.duplicates === 0 && this.misdelivered === 0 && this.failedSends === 0 && this.foreign === 0;
    return {
      sent: this.sent,
      delivered: this.delivered,
      missing,
      unexpected,
      duplicates: this.duplicates,
      misdelivered: this.misdelivered,
      failedSends: this.failedSends,
      foreign: this.foreign,
      exactlyOnce,
    };
  }
}
