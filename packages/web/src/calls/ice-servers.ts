/**
 * ICE servers for the web client's calls: the configuration each new peer connection gets
 * (the SDK's `client.iceServers()`, which caches them until shortly before their TURN credentials
 * expire), the refresh of running connections' servers before the credentials expire (so an ICE
 * restart late in a long call still authenticates), and the "Relay calls through the server"
 * privacy setting (a preference of this browser, in localStorage): relay-only ICE, which hides
 * the device's IP address from the other person.
 */
import type { IceServers } from "@parley/protocol/client";

/** The localStorage key of the "Relay calls through the server" setting ("1" when on). */
export const RELAY_CALLS_KEY = "parley.relayCalls";

/** Whether calls from this browser go only through the relay's TURN server. */
export function relayCallsEnabled(storage: Pick<Storage, "getItem"> = localStorage): boolean {
  return storage.getItem(RELAY_CALLS_KEY) === "1";
}

/** Turns the "Relay calls through the server" setting on or off for this browser. */
export function setRelayCalls(on: boolean, storage: Pick<Storage, "setItem" | "removeItem"> = localStorage): void {
  if (on) storage.setItem(RELAY_CALLS_KEY, "1");
  else storage.removeItem(RELAY_CALLS_KEY);
}

/** True when `servers` list a TURN server with credentials (relay-only calls can connect). */
export function hasTurnServer(servers: IceServers): boolean {
  return servers.iceServers.some((s) => s.username !== undefined && s.urls.some((u) => /^turns?:/i.test(u)));
}

/** The call failed before it started: relay-only calls are on, but the relay lists no TURN server. */
export class NoTurnServerError extends Error {
  override readonly name = "NoTurnServerError";
  constructor() {
    super(
      'This server has no relay for calls, and "Relay calls through the server" is on (Settings → Privacy). Turn it off to call directly.',
    );
  }
}

/** Never refresh sooner than this after the last refresh (ms): a bound on a misbehaving clock. */
export const MIN_REFRESH_DELAY_MS = 1_000;
/** After a failed refresh, try again this much later (ms). */
export const REFRESH_RETRY_MS = 15_000;
/**
 * How long after handing out a configuration a refresh that finds no open connection waits for
 * one (ms): the connection is made right after its configuration (it does not wait for the
 * camera), but a slow step in between must not cost an open call its refresh. Meanwhile it
 * checks every {@link MIN_REFRESH_DELAY_MS}.
 */
export const LEG_SETUP_GRACE_MS = 5 * 60_000;
/** Fire a refresh this much after the SDK's `refreshAt`, so its cache has surely gone stale (ms). */
const REFRESH_SLACK_MS = 50;

/** What an {@link IceServerSource} needs from its surroundings. */
export interface IceServerSourceOptions {
  /** The SDK's `client.iceServers()`. */
  readonly fetch: () => Promise<IceServers>;
  /** True while any peer connection is open (refreshes stop when none is). */
  readonly active: () => boolean;
  /** Gives refreshed servers to every open peer connection. */
  readonly apply: (iceServers: RTCIceServer[]) => void;
  /** The "Relay calls through the server" setting, read for each new connection. */
  readonly relayOnly?: () => boolean;
  /** Called when a refresh fails (it is retried); a call keeps running on its current servers meanwhile. */
  readonly onError?: (error: unknown) => void;
  /** The clock (ms since the epoch) and timers; the browser's by default. */
  readonly now?: () => number;
  readonly setTimer?: (fn: () => void, ms: number) => unknown;
  readonly clearTimer?: (timer: unknown) => void;
}

/** The configuration for new peer connections, and timely new credentials for running ones. */
export class IceServerSource {
  readonly #o: IceServerSourceOptions;
  readonly #now: () => number;
  readonly #setTimer: (fn: () => void, ms: number) => unknown;
  readonly #clearTimer: (timer: unknown) => void;
  #timer: unknown;
  /** When the pending refresh fires (ms since the epoch). */
  #timerAt: number | undefined;
  /** When a configuration was last handed out (ms since the epoch). */
  #configuredAt = Number.NEGATIVE_INFINITY;

