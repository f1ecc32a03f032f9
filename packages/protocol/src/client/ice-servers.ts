/**
 * The client's cache of the relay's STUN/TURN servers (spec/calls.md §8): one `fetch_ice_servers`
 * answer is reused until shortly before its TURN credentials expire, then the next call fetches
 * new ones. Callers that ask at the same time share one request; a failed request is not cached.
 * The client clears it at every login (client-lifecycle.ts): a relay restarted with a new TURN
 * secret would refuse the credentials cached before.
 */

import type { IceServers } from "./push.js";

/** Refresh at the latest this long before the TURN credentials expire (ms). */
export const ICE_REFRESH_MIN_MARGIN_MS = 60_000;

/** How long servers without TURN credentials (STUN only, or none) are reused (ms). */
export const ICE_SERVERS_NO_EXPIRY_REUSE_MS = 10 * 60_000;

/**
 * When servers fetched at `fetchedAt` with credentials expiring at `expiresAt` should be fetched
 * again: when a fifth of their lifetime is left, at least {@link ICE_REFRESH_MIN_MARGIN_MS} before
 * the expiry, but never later than half-way (so a short lifetime still leaves time to use them).
 * Without `expiresAt` (no TURN server), {@link ICE_SERVERS_NO_EXPIRY_REUSE_MS} after fetching.
 *
 * @example iceRefreshAt(0, 6 * 3600_000) // 17_280_000: 4.8 h in, 72 min before the expiry
 * @example iceRefreshAt(0, 20_000) // 10_000: half-way
 */
export function iceRefreshAt(fetchedAt: number, expiresAt: number | undefined): number {
  if (expiresAt === undefined) return fetchedAt + ICE_SERVERS_NO_EXPIRY_REUSE_MS;
  const lifetime = expiresAt - fetchedAt;
  if (lifetime <= 0) return fetchedAt;
  const margin = Math.min(Math.max(lifetime / 5, ICE_REFRESH_MIN_MARGIN_MS), lifetime / 2);
  return Math.floor(expiresAt - margin);
}

interface Entry {
  readonly value: IceServers;
  readonly refreshAt: number;
}

/** Reuses one client's ICE servers until their refresh time; see {@link iceRefreshAt}. */
export class IceServerCache {
  readonly #fetch: () => Promise<IceServers>;
  readonly #now: () => number;
  #entry: Entry | undefined;
  #pending: Promise<IceServers> | undefined;

  /** `fetch` asks the relay; `now` is the client's clock (ms since the epoch). */
  constructor(fetch: () => Promise<IceServers>, now: () => number) {
    this.#fetch = fetch;
    this.#now = now;
  }

  /** The cached servers while fresh, else new ones from the relay. Each caller gets its own copy. */
  async get(): Promise<IceServers> {
    const entry = this.#entry;
    if (entry && this.#now() < entry.refreshAt) return copy(entry.value, entry.refreshAt);
    this.#pending ??= this.#load().finally(() => {
      this.#pending = undefined;
    });
    const value = await this.#pending;
    return copy(value, value.refreshAt);
  }

  /** Forgets the cached servers (the next `get` asks the relay). */
  clear(): void {
    this.#entry = undefined;
  }

  async #load(): Promise<IceServers> {
    const fetchedAt = this.#now();
    const value = await this.#fetch();
    const refreshAt = iceRefreshAt(fetchedAt, value.expiresAt);
    this.#entry = { value, refreshAt };
    return { ...value, refreshAt };
  }
}

function copy(value: IceServers, refreshAt: number | undefined): IceServers {
  const iceServers = value.iceServers.map((s) => ({ ...s, urls: [...s.urls] }));
  const out: IceServers = value.expiresAt === undefined ? { iceServers } : { iceServers, expiresAt: value.expiresAt };
  return refreshAt === undefined ? out : { ...out, refreshAt };
}
