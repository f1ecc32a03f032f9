/**
 * The life of one ParleyClient from `connect()` to `close()`: logging in (signing the relay's
 * challenge), the connection's state changes and the set-up after each login, the `connect()`
 * callers waiting for one, the relay's pushed frames handled one at a time in arrival order, the
 * anonymous connection opened on first use, and the end — closed by the app, or by another
 * writer that claimed the store. `ParleyClient` delegates here; nothing here is public API.
 */

import { ErrorCode, ParleyError } from "../errors.js";
import { canonicalRelayId, sameRelayId, signAuthChallenge } from "../wire/auth.js";
import type { ChallengeFrame } from "../wire/frames.js";
import { backoffDelay } from "./backoff.js";
import type { CallsApi } from "./calls/calls-api.js";
import { CONNECT_TIMEOUT_MS, type ConnectOptions, type ParleyClientOptions } from "./client-options.js";
import type { ClientContext } from "./context.js";
import { publishAccountToken } from "./delivery-token.js";
import { refreshOwnList } from "./device-lists.js";
import type { IceServerCache } from "./ice-servers.js";
import type { IdentityRefresher } from "./identity-refresh.js";
import { receiveEphemeral, receiveMessage } from "./incoming.js";
import { errorFields, type Log } from "./logger.js";
import { LoginWaiters } from "./login-waiters.js";
import { flushOutbox, outboxEmpty } from "./outgoing.js";
import type { PreKeyMaintenance } from "./prekey-maintenance.js";
import { type ConnectionState, type PushedFrame, RelayConnection, type Request, type StateDetail } from "./relay-connection.js";
import { webSocketTransport } from "./transport.js";

/** The parts of one client that its lifecycle drives. */
export interface LifecycleParts {
  readonly ctx: ClientContext;
  /** The connection without login (see `relayConnections`), opened by `startAnonymous`. */
  readonly anonymous: RelayConnection;
  readonly log: Log;
  readonly prekeys: PreKeyMaintenance;
  readonly identities: IdentityRefresher;
  readonly calls: Pick<CallsApi, "closeAll">;
  /** The relay's STUN/TURN servers, cached (`ParleyClient.iceServers`); forgotten at every login. */
  readonly iceServers: Pick<IceServerCache, "clear">;
}

/**
 * The client's two relay connections over one transport: the logged-in one, whose logins, state
 * changes and pushed frames go to the lifecycle (`lifecycle()` is read only when they happen,
 * once the client is built), and the anonymous one for sealed sends with delivery tokens.
 */
export function relayConnections(
  options: ParleyClientOptions,
  lifecycle: () => ClientLifecycle,
): { connection: RelayConnection; anonymous: RelayConnection } {
  const common = {
    url: options.relayUrl,
    transport: options.transport ?? webSocketTransport(),
    ...optional("requestTimeoutMs", options.requestTimeoutMs),
    ...optional("backoff", options.backoff),
  };
  const connection = new RelayConnection({
    ...common,
    login: (challenge) => lifecycle().login(challenge),
    onPush: (frame) => lifecycle().onPush(frame),
    onState: (state, detail) => lifecycle().onState(state, detail),
  });
  return { connection, anonymous: new RelayConnection({ ...common }) };
}

export class ClientLifecycle {
  private readonly relayId: string;
  private readonly ctx: ClientContext;
  private readonly log: Log;
  private readonly prekeys: PreKeyMaintenance;
  private receiving: Promise<void> = Promise.resolve();
  /** Callers of `connect()` waiting for a login; when the last gives up, the connection stops trying. */
  private readonly connectWaiters = new LoginWaiters(() => {
    if (!this.loggedIn) this.ctx.connection.stop();
  });
  /** Logged in and set up at the relay (afterLogin done) on the current connection. */
  private loggedIn = false;
  private closed = false;
  /** Why the client closed itself (its store was claimed by another writer): later calls reject with it. */
  private closedBy: Error | undefined;
  private closing: Promise<void> | undefined;

