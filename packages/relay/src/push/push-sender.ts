/**
 * Sends content-free Web Push wake-ups to devices that are offline when mail is committed for
 * them (spec/relay.md §14.3). The relay calls `offline(mailbox)` per committed mailbox with no
 * live connection; the sender coalesces (one push per device per `pushCoalesceMs`), queues up
 * to `pushQueueDepth`, runs at most `pushConcurrency` requests with a `pushTimeoutMs` timeout
 * each, and deletes a subscription the push service answers 404 or 410 for. Nothing here runs
 * on a client's request path: `offline` only records and queues.
 */

import type { Logger } from "pino";
import { mailboxKey } from "../delivery/live-devices.js";
import type { Limits } from "../limits.js";
import type { Mailbox, PushSubscriptionRecord, Store } from "../store/store.js";
import { endpointOrigin, pushEndpointProblem } from "./push-endpoint.js";
import type { PushMetrics } from "./push-metrics.js";
import { type VapidKey, vapidAuthorization } from "./vapid.js";
import { encryptPushMessage } from "./web-push-encrypt.js";

/** The wake-up every push carries: no sender, no conversation, no text. */
export const PUSH_PAYLOAD = new TextEncoder().encode('{"t":"mail"}');
/** Zero padding after the payload (RFC 8188), so a push's size says nothing even if the payload grows. */
export const PUSH_PADDING = 64 - PUSH_PAYLOAD.length;

/** What a {@link PushSender} works with. */
export interface PushSenderOptions {
  readonly store: Store;
  readonly limits: Limits;
  readonly key: VapidKey;
  /** The VAPID `sub` claim: the relay's public origin. */
  readonly subject: () => string;
  readonly now: () => number;
  readonly random: (n: number) => Uint8Array;
  readonly log: Logger;
  readonly metrics: PushMetrics;
  /** Allow `http:` and private or loopback endpoints (tests only). */
  readonly allowLoopback: boolean;
  /** The HTTP client (default: global fetch). */
  readonly fetch?: typeof fetch;
}

/** Web Push wake-ups for offline devices. */
export class PushSender {
  readonly #o: PushSenderOptions;
  readonly #fetch: typeof fetch;
  /** When each device was last pushed (coalescing), by mailbox key. */
  readonly #lastPushAt = new Map<string, number>();
  readonly #queue: Mailbox[] = [];
  #inFlight = 0;
  #idle: (() => void)[] = [];
  #stopped = false;
  /** Aborts every request in flight on stop(), so a stalled push service cannot hold up shutdown. */
  readonly #stopping = new AbortController();

  constructor(options: PushSenderOptions) {
    this.#o = options;
    this.#fetch = options.fetch ?? fetch;
  }

