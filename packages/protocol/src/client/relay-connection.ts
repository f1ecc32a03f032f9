/**
 * One client connection to a relay, kept alive: connect, answer the challenge (log in, register,
 * or stay anonymous), match responses to requests by id, hand pushed frames (messages, queue
 * empty, …) to the owner, and reconnect with backoff and jitter when the connection drops.
 * Requests made while disconnected wait for the next connection (or time out).
 */

import { ErrorCode, ParleyError } from "../errors.js";
import { decodeFrame, encodeFrame } from "../wire/codec.js";
import { CloseCode } from "../wire/codes.js";
import type { ChallengeFrame, ClientFrame, ServerFrame } from "../wire/frames.js";
import { type BackoffOptions, backoffDelay } from "./backoff.js";
import type { Transport, TransportFactory } from "./transport.js";

/** Connection states, in order. `closed` is final. */
export type ConnectionState = "connecting" | "authenticating" | "ready" | "disconnected" | "closed";

/** A request frame before the connection assigns its id. */
export type Request = ClientFrame extends infer F ? (F extends { id: number } ? Omit<F, "id"> : never) : never;

/** Frames the relay pushes without a request. */
export type PushedFrame = Extract<ServerFrame, { t: "message" | "ephemeral" | "queue_empty" | "expired" | "prekeys_low" }>;

export interface RelayConnectionOptions {
  readonly url: string;
  readonly transport: TransportFactory;
  /**
   * Builds the login frame for a challenge (auth or register), or returns undefined to stay
   * anonymous (sealed sends only).
   */
  readonly login?: (challenge: ChallengeFrame) => Request | undefined;
  readonly onPush?: (frame: PushedFrame) => void;
  readonly onState?: (state: ConnectionState, detail?: StateDetail) => void;
  /** Per-request timeout in ms (default 15 s). */
  readonly requestTimeoutMs?: number;
  readonly backoff?: BackoffOptions;
}

/** Why the state changed: the close code and reason, and for a failed login the typed error. */
export interface StateDetail {
  readonly code?: number;
  readonly reason?: string;
  /** Set when a login failed: refused by this client (e.g. ERR_RELAY_ID_MISMATCH) or by the relay (ERR_RELAY). */
  readonly error?: Error;
}

interface Pending {
  frame: Request;
  resolve: (frame: ServerFrame) => void;
  reject: (error: Error) => void;
  timer: ReturnType<typeof setTimeout>;
  sent: boolean;
}

const PUSHED = new Set(["message", "ephemeral", "queue_empty", "expired", "prekeys_low"]);
/** Close codes after which reconnecting would only repeat the failure. */
const FINAL_CLOSES = new Set<number>([CloseCode.Replaced, CloseCode.DeviceRemoved]);

export class RelayConnection {
  private transport: Transport | undefined;
  private stateValue: ConnectionState = "disconnected";
  private attempt = 0;
  private nextId = 1;
  private readonly pending = new Map<number, Pending>();
  private reconnectTimer: ReturnType<typeof setTimeout> | undefined;
  /** Closed by the relay while unused (an anonymous connection past its login deadline): reopened by the next request. */
  private idle = false;
  private stopped = false;
  private openTimer: ReturnType<typeof setTimeout> | undefined;

  constructor(private readonly options: RelayConnectionOptions) {}

  get state(): ConnectionState {
    return this.stateValue;
  }

  /** Starts connecting (and keeps reconnecting until `close`). */
  start(): void {
    // Already connected, connecting, or waiting to retry: nothing to do.
    if (this.stopped || this.transport || this.reconnectTimer) return;
    this.open();
  }

