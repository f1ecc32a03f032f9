/**
 * One client connection, independent of the socket under it: the challenge nonce, who it is
 * authenticated as, its rate buckets (frames and bytes) and malformed-frame count, the inbox of
 * received frames not yet handled, the delivery pump once it is a device, and the two deadlines
 * that stop a socket from holding memory for nothing: the login deadline and the stalled-reader
 * deadline on its send buffer. The socket layer (or a test) supplies a `Transport`.
 */

import { CloseCode, encodeFrame, type ServerFrame } from "@parley/protocol/wire";
import type { MailboxPump } from "./delivery/mailbox-pump.js";
import type { Limits } from "./limits.js";
import { TokenBucket } from "./rate-limit.js";
import type { Mailbox } from "./store/store.js";

/** The byte pipe under a connection. */
export interface Transport {
  send(bytes: Uint8Array): void;
  close(code: number, reason: string): void;
  /** Bytes queued but not yet written (backpressure); 0 when unknown. */
  readonly bufferedAmount: number;
  /** The peer's network address, for per-address limits; absent when unknown. */
  readonly remoteAddress?: string | undefined;
  /** Drops the socket at once, without a closing handshake (a peer that does not read would never see one). */
  terminate?(): void;
  /** Stops reading from the socket for `ms` (the bytes wait in the peer's and the kernel's buffers, not in ours). */
  pauseReading?(ms: number): void;
}

/** The limits a connection enforces itself. */
export type ConnectionLimits = Pick<
  Limits,
  | "connectionFramesPerSecond"
  | "connectionFrameBurst"
  | "bundleFetchesPerSecond"
  | "connectionBytesPerSecond"
  | "connectionByteBurst"
  | "loginTimeoutMs"
  | "sendBufferHighWaterBytes"
  | "sendBufferMaxBytes"
  | "sendStallTimeoutMs"
>;