  constructor(options: IceServerSourceOptions) {
    this.#o = options;
    this.#now = options.now ?? Date.now;
    this.#setTimer = options.setTimer ?? ((fn, ms) => setTimeout(fn, ms));
    this.#clearTimer = options.clearTimer ?? ((t) => clearTimeout(t as ReturnType<typeof setTimeout>));
  }

  /**
   * The configuration for a new peer connection: the current servers (fresh credentials) and,
   * with relay-only calls on, `iceTransportPolicy: "relay"`. Throws {@link NoTurnServerError}
   * when relay-only calls are on and the relay has no TURN server. Arms the refresh of open
   * connections' servers before these credentials expire.
   */
  async configuration(): Promise<RTCConfiguration> {
    const servers = await this.#o.fetch();
    const relayOnly = this.#o.relayOnly?.() ?? false;
    if (relayOnly && !hasTurnServer(servers)) throw new NoTurnServerError();
    this.#configuredAt = this.#now();
    this.#schedule(servers.refreshAt);
    const iceServers = toRtc(servers);
    return relayOnly ? { iceServers, iceTransportPolicy: "relay" } : { iceServers };
  }

  /** Cancels a pending refresh. */
  stop(): void {
    if (this.#timer !== undefined) this.#clearTimer(this.#timer);
    this.#timer = undefined;
    this.#timerAt = undefined;
  }

  /** Arms the refresh for `refreshAt` (or keeps an earlier one). */
  #schedule(refreshAt: number | undefined): void {
    if (refreshAt === undefined) return;
    const at = Math.max(refreshAt + REFRESH_SLACK_MS, this.#now() + MIN_REFRESH_DELAY_MS);
    if (this.#timerAt !== undefined && this.#timerAt <= at) return;
    this.#arm(at);
  }

  #arm(at: number): void {
    this.stop();
    this.#timerAt = at;
    this.#timer = this.#setTimer(() => void this.#refresh(), Math.max(0, at - this.#now()));
  }

  /** No open connection: shortly after a configuration was handed out, its connection may still come. */
  #awaitLeg(): void {
    const now = this.#now();
    if (now - this.#configuredAt < LEG_SETUP_GRACE_MS && this.#timerAt === undefined) this.#arm(now + MIN_REFRESH_DELAY_MS);
  }

  async #refresh(): Promise<void> {
    this.#timer = undefined;
    this.#timerAt = undefined;
    if (!this.#o.active()) return this.#awaitLeg();
    try {
      const servers = await this.#o.fetch();
      if (!this.#o.active()) return this.#awaitLeg();
      this.#o.apply(toRtc(servers));
      this.#schedule(servers.refreshAt);
    } catch (error) {
      this.#o.onError?.(error);
      if (this.#o.active() && this.#timerAt === undefined) this.#arm(this.#now() + REFRESH_RETRY_MS);
    }
  }
}

/** The SDK's servers as `RTCIceServer`s (fresh arrays: the browser may keep them). */
function toRtc(servers: IceServers): RTCIceServer[] {
  return servers.iceServers.map((s) => ({ ...s, urls: [...s.urls] }));
}

/**
 * Gives a running peer connection new servers (the same configuration otherwise). They take
 * effect on its next gathering, e.g. an ICE restart. Returns false for a closed connection or one
 * that refused the change (it keeps its servers; the others still get theirs).
 */
export function applyIceServers(pc: RTCPeerConnection, iceServers: RTCIceServer[]): boolean {
  if (pc.signalingState === "closed") return false;
  try {
    pc.setConfiguration({ ...pc.getConfiguration(), iceServers });
    return true;
  } catch {
    return false;
  }
}
