/**
 * Composition of one relay instance, independent of sockets: builds the context, and offers
 * `connect` / `receive` / `disconnect` for the socket layer (or a test's fake transport),
 * `sweep` for expiry, and `shutdown` (stop accepting, finish pending commits, close).
 */

import { randomBytes } from "node:crypto";
import { CloseCode, type Deps, loadCryptoProvider } from "@parley/protocol/wire";
import { type Logger, pino } from "pino";
import { BlobFiles } from "./blobs/blob-files.js";
import type { BlobStorage } from "./blobs/blob-storage.js";
import { Connection, type Transport } from "./connection.js";
import type { RelayContext } from "./context.js";
import { LiveDevices, mailboxKey } from "./delivery/live-devices.js";
import { SenderShares } from "./delivery/sender-shares.js";
import { TurnBatch } from "./delivery/turn-batch.js";
import { AccountBuckets } from "./handlers/account-buckets.js";
import { admitFrame, dispatchFrame } from "./handlers/dispatch.js";
import { type Limits, resolveLimits } from "./limits.js";
import { createMetrics } from "./metrics.js";
import { KeyedBuckets } from "./rate-limit.js";
import type { EnqueueOutcome, MailboxAck, NewMessage, Store } from "./store/store.js";

/**
 * Most bytes and frames of one connection handled back to back before yielding to the event
 * loop. Decoding work is bounded per byte (wire scan budget), so the byte count bounds a slice's
 * cost (well under a millisecond for 64 KiB); an honest burst of small frames fits one slice.
 */
const DRAIN_SLICE_BYTES = 64 * 1024;
const DRAIN_SLICE_FRAMES = 32;

/** Options of {@link createRelay}. */
export interface RelayOptions {
  readonly store: Store;
  /** Directory for blob files (when `blobs` is not given). */
  readonly blobDir?: string;
  /** Where blob bytes live (opened by openBlobs); the relay closes it on shutdown. Default: a BlobFiles on `blobDir`. */
  readonly blobs?: BlobStorage;
  /** The relay's public origin (bound into auth signatures), e.g. `https://relay.example`; a function when known only after listening. */
  readonly relayId: string | (() => string);
  readonly limits?: Partial<Limits>;
  readonly deps?: Deps;
  readonly now?: () => number;
  readonly random?: (n: number) => Uint8Array;
  readonly logger?: Logger;
  readonly defaultMetrics?: boolean;
}

/** A relay instance. */
export interface Relay {
  readonly context: RelayContext;
  /** A new connection over `transport`; sends the challenge. */
  connect(transport: Transport): Connection;
  /** Handles bytes received on `conn`, in arrival order. */
  receive(conn: Connection, bytes: Uint8Array): void;
  /** Resolves when every frame received on `conn` so far has been handled (tests). */
  idle(conn: Connection): Promise<void>;
  /** The transport closed. */
  disconnect(conn: Connection): void;
  /** Expires messages and blobs, forgets old dedupe ids, prunes rate buckets. */
  sweep(): Promise<void>;
  /** Refuses new work, commits what is pending, closes every connection (1001) and the store. */
  shutdown(): Promise<void>;
}

/** The default blob storage: a directory. */
function blobDirectory(dir: string | undefined): BlobStorage {
  if (dir === undefined) throw new TypeError("createRelay needs blobs or blobDir");
  return new BlobFiles(dir);
}

