/**
 * Composition of one relay instance, independent of sockets: builds the context, and offers
 * `connect` / `receive` / `disconnect` for the socket layer (or a test's fake transport),
 * `sweep` for expiry, `drain` (stop accepting, finish pending commits, close connections spread
 * over an interval) and `shutdown` (drain, then close the store and the bus).
 *
 * With a `bus`, the relay is one node of a cluster (cluster/cluster-node.ts): committed mail
 * wakes pumps on every node, a device keeps one live connection across nodes, and rate buckets
 * and queue shares are cluster-wide. Without one, nothing of that runs (a single node).
 */

import { randomBytes } from "node:crypto";
import { CloseCode, type Deps, loadCryptoProvider } from "@parley/protocol/wire";
import { type Logger, pino } from "pino";
import { BlobFiles } from "./blobs/blob-files.js";
import type { BlobStorage } from "./blobs/blob-storage.js";
import type { Bus } from "./cluster/bus.js";
import { ClusterNode } from "./cluster/cluster-node.js";
import { isConnectionKey, type SharedBuckets } from "./cluster/quota-sync.js";
import { Connection, type Transport } from "./connection.js";
import type { QueuedSend, RelayContext } from "./context.js";
import { LiveDevices, mailboxKey } from "./delivery/live-devices.js";
import { SenderShares } from "./delivery/sender-shares.js";
import { TurnBatch } from "./delivery/turn-batch.js";
import { AccountBuckets } from "./handlers/account-buckets.js";
import { admitFrame, dispatchFrame } from "./handlers/dispatch.js";
import { type Limits, resolveLimits } from "./limits.js";
import { createMetrics } from "./metrics.js";
import { DEFAULT_TURN_TTL_MS, type IceConfig } from "./push/ice-servers.js";
import { createPushMetrics } from "./push/push-metrics.js";
import { PushSender } from "./push/push-sender.js";
import { loadVapidKey } from "./push/vapid.js";
import { KeyedBuckets } from "./rate-limit.js";
import type { EnqueueOutcome, MailboxAck, NewMessage, QueuedMessage, Store } from "./store/store.js";

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
  /** The cluster bus: this relay is one node of several sharing `store` (closed with the relay). */
  readonly bus?: Bus | undefined;
  /**
   * True when other relay nodes write to the same store (then committed mail is always read back
   * from it). Implied by `bus`.
   */
  readonly sharedStore?: boolean | undefined;
  /** Web Push options (spec/relay.md §14). */
  readonly push?: PushOptions;
  /** STUN/TURN servers handed to devices; default none. */
  readonly ice?: Partial<IceConfig>;
}

/** Web Push options of {@link createRelay}. */
export interface PushOptions {
  /** Accept and push to `http:` and loopback or private endpoints: for tests with a local push-service stub only. */
  readonly allowLoopback?: boolean;
  /** The HTTP client for push requests (default: global fetch). */
  readonly fetch?: typeof fetch;
  /** The VAPID `sub` claim (RFC 8292 §2.1): a `mailto:` or `https:` contact; default the relay's public origin. */
  readonly subject?: string;
}

/** Options of {@link Relay.drain}. */
export interface DrainOptions {
  /** Live connections are closed (GoingAway) evenly over this many milliseconds, so clients do not all reconnect at once. Default 0. */
  readonly closeSpreadMs?: number;
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
  /** Refuses new work, commits what is pending, then closes every connection (1001), spread over `closeSpreadMs`. */
  drain(options?: DrainOptions): Promise<void>;
  /** Drains (at once, unless `drain` ran), then closes the bus and the store. */
  shutdown(): Promise<void>;
}

