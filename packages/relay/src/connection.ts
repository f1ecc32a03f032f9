/**
 * One client connection, independent of the socket under it: the challenge nonce, who it is
 * authenticated as, its rate bucket and malformed-frame count, and the delivery pump once it is
 * a device. The socket layer (or a test) supplies a `Transport`.
 */

import { type CloseCode, encodeFrame, type ServerFrame } from "@parley/protocol/wire";
import type { MailboxPump } from "./delivery/mailbox-pump.js";
import { TokenBucket } from "./rate-limit.js";
import type { Mailbox } from "./store/store.js";

/** The byte pipe under a connection. */
export interface Transport {
  send(bytes: Uint8Array): void;
  close(code: number, reason: string): void;
  /** Bytes queued but not yet written (backpressure); 0 when unknown. */
  readonly bufferedAmount: number;
}

let nextSerial = 1;

/** A connection's state. */
export class Connection {
  /** Process-unique number used in logs instead of any identity. */
  readonly serial = nextSerial++;
  /** The authenticated device, once `auth` or `register` succeeded. */
  mailbox: Mailbox | undefined;
  /** Hex `userId.deviceId`, set with `mailbox`. */
  mailboxKey: string | undefined;
  pump: MailboxPump | undefined;
  invalidFrames = 0;
  rateStrikes = 0;
  closed = false;
  readonly frames: TokenBucket;
  readonly bundleFetches: TokenBucket;

  constructor(
    readonly transport: Transport,
    readonly nonce: Uint8Array,
    limits: { connectionFramesPerSecond: number; connectionFrameBurst: number; bundleFetchesPerSecond: number },
    now: () => number,
    private readonly onSend: (frame: ServerFrame) => void = () => {},
  ) {
    this.frames = new TokenBucket(limits.connectionFramesPerSecond, limits.connectionFrameBurst, now);
    this.bundleFetches = new TokenBucket(limits.bundleFetchesPerSecond, limits.bundleFetchesPerSecond, now);
  }

  /** Sends a frame unless the connection is closed. */
  send(frame: ServerFrame): void {
    if (this.closed) return;
    this.onSend(frame);
    this.transport.send(encodeFrame(frame));
  }

  /** Closes with a relay close code; idempotent. */
  close(code: CloseCode, reason: string): void {
    if (this.closed) return;
    this.closed = true;
    this.pump?.stop();
    this.transport.close(code, reason);
  }
}
