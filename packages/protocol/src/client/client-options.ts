/**
 * The options a ParleyClient is made with and those of `connect()`, with their defaults, and
 * the check that runs before anything is written (a bad relay URL fails at once).
 */

import type { CryptoProvider } from "../crypto/provider.js";
import { canonicalRelayId } from "../wire/auth.js";
import type { BackoffOptions } from "./backoff.js";
import type { CallOptions } from "./calls/types.js";
import type { UnsealedFallback } from "./delivery-token.js";
import type { IdentityRecheckOptions } from "./identity-refresh.js";
import type { ClientLogger } from "./logger.js";
import type { Store } from "./store/store.js";
import type { TransportFactory } from "./transport.js";

export interface ParleyClientOptions {
  /** The relay's WebSocket URL, e.g. `wss://relay.example` or `ws://localhost:8787`. */
  readonly relayUrl: string;
  /** Where everything is persisted (MemoryStore, FileStore, IndexedDbStore or your own). */
  readonly store: Store;
  /** Defaults to the fastest available (`loadCryptoProvider()`). */
  readonly crypto?: CryptoProvider;
  /** Defaults to the global WebSocket; in Node pass `nodeTransport` from `@parley/protocol/node`. */
  readonly transport?: TransportFactory;
  /**
   * The relay id the relay's challenge must name (spec/relay.md §3.1). Default: derived from
   * `relayUrl` (`wss://relay.example/x` → `https://relay.example`). Always enforced: a relay
   * naming another id could be passing another relay's challenge through to log in there as
   * this device, so the client signs nothing and login fails with `ERR_RELAY_ID_MISMATCH`.
   * Set it only when you dial the relay at another address than its public one (e.g. through
   * a tunnel); it must then equal the relay's `--public-url`.
   */
  readonly relayId?: string;
  /**
   * When a contact's relay refuses the delivery token we hold for them (TOKEN_INVALID), a sealed
   * send cannot go. `"never"` (the default) fails the message (`failed`) and reports it;
   * `"allow"` sends it authenticated, which names this account to the relay, flags the message
   * `sentUnsealed` and reports it. Either way an `unsealedFallback` event fires.
   */
  readonly unsealedFallback?: UnsealedFallback;
  /** Per-request timeout in ms (default 15 s); also bounds each connection attempt's handshake. */
  readonly requestTimeoutMs?: number;
  /** How long `connect()` waits for a login before rejecting with `ERR_TIMEOUT` (default 30 s). */
  readonly connectTimeoutMs?: number;
  readonly backoff?: BackoffOptions;
  /** Receives the client's log lines (connection, login, prekeys, identity re-checks); never secrets. `console` works. */
  readonly logger?: ClientLogger;
  /** `close()` closes the store too, unless this is true (you manage the store's lifetime). */
  readonly keepStoreOpen?: boolean;
  /**
   * Background identity re-checks of contacts' handles (spec/client.md §9): over the anonymous
   * connection, one contact at a time, spread out (default: a lookup every 10 min on average,
   * each contact at most daily). `false` turns them off.
   */
  readonly identityRecheck?: IdentityRecheckOptions | false;
  /** Call timeouts (spec/calls.md §5): ring 45 s and connect 30 s by default. */
  readonly calls?: CallOptions;
  /** Clock override (tests). */
  readonly now?: () => number;
  /** The `fetch` used for attachment blobs at the relay's HTTP origin (default: the global one). */
  readonly fetch?: typeof fetch;
}

/** Options of `connect()`. */
export interface ConnectOptions {
  /** Gives up (rejecting with the signal's reason) when aborted. */
  readonly signal?: AbortSignal;
  /** Overrides `connectTimeoutMs` for this call. */
  readonly timeoutMs?: number;
}

/** How long `connect()` waits by default: long enough for a few reconnect attempts on a slow network. */
export const CONNECT_TIMEOUT_MS = 30_000;

/** Options checked before anything is written, so a bad relay URL fails at once with RangeError. */
export function checkOptions(options: ParleyClientOptions): void {
  canonicalRelayId(options.relayId ?? options.relayUrl);
}