/** Builds a relay around a store. */
export async function createRelay(options: RelayOptions): Promise<Relay> {
  const limits = resolveLimits(options.limits as Record<string, unknown> | undefined);
  const now = options.now ?? Date.now;
  const deps = options.deps ?? { crypto: await loadCryptoProvider() };
  const metrics = createMetrics({ defaultMetrics: options.defaultMetrics ?? false });
  const live = new LiveDevices();
  const blobs = options.blobs ?? blobDirectory(options.blobDir);
  await blobs.init();
  // A partial file belongs to an upload in progress; a blob file to a complete blob, or to a
  // resumable upload that published it just before a stop (completed on its next request).
  await blobs.removeOrphans(async (blobId, partial) => {
    const record = await options.store.getBlob(blobId);
    if (!record) return false;
    if (partial) return record.size === undefined;
    return record.size !== undefined || record.uploadOffset === record.maxSize;
  });
  const commits = new TurnBatch<NewMessage, EnqueueOutcome>(async (messages) => {
    const started = performance.now();
    const outcomes = await options.store.enqueue(messages, limits.maxQueueDepth);
    metrics.commitBatch.observe(messages.length);
    metrics.commitSeconds.observe((performance.now() - started) / 1000);
    const woken = new Set<string>();
    outcomes.forEach((outcome, i) => {
      if (outcome !== "ok") return;
      metrics.stored.inc();
      woken.add(mailboxKey(messages[i] as NewMessage));
    });
    for (const key of woken) live.wake(key);
    return outcomes;
  });
  const acks = new TurnBatch<MailboxAck, number>((batch) => options.store.ack(batch, now() + limits.dedupeRetentionMs));
  const ctx: RelayContext = {
    store: options.store,
    limits,
    deps,
    now,
    random: options.random ?? ((n) => new Uint8Array(randomBytes(n))),
    get relayId() {
      return typeof options.relayId === "function" ? options.relayId() : options.relayId;
    },
    log: options.logger ?? pino({ level: "silent" }),
    metrics,
    live,
    commits,
    acks,
    sendBuckets: new KeyedBuckets(limits.recipientMessagesPerSecond, limits.recipientMessageBurst, now, limits.maxRateBuckets),
    sealedAddressBuckets: new KeyedBuckets(
      limits.sealedAddressMessagesPerSecond,
      limits.sealedAddressMessageBurst,
      now,
      limits.maxRateBuckets,
    ),
    addressBytes: new KeyedBuckets(limits.addressBytesPerSecond, limits.addressByteBurst, now, limits.maxRateBuckets),
    fanOutBuckets: new KeyedBuckets(limits.fanOutDevicesPerSecond, limits.fanOutDeviceBurst, now, limits.maxRateBuckets),
    accountBuckets: new AccountBuckets(limits, now),
    shares: new SenderShares(),
    blobs,
    accepting: true,
  };
  const connections = new Set<Connection>();

  // One connection's frames are handled one after another (so its sends keep their order; a
  // send only waits for its commit in the background). After a slice of DRAIN_SLICE_BYTES or
  // DRAIN_SLICE_FRAMES the loop yields to the event loop, so a burst on one connection cannot
  // hold up the others or socket I/O, while a short burst still shares one turn (one commit).
  async function drain(conn: Connection): Promise<void> {
    let sliceBytes = 0;
    let sliceFrames = 0;
    for (let bytes = conn.inbox.shift(); bytes !== undefined && !conn.closed; bytes = conn.inbox.shift()) {
      await dispatchFrame(ctx, conn, bytes);
      sliceBytes += bytes.length;
      if (++sliceFrames >= DRAIN_SLICE_FRAMES || sliceBytes >= DRAIN_SLICE_BYTES) {
        await new Promise((resolve) => setImmediate(resolve));
        sliceBytes = 0;
        sliceFrames = 0;
      }
    }
  }

  return {
    context: ctx,
    connect(transport) {
      const conn = new Connection(transport, ctx.random(32), limits, now, undefined, (code, reason) => {
        metrics.closes.inc({ code: String(code) });
        // Closes that end abuse are worth an info line; routine ones (shutdown, replaced) are not.
        const routine = code === CloseCode.Normal || code === CloseCode.GoingAway || code === CloseCode.Replaced;
        ctx.log[routine ? "debug" : "info"]({ conn: conn.serial, code }, reason);
      });
      connections.add(conn);
      metrics.connections.set(connections.size);
      ctx.log.debug({ conn: conn.serial }, "connection opened");
      conn.send({ t: "challenge", nonce: conn.nonce, relayId: ctx.relayId });
      return conn;
    },
    receive(conn, bytes) {
      if (conn.closed || !admitFrame(ctx, conn, bytes)) return;
      conn.inbox.push(bytes);
      if (conn.draining) return;
      conn.draining = drain(conn).finally(() => {
        conn.draining = undefined;
      });
    },
    async idle(conn) {
      while (conn.draining) await conn.draining;
      await commits.settle();
      await acks.settle();
    },
    disconnect(conn) {
      ctx.log.debug({ conn: conn.serial, device: conn.mailbox !== undefined }, "connection closed");
      conn.detached();
      live.detach(conn);
      connections.delete(conn);
      metrics.connections.set(connections.size);
      metrics.authenticated.set(live.size);
    },
    async sweep() {
      const t = now();
      const affected = await ctx.store.expireMessages(t, t + limits.dedupeRetentionMs);
      metrics.expired.inc(affected.length);
      for (const mailbox of affected) {
        const conn = live.get(mailboxKey(mailbox));
        if (!conn) continue;
        const notice = await ctx.store.takeExpiryNotice(mailbox);
        if (notice) conn.send({ t: "expired", ...notice });
      }
      await ctx.store.purgeDedupe(t);
      for (const blobId of await ctx.store.expireBlobs(t)) await blobs.remove(blobId);
      ctx.sendBuckets.prune();
      ctx.sealedAddressBuckets.prune();
      ctx.addressBytes.prune();
      ctx.fanOutBuckets.prune();
      ctx.shares.expire(t);
    },
    async shutdown() {
      ctx.accepting = false;
      await Promise.all([...connections].map((c) => c.draining));
      await commits.settle();
      await acks.settle();
      await new Promise((resolve) => setImmediate(resolve)); // let deferred `sent` answers go out
      for (const conn of connections) conn.close(CloseCode.GoingAway, "relay shutting down");
      await ctx.store.close();
      await blobs.close();
    },
  };
}
