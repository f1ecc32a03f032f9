/**
 * Rate buckets keyed by account (not by connection), for the directory requests that cost a
 * victim something or reveal who exists: `lookup_handle` and `fetch_devices` per account, and bundle fetches per
 * requesting account, per (requester, target) pair and per target (its one-time-prekey budget).
 * One set per relay instance (a WeakMap on its context, never module-wide state shared between
 * relays); full buckets are pruned as they are used, so memory follows recently active accounts.
 */

import type { RelayContext } from "../context.js";
import { KeyedBuckets } from "../rate-limit.js";

/** The per-account buckets of one relay. */
export interface AccountBuckets {
  readonly lookups: KeyedBuckets;
  readonly bundleRequester: KeyedBuckets;
  readonly bundlePair: KeyedBuckets;
  readonly targetOneTime: KeyedBuckets;
}

const perRelay = new WeakMap<RelayContext, { buckets: AccountBuckets; takes: number }>();
/** Takes between prunes of full buckets: amortises the walk over the maps. */
const PRUNE_EVERY = 4096;

/** The account buckets of `ctx`'s relay, created on first use from its limits. */
export function accountBuckets(ctx: RelayContext): AccountBuckets {
  let entry = perRelay.get(ctx);
  if (!entry) {
    const l = ctx.limits;
    entry = {
      buckets: {
        lookups: new KeyedBuckets(l.handleLookupsPerMinute / 60, l.handleLookupBurst, ctx.now),
        bundleRequester: new KeyedBuckets(l.requesterBundleFetchesPerHour / 3600, l.requesterBundleFetchBurst, ctx.now),
        bundlePair: new KeyedBuckets(l.pairBundleFetchesPerHour / 3600, l.pairBundleFetchBurst, ctx.now),
        targetOneTime: new KeyedBuckets(l.targetOneTimePreKeysPerHour / 3600, l.targetOneTimePreKeyBurst, ctx.now),
      },
      takes: 0,
    };
    perRelay.set(ctx, entry);
  }
  if (++entry.takes % PRUNE_EVERY === 0) for (const buckets of Object.values(entry.buckets)) buckets.prune();
  return entry.buckets;
}
