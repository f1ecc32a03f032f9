/**
 * Token buckets for the relay's rate limits, on the injected clock. `KeyedBuckets` holds one
 * bucket per key (a sender × recipient pair) and forgets buckets that have refilled, so memory
 * stays proportional to recently active keys, and never holds more than `maxKeys`.
 *
 * In a cluster, a listener sees every consumption (cluster/quota-sync.ts broadcasts it) and
 * `absorb` spends what other nodes consumed. Absorbed spends may take a bucket below zero: that
 * debt is consumption other nodes already admitted, and forgiving it would let a client that
 * spreads over k nodes get k times the rate.
 */

/** A token bucket: `ratePerSecond` sustained, up to `burst` at once. */
export class TokenBucket {
  #tokens: number;
  #updatedAt: number;

  constructor(
    readonly ratePerSecond: number,
    readonly burst: number,
    private readonly now: () => number,
  ) {
    this.#tokens = burst;
    this.#updatedAt = now();
  }

  /** Takes `n` tokens if available. */
  take(n = 1): boolean {
    this.#refill();
    if (this.#tokens < n) return false;
    this.#tokens -= n;
    return true;
  }

  /** Takes up to `n` tokens, as many as there are (for work already done that must still be paid for). */
  spend(n: number): void {
    this.#refill();
    this.#tokens = Math.max(0, this.#tokens - n);
  }

  /** Takes `n` tokens even below zero (consumption already admitted elsewhere). */
  owe(n: number): void {
    this.#refill();
    this.#tokens -= n;
  }

  /** Milliseconds until `n` tokens are available (0 if they are now). */
  msUntil(n: number): number {
    this.#refill();
    return this.#tokens >= n ? 0 : Math.ceil(((n - this.#tokens) * 1000) / this.ratePerSecond);
  }

  /** True when the bucket is full again (it can be forgotten). */
  get full(): boolean {
    this.#refill();
    return this.#tokens >= this.burst;
  }

  #refill(): void {
    const t = this.now();
    const elapsed = Math.max(0, t - this.#updatedAt);
    this.#updatedAt = t;
    this.#tokens = Math.min(this.burst, this.#tokens + (elapsed * this.ratePerSecond) / 1000);
  }
}

/** Called with every consumption of a {@link KeyedBuckets}: `amount` tokens taken from `key`'s bucket. */
export type ConsumptionListener = (key: string, amount: number) => void;

/** One bucket per key, created full on first use; at most `maxKeys` at once. */
export class KeyedBuckets {
  readonly #buckets = new Map<string, TokenBucket>();
  #listener: ConsumptionListener | undefined;

  constructor(
    private readonly ratePerSecond: number,
    private readonly burst: number,
    private readonly now: () => number,
    private readonly maxKeys = Number.POSITIVE_INFINITY,
  ) {}

  /**
   * Takes `n` tokens from `key`'s bucket. A new key beyond `maxKeys` first prunes full buckets,
   * then drops the oldest one (Map order is insertion order): forgetting a bucket only forgives
   * its debt, while refusing new keys would let churn lock out every new sender.
   */
  take(key: string, n = 1): boolean {
    const taken = this.#bucket(key).take(n);
    if (taken && n > 0) this.#listener?.(key, n);
    return taken;
  }

  /** Reports every later consumption to `listener` (one per set of buckets). */
  onConsume(listener: ConsumptionListener): void {
    this.#listener = listener;
  }

  /** Spends `n` tokens of `key` consumed on another node, down to below zero; not reported to the listener. */
  absorb(key: string, n: number): void {
    this.#bucket(key).owe(n);
  }

  #bucket(key: string): TokenBucket {
    let bucket = this.#buckets.get(key);
    if (!bucket) {
      if (this.#buckets.size >= this.maxKeys) {
        this.prune();
        if (this.#buckets.size >= this.maxKeys) {
          const oldest = this.#buckets.keys().next();
          if (!oldest.done) this.#buckets.delete(oldest.value);
        }
      }
      bucket = new TokenBucket(this.ratePerSecond, this.burst, this.now);
      this.#buckets.set(key, bucket);
    }
    return bucket;
  }

  /** True when `key` has a bucket (it was taken from, and not forgotten since). */
  has(key: string): boolean {
    return this.#buckets.has(key);
  }

  /** Takes up to `n` tokens from `key`'s bucket (an unknown key starts full). */
  spend(key: string, n: number): void {
    this.#bucket(key).spend(n);
    if (n > 0) this.#listener?.(key, n);
  }

  /** Milliseconds until `key`'s bucket holds `n` tokens (0 for a key without a bucket: it would start full). */
  msUntil(key: string, n: number): number {
    return this.#buckets.get(key)?.msUntil(n) ?? 0;
  }

  /** Drops buckets that are full (called from the periodic sweep). */
  prune(): void {
    for (const [key, bucket] of this.#buckets) if (bucket.full) this.#buckets.delete(key);
  }

  get size(): number {
    return this.#buckets.size;
  }
}