/** A committed message as its device's pump sends it (a fan-out's row completed by its shared payload). */
function committedRow(message: NewMessage, seq: number): QueuedMessage {
  const { envelope, shared } = message;
  if (!shared) return { seq, messageId: message.messageId, envelope, receivedAt: message.receivedAt };
  const whole = new Uint8Array(envelope.length + shared.bytes.length);
  whole.set(envelope);
  whole.set(shared.bytes, envelope.length);
  return { seq, messageId: message.messageId, envelope: whole, receivedAt: message.receivedAt };
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
  const vapid = await loadVapidKey(options.store);
  const random = options.random ?? ((n: number) => new Uint8Array(randomBytes(n)));
  const logger = options.logger ?? pino({ level: "silent" });
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
  // Mail committed here is handed to caught-up pumps from the batch while this relay is the
  // store's only writer; otherwise every woken pump reads the store itself.
  const handOver = options.store.enqueueReporting !== undefined && !options.sharedStore && options.bus === undefined;
  const commits = new TurnBatch<QueuedSend, EnqueueOutcome>(async (sends) => {
    const started = performance.now();
    const messages = sends.map((send) => send.message);
    const { outcomes, seqs } = handOver
      ? await (options.store.enqueueReporting as NonNullable<Store["enqueueReporting"]>)(messages, limits.maxQueueDepth)
      : { outcomes: await options.store.enqueue(messages, limits.maxQueueDepth), seqs: undefined };
    metrics.commitBatch.observe(messages.length);
    metrics.commitSeconds.observe((performance.now() - started) / 1000);
    const woken = new Map<string, QueuedMessage[]>();
    outcomes.forEach((outcome, i) => {
      if (outcome !== "ok") return;
      metrics.stored.inc();
      const { message, mailbox } = sends[i] as QueuedSend;
      const rows = woken.get(mailbox) ?? [];
      if (rows.length === 0) woken.set(mailbox, rows);
      if (seqs) rows.push(committedRow(message, seqs[i] as number));
    });
    for (const [key, rows] of woken) {
      const pump = live.get(key)?.pump;
      if (pump && seqs) pump.offer(rows);
      else pump?.wake();
    }
    cluster?.mailCommitted([...woken.keys()]);
    pushOffline(sends, outcomes);
    return outcomes;
  });
  // Devices connected nowhere get a wake-up (in a cluster: not here, and claimed by no other node).
  function pushOffline(sends: readonly QueuedSend[], outcomes: readonly EnqueueOutcome[]): void {
    const seen = new Set<string>();
    outcomes.forEach((outcome, i) => {
      const { message, mailbox } = sends[i] as QueuedSend;
      if (outcome !== "ok" || seen.has(mailbox)) return;
      seen.add(mailbox);
      if (live.get(mailbox) || cluster?.liveElsewhere(mailbox)) return;
      ctx.push.sender.offline({ userId: message.userId, deviceId: message.deviceId });
    });
  }
  const acks = new TurnBatch<MailboxAck, number>((batch) => options.store.ack(batch, now() + limits.dedupeRetentionMs));
  const ctx: RelayContext = {
    store: options.store,
    limits,
    deps,
    now,
    random,
    get relayId() {
      return typeof options.relayId === "function" ? options.relayId() : options.relayId;
    },
    log: logger,
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
    push: {
      vapidPublicKey: vapid.publicKey,
      allowLoopback: options.push?.allowLoopback ?? false,
      ice: { stunUrls: [], turnUrls: [], turnSecret: undefined, turnTtlMs: DEFAULT_TURN_TTL_MS, ...options.ice },
      iceBuckets: new KeyedBuckets(limits.iceServerRequestsPerSecond, limits.iceServerRequestBurst, now, limits.maxRateBuckets),
      sender: new PushSender({
        store: options.store,
        limits,
        key: vapid,
        subject: () => options.push?.subject ?? ctx.relayId,
        now,
        random: random,
        log: logger,
        metrics: createPushMetrics(metrics.registry),
        allowLoopback: options.push?.allowLoopback ?? false,
        ...(options.push?.fetch ? { fetch: options.push.fetch } : {}),
      }),
    },
    accepting: true,
    cluster: undefined,
  };
  const cluster = options.bus ? clusterNode(options.bus, ctx) : undefined;
  ctx.cluster = cluster;
  const connections = new Set<Connection>();
  let draining: Promise<void> | undefined;

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
      cluster?.detached(conn);
      connections.delete(conn);
      metrics.connections.set(connections.size);
      metrics.authenticated.set(live.size);
    },
    async sweep() {
      const t = now();
      const affected = await ctx.store.expireMessages(t, t + limits.dedupeRetentionMs);
      metrics.expired.inc(affected.length);
      const elsewhere: string[] = [];
      for (const mailbox of affected) {
        const conn = live.get(mailboxKey(mailbox));
        if (conn) await sendExpiryNotice(ctx, conn);
        else elsewhere.push(mailboxKey(mailbox));
      }
      cluster?.mailboxesExpired(elsewhere);
      await ctx.store.purgeDedupe(t);
      for (const blobId of await ctx.store.expireBlobs(t)) await blobs.remove(blobId);
      ctx.sendBuckets.prune();
      ctx.sealedAddressBuckets.prune();
      ctx.addressBytes.prune();
      ctx.fanOutBuckets.prune();
      ctx.push.iceBuckets.prune();
      ctx.push.sender.prune();
      ctx.shares.expire(t);
    },
    drain(drainOptions = {}) {
      draining ??= drainAndClose(drainOptions.closeSpreadMs ?? 0);
      return draining;
    },
    async shutdown() {
      draining ??= drainAndClose(0);
      await draining;
      cluster?.stop();
      await options.bus?.close();
      await ctx.store.close();
      await blobs.close();
    },
  };

  async function drainAndClose(closeSpreadMs: number): Promise<void> {
    ctx.accepting = false;
    await Promise.all([...connections].map((c) => c.draining));
    await commits.settle();
    await acks.settle();
    await ctx.push.sender.stop();
    await new Promise((resolve) => setImmediate(resolve)); // let deferred `sent` answers go out
    await closeSpread([...connections], closeSpreadMs);
  }
}

