/**
 * Rate buckets keyed by account (not by connection), for the directory requests that cost a
 * victim something or reveal who exists: `lookup_handle` and `fetch_devices` per account, and
 * bundle fetches per requesting account, per (requester, target) pair and per target (its
 * one-time-prekey budget). One set per relay instance, held on its context; full buckets are
 * pruned every few thousand takes, so memory follows recently active accounts.
 */

import type { Limits } from "../limits.js";
import { KeyedBuckets } from "../rate-limit.js";

/** Takes between prunes of full buckets: amortises the walk over the maps. */
const PRUNE_EVERY = 4096;

/** The per-account buckets of one relay. */
export class AccountBuckets {
  readonly lookups: KeyedBuckets;
  readonly bundleRequester: KeyedBuckets;
  readonly bundlePair: KeyedBuckets;
  readonly targetOneTime: KeyedBuckets;
  #takes = 0;

  constructor(limits: Limits, now: () => number) {
    this.lookups = new KeyedBuckets(limits.handleLookupsPerMinute / 60, limits.handleLookupBurst, now);
    this.bundleRequester = new KeyedBuckets(limits.requesterBundleFetchesPerHour / 3600, limits.requesterBundleFetchBurst, now);
    this.bundlePair = new KeyedBuckets(limits.pairBundleFetchesPerHour / 3600, limits.pairBundleFetchBurst, now);
    this.targetOneTime = new KeyedBuckets(limits.targetOneTimePreKeysPerHour / 3600, limits.targetOneTimePreKeyBurst, now);
  }

  /** These buckets, after pruning full ones every PRUNE_EVERY uses; call once per request. */
  use(): this {
    if (++this.#takes % PRUNE_EVERY === 0) {
      for (const buckets of [this.lookups, this.bundleRequester, this.bundlePair, this.targetOneTime]) buckets.prune();
    }
    return this;
  }
}
