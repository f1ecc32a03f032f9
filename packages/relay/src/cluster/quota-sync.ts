/**
 * Cluster-wide quotas without a Redis round trip on the send path. Every node keeps checking
 * its own in-memory buckets synchronously, reports what it consumed, and every FLUSH_MS sends
 * the sum per (bucket, key) in one `quota` message; the other nodes spend it from their own
 * buckets (`absorb`, which may go below zero: that debt was admitted elsewhere).
 *
 * What is shared, and why:
 * - per-account and per-address rates (`send` per sender account × recipient, sealed sends per
 *   address, bytes per address, fan-out per address, directory lookups and bundle fetches): a
 *   client reaches any node through the balancer, so per-node buckets would give it k times
 *   the rate on k nodes. The one-time-prekey budget of a target protects a victim's prekeys.
 * - queue shares (holds and acks): a sender's share of a mailbox, released by the recipient's
 *   ack, which may reach another node than the send (see sender-shares.ts).
 * - not shared: anything keyed by a connection (`c:…`, one node holds it), and the per-
 *   connection frame/byte buckets on Connection. Quotas kept in the store (queue depth,
 *   prekeys, blobs) are cluster-wide already.
 *
 * Overshoot bound: a node learns of other nodes' consumption after at most T = FLUSH_MS + bus
 * latency (a few ms on a LAN). Debt is carried, so the sustained cluster rate is the single-node
 * rate r; the excess over a single node is what the other k−1 nodes admit before hearing of
 * each other: at most (k−1)·(burst + r·T) in total, e.g. 2 nodes, burst 200, r = 100/s,
 * T ≈ 80 ms: at most 208 extra messages, once, not per window.
 *
 * While the bus is down, consumption and holds are dropped (each node enforces its own buckets
 * only: at most k times the rate during an outage; a hold not mirrored only makes other nodes
 * more lenient). Acks are kept, up to MAX_OUTAGE_ACKS, and sent when the bus returns: a lost
 * ack would leave its share held on the sending node until the message's expiry.
 */

import type { SenderShares } from "../delivery/sender-shares.js";
import type { KeyedBuckets } from "../rate-limit.js";
import type { Bus } from "./bus.js";
import type { QuotaSpend, ShareAck, ShareHold } from "./bus-messages.js";

/** How often consumption is sent: bounds the overshoot (see above) against bus traffic. */
export const FLUSH_MS = 75;
/** Holds, acks or spend keys that make a flush go out before FLUSH_MS (bounds one message's size). */
const MAX_PENDING = 4000;
/** Acknowledged message ids kept while the bus is down (~100 bytes each); later ones are dropped. */
export const MAX_OUTAGE_ACKS = 100_000;

/** One shared set of buckets: its name on the bus, and which of its keys are cluster-wide. */
export interface SharedBuckets {
  readonly name: string;
  readonly buckets: KeyedBuckets;
  readonly shared: (key: string) => boolean;
  /** Called after absorbing into these buckets (lets the owner prune now and then). */
  readonly touched?: () => void;
}

/** A key that names one connection, which lives on one node only. */
export const isConnectionKey = (key: string): boolean => key.startsWith("c:");
const isConnectionShare = (shareKey: string): boolean => shareKey.includes("|c:");

/** Batches this node's consumption onto the bus and applies the other nodes'. */
export class QuotaSync {
  readonly #byName = new Map<string, SharedBuckets>();
  #spends = new Map<string, { bucket: string; key: string; amount: number }>();
  #holds: ShareHold[] = [];
  #acks: ShareAck[] = [];
  #outageAcks = 0;
  #timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly bus: Bus,
    sets: readonly SharedBuckets[],
    private readonly shares: SenderShares,
    private readonly published: (type: string) => void,
  ) {
    for (const set of sets) {
      this.#byName.set(set.name, set);
      set.buckets.onConsume((key, amount) => {
        if (set.shared(key)) this.#spent(set.name, key, amount);
      });
    }
    shares.onChange({
      held: (mailbox, messageIdHex, keys, expiresAt) => {
        const shared = keys.filter((k) => !isConnectionShare(k));
        if (shared.length > 0) this.#queue(() => this.#holds.push([mailbox, messageIdHex, shared, expiresAt]));
      },
      acked: (mailbox, messageIdHexes) => this.#ack(mailbox, messageIdHexes),
    });
  }

  /** Applies another node's consumption. */
  apply(spends: readonly QuotaSpend[], holds: readonly ShareHold[], acks: readonly ShareAck[]): void {
    const touched = new Set<SharedBuckets>();
    for (const [name, key, amount] of spends) {
      const set = this.#byName.get(name);
      if (!set?.shared(key)) continue;
      set.buckets.absorb(key, amount);
      touched.add(set);
    }
    for (const set of touched) set.touched?.();
    for (const [mailbox, messageIdHex, keys, expiresAt] of holds) {
      this.shares.mirrorHold(
        mailbox,
        messageIdHex,
        keys.filter((k) => !isConnectionShare(k)),
        expiresAt,
      );
    }
    for (const [mailbox, messageIdHexes] of acks) this.shares.mirrorAcked(mailbox, messageIdHexes);
  }

  /** Sends what is pending now (also called before stopping, and when the bus returns). */
  flush(): void {
    if (this.#timer) clearTimeout(this.#timer);
    this.#timer = undefined;
    if (!this.bus.up) {
      this.#spends = new Map();
      this.#holds = [];
      return;
    }
    this.#outageAcks = 0;
    const spends: QuotaSpend[] = [...this.#spends.values()].map((s) => [s.bucket, s.key, s.amount]);
    const holds = this.#holds;
    const acks = this.#acks;
    this.#spends = new Map();
    this.#holds = [];
    this.#acks = [];
    if (spends.length + holds.length + acks.length === 0) return;
    // Acks kept through an outage can be many: at most MAX_PENDING per message.
    for (let first = 0; first === 0 || first < acks.length; first += MAX_PENDING) {
      const message = {
        t: "quota",
        spends: first === 0 ? spends : [],
        holds: first === 0 ? holds : [],
        acks: acks.slice(first, first + MAX_PENDING),
      } as const;
      if (this.bus.publish(message)) this.published("quota");
    }
  }

  /** Stops the flush timer. */
  stop(): void {
    if (this.#timer) clearTimeout(this.#timer);
    this.#timer = undefined;
  }

  #ack(mailbox: string, messageIdHexes: readonly string[]): void {
    if (this.bus.up) {
      this.#queue(() => this.#acks.push([mailbox, messageIdHexes]));
      return;
    }
    if (this.#outageAcks + messageIdHexes.length > MAX_OUTAGE_ACKS) return;
    this.#outageAcks += messageIdHexes.length;
    this.#acks.push([mailbox, messageIdHexes]);
  }

  #spent(bucket: string, key: string, amount: number): void {
    this.#queue(() => {
      const id = `${bucket}\n${key}`;
      const pending = this.#spends.get(id);
      if (pending) pending.amount += amount;
      else this.#spends.set(id, { bucket, key, amount });
    });
  }

  /** Records consumption while the bus is up (nothing piles up while it is down) and schedules a flush. */
  #queue(record: () => void): void {
    if (!this.bus.up) return;
    record();
    if (this.#spends.size + this.#holds.length + this.#acks.length >= MAX_PENDING) {
      this.flush();
      return;
    }
    if (!this.#timer) {
      this.#timer = setTimeout(() => this.flush(), FLUSH_MS);
      this.#timer.unref();
    }
  }
}