  /** Mail was committed for `mailbox` and its device is connected nowhere: push it, unless pushed within `pushCoalesceMs`. */
  offline(mailbox: Mailbox): void {
    if (this.#stopped) return;
    const key = mailboxKey(mailbox);
    const now = this.#o.now();
    const last = this.#lastPushAt.get(key);
    if (last !== undefined && now - last < this.#o.limits.pushCoalesceMs) {
      this.#o.metrics.pushes.inc({ outcome: "coalesced" });
      return;
    }
    if (this.#queue.length >= this.#o.limits.pushQueueDepth) {
      this.#o.metrics.pushes.inc({ outcome: "dropped" });
      return;
    }
    if (this.#lastPushAt.size >= this.#o.limits.maxRateBuckets) this.prune();
    this.#lastPushAt.set(key, now);
    this.#queue.push(mailbox);
    this.#o.metrics.queued.set(this.#queue.length);
    this.#next();
  }

  /** The device connected: its next offline period starts with a fresh push. */
  connected(key: string): void {
    this.#lastPushAt.delete(key);
  }

  /** Forgets coalescing entries older than the window (bounds memory; called by the sweep). */
  prune(): void {
    const cutoff = this.#o.now() - this.#o.limits.pushCoalesceMs;
    for (const [key, at] of this.#lastPushAt) if (at <= cutoff) this.#lastPushAt.delete(key);
  }

  /** Resolves when no push is queued or in flight. */
  idle(): Promise<void> {
    if (this.#inFlight === 0 && this.#queue.length === 0) return Promise.resolve();
    return new Promise((resolve) => this.#idle.push(resolve));
  }

  /** Sends nothing more: drops the queue and aborts requests in flight; resolves when they ended. */
  async stop(): Promise<void> {
    this.#stopped = true;
    this.#stopping.abort();
    this.#o.metrics.pushes.inc({ outcome: "dropped" }, this.#queue.length);
    this.#queue.length = 0;
    await this.idle();
  }

  #next(): void {
    while (this.#inFlight < this.#o.limits.pushConcurrency && this.#queue.length > 0) {
      const mailbox = this.#queue.shift() as Mailbox;
      this.#inFlight++;
      void this.#push(mailbox).finally(() => {
        this.#inFlight--;
        this.#o.metrics.queued.set(this.#queue.length);
        this.#next();
        if (this.#inFlight === 0 && this.#queue.length === 0) for (const resolve of this.#idle.splice(0)) resolve();
      });
    }
  }

  /** One push to `mailbox`'s subscription, if it has one. Never rejects. */
  async #push(mailbox: Mailbox): Promise<void> {
    let subscription: PushSubscriptionRecord | undefined;
    try {
      subscription = await this.#o.store.getPushSubscription(mailbox);
    } catch (error) {
      this.#o.metrics.pushes.inc({ outcome: "failed" });
      this.#o.log.warn({ err: error }, "push: reading the subscription failed");
      return;
    }
    if (!subscription) return;
    const origin = endpointOrigin(subscription.endpoint);
    const refused = pushEndpointProblem(subscription.endpoint, this.#o.allowLoopback);
    if (refused) {
      this.#o.metrics.pushes.inc({ outcome: "failed" });
      this.#o.log.info({ origin }, `push: ${refused}`);
      return;
    }
    try {
      const response = await this.#fetch(subscription.endpoint, {
        method: "POST",
        headers: this.#headers(subscription.endpoint),
        body: encryptPushMessage(PUSH_PAYLOAD, subscription, this.#o.random, PUSH_PADDING),
        redirect: "manual",
        signal: AbortSignal.any([AbortSignal.timeout(this.#o.limits.pushTimeoutMs), this.#stopping.signal]),
      });
      await response.body?.cancel().catch(() => undefined);
      if (response.status === 404 || response.status === 410) {
        // RFC 8030 §7.3: the subscription is gone; delete it unless the device registered another since.
        await this.#o.store.deletePushSubscription(mailbox, subscription.endpoint);
        this.#o.metrics.pushes.inc({ outcome: "gone" });
        this.#o.log.debug({ origin, status: response.status }, "push: subscription gone, deleted");
      } else if (response.status >= 200 && response.status < 300) {
        this.#o.metrics.pushes.inc({ outcome: "sent" });
      } else {
        this.#o.metrics.pushes.inc({ outcome: "failed" });
        this.#o.log.info({ origin, status: response.status }, "push: refused by the push service");
      }
    } catch (error) {
      this.#o.metrics.pushes.inc({ outcome: "failed" });
      const reason = error instanceof Error && (error.name === "TimeoutError" || error.name === "AbortError") ? "timeout" : "network";
      this.#o.log.info({ origin, reason }, "push: request failed");
    }
  }

  #headers(endpoint: string): Record<string, string> {
    return {
      "content-type": "application/octet-stream",
      "content-encoding": "aes128gcm",
      ttl: String(this.#o.limits.pushTtlSeconds),
      urgency: "high",
      authorization: vapidAuthorization(this.#o.key, endpoint, this.#o.subject(), this.#o.now()),
    };
  }
}