  constructor(
    private readonly options: ParleyClientOptions,
    private readonly parts: LifecycleParts,
  ) {
    this.relayId = canonicalRelayId(options.relayId ?? options.relayUrl);
    this.ctx = parts.ctx;
    this.log = parts.log;
    this.prekeys = parts.prekeys;
  }

  /** Throws ERR_CLOSED (or the takeover's error) once the client is closed. */
  assertOpen(): void {
    if (this.closed) throw this.closedBy ?? new ParleyError(ErrorCode.Closed, "client is closed");
  }

  /** `ParleyClient.connect`: starts the connection and waits for a login and its set-up. */
  async connect(options: ConnectOptions): Promise<void> {
    this.assertOpen();
    options.signal?.throwIfAborted();
    if (this.loggedIn) return;
    const timeoutMs = options.timeoutMs ?? this.options.connectTimeoutMs ?? CONNECT_TIMEOUT_MS;
    const waiting = this.connectWaiters.wait(timeoutMs, options.signal);
    this.log.debug("connecting", { relayId: this.relayId });
    this.ctx.connection.start();
    await waiting;
  }

  /** `ParleyClient.close`: once; a second call gets the first one's promise. */
  close(): Promise<void> {
    this.closing ??= (async () => {
      this.closed = true;
      this.ctx.closed = true;
      this.loggedIn = false;
      this.prekeys.stop();
      this.parts.identities.stop();
      this.parts.calls.closeAll();
      this.connectWaiters.rejectAll(new ParleyError(ErrorCode.Closed, "client is closed"));
      this.ctx.connection.close();
      this.parts.anonymous.close();
      await this.receiving.catch(() => undefined);
      await this.ctx.settle();
      // A store claimed by another writer is that writer's now: leave it open.
      if (!this.options.keepStoreOpen && !this.closedBy) await this.ctx.store.close();
      this.log.info("closed");
    })();
    return this.closing;
  }

  /** `ParleyClient.flush`: passes over the outbox until it is empty, while the client and its connection live. */
  async flush(): Promise<void> {
    this.assertOpen();
    for (let attempt = 0; !(await outboxEmpty(this.ctx)); attempt++) {
      this.assertOpen();
      if (this.ctx.connection.state === "closed") throw new ParleyError(ErrorCode.Closed, "the relay connection is closed for good");
      await flushOutbox(this.ctx);
      // A pass can end with sends still queued (the relay unreachable or busy): wait before the
      // next, so a flush never keeps the event loop to itself.
      if (!(await outboxEmpty(this.ctx)))
        await new Promise((resolve) => setTimeout(resolve, backoffDelay(attempt, { baseMs: 20, capMs: 1000 })));
    }
  }

  /** Another writer claimed our store: encrypting again would reuse message keys, so stop and say so. */
  takenOver(error: Error): void {
    if (this.closed) return;
    this.closedBy = error;
    this.ctx.emit("error", error);
    void this.close();
  }

  /** The anonymous connection, started (it idles again when the relay closes it unused). */
  startAnonymous(): RelayConnection {
    this.parts.anonymous.start();
    return this.parts.anonymous;
  }

  /** The login frame for a relay's challenge: register until the relay has accepted this device once, then auth. */
  login(challenge: ChallengeFrame): Request {
    // Against challenge relaying (spec/relay.md §3, REL-013): sign only a challenge of the relay we dialled.
    if (!sameRelayId(challenge.relayId, this.relayId)) {
      throw new ParleyError(
        ErrorCode.RelayIdMismatch,
        `the relay names itself ${JSON.stringify(challenge.relayId.slice(0, 100))}, not ${this.relayId}: its challenge was not signed`,
      );
    }
    const local = this.ctx.local;
    const signature = signAuthChallenge(this.ctx.deps, local.device, challenge.nonce, challenge.relayId);
    // Until the relay has accepted this device once, log in by registering (the relay accepts
    // the same certificate and device list again, so a crash before we noted it is harmless).
    if (!local.identity.registered) {
      this.prekeys.expectInitialUpload();
      return { t: "register", certificate: local.identity.certificate, deviceList: local.identity.deviceList, signature };
    }
    return { t: "auth", userId: local.userId, deviceId: local.device.deviceId, signature };
  }