/** Longest single pause of reading (the bucket's refill time is usually far shorter). */
const MAX_READ_PAUSE_MS = 5_000;
/** How often a congested send buffer is looked at (ws has no drain event of its own). */
const DRAIN_POLL_MS = 25;

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
  /** Frames admitted but not yet handled, oldest first; emptied (never decoded) on close. */
  readonly inbox: Uint8Array[] = [];
  /** Key of this connection's network address in per-address buckets. */
  get addressKey(): string {
    return this.transport.remoteAddress ?? "unknown";
  }
  /** The loop handling `inbox`, while it runs. */
  draining: Promise<void> | undefined;
  /** Set by an accepted sealed send: an anonymous sender's connection gets another login period. */
  anonymousActivity = false;
  readonly frames: TokenBucket;
  readonly bytes: TokenBucket;
  readonly bundleFetches: TokenBucket;
  #loginTimer: ReturnType<typeof setTimeout> | undefined;
  #drainTimer: ReturnType<typeof setInterval> | undefined;
  #drainWaiters: (() => void)[] = [];
  /** performance.now() when the send buffer last went above the high-water mark. */
  #congestedSince = 0;

  constructor(
    readonly transport: Transport,
    readonly nonce: Uint8Array,
    private readonly limits: ConnectionLimits,
    now: () => number,
    private readonly onSend: (frame: ServerFrame) => void = () => {},
    private readonly onClose: (code: CloseCode, reason: string) => void = () => {},
  ) {
    this.frames = new TokenBucket(limits.connectionFramesPerSecond, limits.connectionFrameBurst, now);
    this.bytes = new TokenBucket(limits.connectionBytesPerSecond, limits.connectionByteBurst, now);
    this.bundleFetches = new TokenBucket(limits.bundleFetchesPerSecond, limits.bundleFetchesPerSecond, now);
    this.#armLoginDeadline();
  }

  /** Sends a frame unless the connection is closed. Closes it (4009) if its send buffer overflows. */
  send(frame: ServerFrame): void {
    if (this.closed) return;
    this.onSend(frame);
    this.transport.send(encodeFrame(frame));
    this.#watchSendBuffer();
  }

  /** Sends a frame that may be lost (ephemeral): false, and nothing sent, while the send buffer is congested. */
  sendDroppable(frame: ServerFrame): boolean {
    if (this.closed || this.congested) return false;
    this.send(frame);
    return true;
  }

  /** True while the send buffer holds at least `sendBufferHighWaterBytes` (the peer is not keeping up). */
  get congested(): boolean {
    if (this.transport.bufferedAmount < this.limits.sendBufferHighWaterBytes) return false;
    this.#watchSendBuffer();
    return true;
  }

  /** Calls `resume` once the send buffer has drained below half the high-water mark (never, if the connection closes first). */
  onDrain(resume: () => void): void {
    this.#drainWaiters.push(resume);
    this.#startDrainWatch();
  }

  /**
   * Input backpressure: when the byte bucket cannot take another full frame, stop reading the
   * socket until it can, so a flood waits in the sender's buffers instead of costing the relay
   * the work of receiving and refusing it.
   */
  throttleReading(maxFrameBytes: number, addressWaitMs = 0): void {
    const wait = Math.max(this.bytes.msUntil(maxFrameBytes), this.frames.msUntil(1), addressWaitMs);
    if (wait > 0) this.transport.pauseReading?.(Math.min(wait, MAX_READ_PAUSE_MS));
  }

  /** Closes with a relay close code; idempotent. Frames still in the inbox are dropped undecoded. */
  close(code: CloseCode, reason: string): void {
    if (this.closed) return;
    this.closed = true;
    this.inbox.length = 0;
    this.#stopTimers();
    this.pump?.stop();
    this.transport.close(code, reason);
    this.onClose(code, reason);
  }

  /** The socket went away (no close frame to send): stop everything. */
  detached(): void {
    this.closed = true;
    this.inbox.length = 0;
    this.#stopTimers();
    this.pump?.stop();
  }

  #armLoginDeadline(): void {
    this.#loginTimer = setTimeout(() => {
      this.#loginTimer = undefined;
      if (this.closed || this.mailbox) return;
      if (this.anonymousActivity) {
        this.anonymousActivity = false;
        this.#armLoginDeadline();
        return;
      }
      this.close(CloseCode.LoginTimeout, "no login within the deadline");
    }, this.limits.loginTimeoutMs);
    this.#loginTimer.unref?.();
  }

  #watchSendBuffer(): void {
    const buffered = this.transport.bufferedAmount;
    if (buffered >= this.limits.sendBufferMaxBytes) {
      this.#slowConsumer("send buffer overflowed");
      return;
    }
    if (buffered >= this.limits.sendBufferHighWaterBytes) this.#startDrainWatch();
  }

  #startDrainWatch(): void {
    if (this.#drainTimer !== undefined || this.closed) return;
    this.#congestedSince = performance.now();
    this.#drainTimer = setInterval(() => this.#pollSendBuffer(), DRAIN_POLL_MS);
    this.#drainTimer.unref?.();
  }

  #pollSendBuffer(): void {
    const buffered = this.transport.bufferedAmount;
    const high = this.limits.sendBufferHighWaterBytes;
    if (buffered < high / 2) {
      clearInterval(this.#drainTimer);
      this.#drainTimer = undefined;
      const waiters = this.#drainWaiters;
      this.#drainWaiters = [];
      for (const resume of waiters) resume();
      return;
    }
    // The stall clock runs only while the buffer stays above the high-water mark.
    if (buffered < high) this.#congestedSince = performance.now();
    else if (performance.now() - this.#congestedSince > this.limits.sendStallTimeoutMs) this.#slowConsumer("peer stopped reading");
  }

  #slowConsumer(reason: string): void {
    this.close(CloseCode.SlowConsumer, reason);
    // Its buffered bytes would otherwise stay until the closing handshake times out.
    this.transport.terminate?.();
  }

  #stopTimers(): void {
    clearTimeout(this.#loginTimer);
    clearInterval(this.#drainTimer);
    this.#loginTimer = undefined;
    this.#drainTimer = undefined;
    this.#drainWaiters = [];
  }
}