/** Sends `conn` the notice of its expired messages, if there is one (taking it from the store). */
async function sendExpiryNotice(ctx: RelayContext, conn: Connection): Promise<void> {
  if (!conn.mailbox) return;
  const notice = await ctx.store.takeExpiryNotice(conn.mailbox);
  if (notice) conn.send({ t: "expired", ...notice });
}

/** Closes `open` connections with GoingAway, evenly over `spreadMs` (all at once for 0). */
async function closeSpread(open: readonly Connection[], spreadMs: number): Promise<void> {
  const close = (conn: Connection) => conn.close(CloseCode.GoingAway, "relay shutting down");
  if (spreadMs <= 0 || open.length <= 1) {
    for (const conn of open) close(conn);
    return;
  }
  const gap = spreadMs / open.length;
  await Promise.all(open.map((conn, i) => new Promise<void>((resolve) => setTimeout(() => resolve(close(conn)), Math.round(i * gap)))));
}

/** The cluster side of the relay, with the quotas that are cluster-wide (see cluster/quota-sync.ts). */
function clusterNode(bus: Bus, ctx: RelayContext): ClusterNode {
  const everyKey = () => true;
  const account = ctx.accountBuckets;
  const accountSet = (name: string, buckets: SharedBuckets["buckets"]): SharedBuckets => ({
    name,
    buckets,
    shared: everyKey,
    touched: () => account.use(),
  });
  const buckets: SharedBuckets[] = [
    // Keys are `u:<account>>user` (shared) or `c:<connection>>user` (one node's connection).
    { name: "send", buckets: ctx.sendBuckets, shared: (key) => !isConnectionKey(key) },
    { name: "sealed-address", buckets: ctx.sealedAddressBuckets, shared: everyKey },
    { name: "address-bytes", buckets: ctx.addressBytes, shared: everyKey },
    { name: "fan-out", buckets: ctx.fanOutBuckets, shared: everyKey },
    accountSet("lookups", account.lookups),
    accountSet("bundle-requester", account.bundleRequester),
    accountSet("bundle-pair", account.bundlePair),
    accountSet("target-one-time", account.targetOneTime),
  ];
  return new ClusterNode({
    bus,
    live: ctx.live,
    shares: ctx.shares,
    buckets,
    metrics: ctx.metrics,
    log: ctx.log,
    expired: (conn) => sendExpiryNotice(ctx, conn),
  });
}