  /** A state change of the logged-in connection: reported as a `connection` event; a login starts the set-up. */
  onState(state: ConnectionState, detail?: StateDetail): void {
    const { error, ...rest } = detail ?? {};
    if (state !== "ready") this.loggedIn = false;
    // A new login may be to a relay restarted with a new TURN secret, which refuses the cached
    // credentials: ask it again (spec/calls.md §8). Before the event, for apps that ask on it.
    if (state === "ready") this.parts.iceServers.clear();
    this.ctx.emit("connection", { state, ...rest });
    if (state === "ready") {
      this.log.debug("logged in", { relayId: this.relayId });
      this.ctx.spawn(() => this.afterLogin());
    } else if (error) {
      this.log.warn("login failed", errorFields(error));
      // A login that failed ends every connect() waiting for one; without waiters (a
      // reconnect after a drop) it is reported and the connection keeps retrying with backoff.
      if (!this.connectWaiters.rejectAll(error)) this.ctx.emit("error", error);
    } else {
      this.log.debug(`connection ${state}`, { code: rest.code, reason: rest.reason });
    }
  }

  /** A frame the relay pushed: handled after every earlier one (a mailbox's order is kept). */
  onPush(frame: PushedFrame): void {
    const run = async () => {
      switch (frame.t) {
        case "message":
          await receiveMessage(this.ctx, frame);
          break;
        case "ephemeral":
          await receiveEphemeral(this.ctx, frame.envelope);
          break;
        case "queue_empty":
          this.ctx.emit("synced", undefined);
          break;
        case "expired":
          this.ctx.emit(
            "error",
            new ParleyError(ErrorCode.LimitExceeded, `${frame.count} messages expired at the relay before this device collected them`, {
              reason: "EXPIRED",
            }),
          );
          break;
        case "prekeys_low":
          // In the background: an upload round trip must not hold up the messages behind it.
          this.ctx.spawn(() => this.prekeys.onLow(frame));
          break;
      }
    };
    // One at a time, in arrival order: the relay delivers a mailbox in order and we keep it.
    if (this.closed) return;
    this.receiving = this.receiving.then(run).catch((error) => {
      if (!this.closed) this.ctx.emit("error", error instanceof Error ? error : new Error(String(error)));
    });
  }

  /** First login: publish prekeys. Every login: the account's delivery token (primary), flush the outbox. */
  private async afterLogin(): Promise<void> {
    try {
      const local = this.ctx.local;
      if (!local.identity.registered) {
        // Marked registered only once prekeys are up: a crash before that registers (harmlessly)
        // again and uploads again, instead of leaving the relay without prekeys.
        await this.prekeys.initialUpload();
        await this.ctx.store.batch([local.update({ registered: true })]);
      }
      // The account's one token, set by the primary device only, at every login: a device linked
      // by an older version that replaced it is overruled, so contacts' tokens work again. In the
      // background: a failure leaves the relay's token as it was, and must not hold up connect().
      this.ctx.spawn(() => publishAccountToken(this.ctx));
      // Our own device list at every login: linked devices learn of devices added or removed.
      this.ctx.spawn(() =>
        refreshOwnList(this.ctx).catch((error) => this.ctx.emit("error", error instanceof Error ? error : new Error(String(error)))),
      );
      this.ctx.spawn(() => this.prekeys.afterLogin());
      // No lookups of every contact here: that would show the relay the contact list at each login.
      this.parts.identities.start();
      this.loggedIn = this.ctx.connection.state === "ready";
      this.log.info("connection ready", { relayId: this.relayId, deviceId: local.device.deviceId });
      this.connectWaiters.resolveAll();
      this.ctx.spawn(() => flushOutbox(this.ctx));
    } catch (error) {
      if (!this.connectWaiters.rejectAll(error)) this.ctx.emit("error", error instanceof Error ? error : new Error(String(error)));
    }
  }
}

function optional<K extends string, V>(key: K, value: V | undefined): { [P in K]?: V } {
  return value === undefined ? {} : ({ [key]: value } as { [P in K]?: V });
}