  /** Sends a request and resolves with its response frame; an `error` frame rejects with ERR_RELAY. */
  request(frame: Request): Promise<ServerFrame> {
    if (this.stopped) return Promise.reject(new ParleyError(ErrorCode.Closed, "connection is closed"));
    const id = this.nextId++;
    return new Promise<ServerFrame>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.pending.delete(id);
        reject(new ParleyError(ErrorCode.Timeout, `relay did not answer ${frame.t} in time`));
      }, this.options.requestTimeoutMs ?? 15_000);
      const entry: Pending = { frame, resolve, reject, timer, sent: false };
      this.pending.set(id, entry);
      if (this.stateValue === "ready") this.transmit(id, entry);
      else if (this.idle) this.open();
    });
  }

  /**
   * Stops connecting without closing for good: the socket (if any) closes, no reconnect is
   * scheduled, requests already sent fail as after a drop, and unsent ones keep waiting for
   * their own timeouts. `start()` resumes.
   */
  stop(): void {
    if (this.stopped) return;
    if (this.reconnectTimer) clearTimeout(this.reconnectTimer);
    this.reconnectTimer = undefined;
    const transport = this.transport;
    this.transport = undefined;
    this.attempt = 0;
    this.clearOpenTimer();
    if (transport) {
      this.failSent();
      transport.close(CloseCode.Normal, "client stopped");
    }
    if (this.stateValue !== "disconnected") this.setState("disconnected", { reason: "stopped" });
  }

  /** Closes for good: pending requests reject with ERR_CLOSED. */
  close(): void {
    if (this.stopped) return;
    this.stopped = true;
    if (this.reconnectTimer) clearTimeout(this.reconnectTimer);
    this.transport?.close(CloseCode.Normal, "client closed");
    this.transport = undefined;
    this.clearOpenTimer();
    this.failPending(new ParleyError(ErrorCode.Closed, "connection is closed"));
    this.setState("closed");
  }

  private setState(state: ConnectionState, detail?: StateDetail): void {
    this.stateValue = state;
    this.options.onState?.(state, detail);
  }

  private open(): void {
    this.idle = false;
    this.setState("connecting");
    let transport: Transport;
    try {
      transport = this.options.transport(this.options.url, {
        onOpen: () => this.setState("authenticating"),
        onMessage: (data) => this.onData(transport, data),
        onClose: (code, reason) => this.onClosed(transport, code, reason),
      });
    } catch (error) {
      this.setState("disconnected", { reason: error instanceof Error ? error.message : String(error) });
      this.scheduleReconnect();
      return;
    }
    this.transport = transport;
    // A relay that accepts TCP but never sends its challenge (or a handshake that hangs) must
    // not hold this attempt open forever: give up on it and let the backoff try again.
    this.clearOpenTimer();
    this.openTimer = setTimeout(() => {
      this.openTimer = undefined;
      if (this.transport === transport && this.stateValue !== "ready") transport.close(CloseCode.Normal, "relay did not answer in time");
    }, this.options.requestTimeoutMs ?? 15_000);
  }

  private clearOpenTimer(): void {
    if (this.openTimer) clearTimeout(this.openTimer);
    this.openTimer = undefined;
  }

  private onData(transport: Transport, data: Uint8Array): void {
    if (transport !== this.transport) return;
    let frame: ServerFrame;
    try {
      frame = decodeFrame(data) as ServerFrame;
    } catch {
      return; // A relay that sends garbage gets ignored frame by frame, not trusted.
    }
    if (frame.t === "challenge") {
      this.onChallenge(frame);
      return;
    }
    if (PUSHED.has(frame.t)) {
      this.options.onPush?.(frame as PushedFrame);
      return;
    }
    const id = "id" in frame ? frame.id : undefined;
    if (id === undefined) return;
    const entry = this.pending.get(id);
    if (!entry) return;
    this.pending.delete(id);
    clearTimeout(entry.timer);
    if (frame.t === "error") {
      entry.reject(new ParleyError(ErrorCode.Relay, `relay refused ${entry.frame.t}: ${frame.code}`, { reason: frame.code }));
    } else {
      entry.resolve(frame);
    }
  }

  private onChallenge(challenge: ChallengeFrame): void {
    let login: Request | undefined;
    try {
      login = this.options.login?.(challenge);
    } catch (error) {
      const transport = this.transport;
      this.transport = undefined;
      transport?.close(CloseCode.Normal, "login refused by client");
      const reason = error instanceof Error ? error.message : String(error);
      // Scheduled before the state change, so an owner that stops us on it cancels the retry.
      this.scheduleReconnect();
      this.setState("disconnected", { reason, error: error instanceof Error ? error : new Error(reason) });
      return;
    }
    if (!login) {
      this.becomeReady();
      return;
    }
    const id = this.nextId++;
    const transport = this.transport;
    const timer = setTimeout(() => transport?.close(CloseCode.Normal, "login timed out"), this.options.requestTimeoutMs ?? 15_000);
    this.pending.set(id, {
      frame: login,
      sent: true,
      timer,
      resolve: () => this.becomeReady(),
      reject: (error) => {
        if (this.transport !== transport) return;
        this.transport = undefined;
        transport?.close(CloseCode.Normal, "login refused");
        this.scheduleReconnect();
        this.setState("disconnected", { reason: error.message, error });
      },
    });
    this.transport?.send(encodeFrame({ ...login, id } as ClientFrame));
  }

  private becomeReady(): void {
    this.clearOpenTimer();
    this.attempt = 0;
    this.setState("ready");
    for (const [id, entry] of this.pending) if (!entry.sent) this.transmit(id, entry);
  }

  private transmit(id: number, entry: Pending): void {
    entry.sent = true;
    try {
      this.transport?.send(encodeFrame({ ...entry.frame, id } as ClientFrame));
    } catch (error) {
      this.pending.delete(id);
      clearTimeout(entry.timer);
      entry.reject(error instanceof Error ? error : new Error(String(error)));
    }
  }

  private onClosed(transport: Transport, code: number, reason: string): void {
    if (transport !== this.transport) return;
    this.transport = undefined;
    this.clearOpenTimer();
    // Requests already on the wire may or may not have been processed: callers retry them
    // (sends are idempotent through message ids). Unsent ones wait for the next connection.
    this.failSent();
    if (this.stopped) return;
    this.setState("disconnected", { code, reason });
    if (code === CloseCode.LoginTimeout && this.pending.size === 0) {
      // An unauthenticated connection left unused past the relay's login deadline (spec/relay.md
      // §12, loginTimeoutMs): reconnecting now would only be closed again, so wait for work.
      this.attempt = 0;
      this.idle = true;
      return;
    }
    if (FINAL_CLOSES.has(code)) {
      this.stopped = true;
      this.failPending(new ParleyError(ErrorCode.Closed, `relay closed the connection (${code})`));
      this.setState("closed", { code, reason });
      return;
    }
    this.scheduleReconnect();
  }

  private scheduleReconnect(): void {
    if (this.stopped) return;
    const delay = backoffDelay(this.attempt++, this.options.backoff);
    this.reconnectTimer = setTimeout(() => {
      this.reconnectTimer = undefined;
      this.open();
    }, delay);
  }

  /** Rejects requests already on the wire (the connection they went out on is gone). */
  private failSent(): void {
    for (const [id, entry] of this.pending) {
      if (!entry.sent) continue;
      this.pending.delete(id);
      clearTimeout(entry.timer);
      entry.reject(new ParleyError(ErrorCode.Timeout, `connection closed before the relay answered ${entry.frame.t}`));
    }
  }

  private failPending(error: Error): void {
    for (const entry of this.pending.values()) {
      clearTimeout(entry.timer);
      entry.reject(error);
    }
    this.pending.clear();
  }
}
