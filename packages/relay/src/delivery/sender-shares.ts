/**
 * Each sender's share of each mailbox (issue 13, relay item 3): how many messages a sender has
 * queued in a mailbox and not yet seen acknowledged or expired, so one sender cannot fill a
 * mailbox for every other. A sender is named by an opaque key (an account, or an anonymous
 * connection and its address for sealed sends); the relay keeps this in memory only and never
 * stores it with the message. After a restart the shares start empty (the queue-depth cap
 * still bounds the mailbox).
 *
 * In a cluster the shares are cluster-wide: a sender could otherwise spread over k nodes and
 * hold k shares, and the device's ack, which releases a share, may reach another node than the
 * send did. A listener sees every hold and ack (cluster/quota-sync.ts broadcasts them) and the
 * other nodes mirror them with `mirrorHold` / `mirrorAcked`. Connection keys (`c:…`) are
 * node-local and are not mirrored (the listener is told, the sync filters them).
 */

/** One share a message is charged to: the sender key and its cap in this mailbox. */
export interface ShareKey {
  readonly key: string;
  readonly max: number;
}

interface Holder {
  readonly keys: readonly string[];
  readonly expiresAt: number;
}

/** Sees this node's holds and acks (to tell other nodes of them). */
export interface ShareListener {
  held(mailbox: string, messageIdHex: string, keys: readonly string[], expiresAt: number): void;
  acked(mailbox: string, messageIdHexes: readonly string[]): void;
}

/** Counts of queued messages per (mailbox, sender key). */
export class SenderShares {
  #listener: ShareListener | undefined;
  readonly #counts = new Map<string, number>();
  /** `mailbox|messageIdHex` → the share keys it is charged to. */
  readonly #holders = new Map<string, Holder>();

  /** Reserves one message in every share, or none when any is at its cap (→ QUEUE_FULL). */
  reserve(mailbox: string, shares: readonly ShareKey[]): readonly string[] | undefined {
    const keys = shares.map((s) => `${mailbox}|${s.key}`);
    if (shares.some((s, i) => (this.#counts.get(keys[i] as string) ?? 0) >= s.max)) return undefined;
    for (const key of keys) this.#counts.set(key, (this.#counts.get(key) ?? 0) + 1);
    return keys;
  }

  /** Gives back a reservation whose message was not stored (duplicate, full queue, no mailbox). */
  release(keys: readonly string[]): void {
    for (const key of keys) {
      const left = (this.#counts.get(key) ?? 1) - 1;
      if (left <= 0) this.#counts.delete(key);
      else this.#counts.set(key, left);
    }
  }

  /** The reserved message is stored: it holds its shares until acknowledged or expired. */
  hold(mailbox: string, messageIdHex: string, keys: readonly string[], expiresAt: number): void {
    const id = `${mailbox}|${messageIdHex}`;
    const previous = this.#holders.get(id);
    if (previous) this.release(previous.keys);
    this.#holders.set(id, { keys, expiresAt });
    this.#listener?.held(mailbox, messageIdHex, keys, expiresAt);
  }

  /** The mailbox's device acknowledged these messages. */
  acked(mailbox: string, messageIdHexes: readonly string[]): void {
    this.mirrorAcked(mailbox, messageIdHexes);
    this.#listener?.acked(mailbox, messageIdHexes);
  }

  /** Reports later holds and acks to `listener` (one per instance). */
  onChange(listener: ShareListener): void {
    this.#listener = listener;
  }

  /** A message stored through another node holds these shares (already reserved there, so no cap check). */
  mirrorHold(mailbox: string, messageIdHex: string, keys: readonly string[], expiresAt: number): void {
    const id = `${mailbox}|${messageIdHex}`;
    const previous = this.#holders.get(id);
    if (previous) this.release(previous.keys);
    for (const key of keys) this.#counts.set(key, (this.#counts.get(key) ?? 0) + 1);
    this.#holders.set(id, { keys, expiresAt });
  }

  /** Acknowledgements received by another node. */
  mirrorAcked(mailbox: string, messageIdHexes: readonly string[]): void {
    for (const idHex of messageIdHexes) {
      const id = `${mailbox}|${idHex}`;
      const holder = this.#holders.get(id);
      if (!holder) continue;
      this.#holders.delete(id);
      this.release(holder.keys);
    }
  }

  /** Releases the shares of messages past their expiry (the store deleted them). */
  expire(now: number): void {
    for (const [id, holder] of this.#holders) {
      if (holder.expiresAt > now) continue;
      this.#holders.delete(id);
      this.release(holder.keys);
    }
  }

  /** Messages currently holding a share (for tests and metrics). */
  get held(): number {
    return this.#holders.size;
  }
}
