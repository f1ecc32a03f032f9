/**
 * What every handler gets: the store, limits, crypto (for signature checks only), the injected
 * clock and randomness, logging, metrics and the relay's shared runtime state (live devices,
 * the group-commit queue, per-sender rate buckets and queue shares, and the cluster node when a
 * bus is configured). Built once by relay.ts.
 */

import type { Deps } from "@parley/protocol/wire";
import type { Logger } from "pino";
import type { BlobStorage } from "./blobs/blob-storage.js";
import type { ClusterNode } from "./cluster/cluster-node.js";
import type { LiveDevices } from "./delivery/live-devices.js";
import type { SenderShares } from "./delivery/sender-shares.js";
import type { TurnBatch } from "./delivery/turn-batch.js";
import type { AccountBuckets } from "./handlers/account-buckets.js";
import type { Limits } from "./limits.js";
import type { Metrics } from "./metrics.js";
import type { IceConfig } from "./push/ice-servers.js";
import type { PushSender } from "./push/push-sender.js";
import type { KeyedBuckets } from "./rate-limit.js";
import type { EnqueueOutcome, MailboxAck, NewMessage, Store } from "./store/store.js";

/** A message waiting for its group commit, with its mailbox's key (`mailboxKey`). */
export interface QueuedSend {
  readonly message: NewMessage;
  readonly mailbox: string;
}

/** Web Push and ICE state of a relay (spec/relay.md §14). */
export interface PushContext {
  /** The VAPID public key (65 bytes). */
  readonly vapidPublicKey: Uint8Array;
  /** Wake-ups for offline devices. */
  readonly sender: PushSender;
  /** Allow `http:` and private or loopback push endpoints (tests only). */
  readonly allowLoopback: boolean;
  readonly ice: IceConfig;
  /** `fetch_ice_servers` per account. */
  readonly iceBuckets: KeyedBuckets;
}

/** Shared state and services of one relay instance. */
export interface RelayContext {
  readonly store: Store;
  readonly limits: Limits;
  /** Crypto for verifying signatures and hashing tokens; the relay never encrypts or decrypts. */
  readonly deps: Deps;
  /** Milliseconds since the epoch (injected so tests control expiry and rates). */
  readonly now: () => number;
  /** Secure random bytes (nonces, blob ids, capabilities). */
  readonly random: (n: number) => Uint8Array;
  /** The relay's public origin, bound into auth signatures. */
  readonly relayId: string;
  readonly log: Logger;
  readonly metrics: Metrics;
  readonly live: LiveDevices;
  /** Group commit of sends: resolves once the batch is durable. */
  readonly commits: TurnBatch<QueuedSend, EnqueueOutcome>;
  /** Acks of one turn in one transaction: resolves with how many messages each deleted. */
  readonly acks: TurnBatch<MailboxAck, number>;
  /** Message rate per (sender, recipient user): the sender is an account, or an anonymous connection for sealed sends. */
  readonly sendBuckets: KeyedBuckets;
  /** Sealed-message rate per (network address, recipient user): the coarse cap on anonymous senders. */
  readonly sealedAddressBuckets: KeyedBuckets;
  /** Bytes received per network address, across its connections. */
  readonly addressBytes: KeyedBuckets;
  /** Recipient devices named by `multi_send`s per network address (fan-out work). */
  readonly fanOutBuckets: KeyedBuckets;
  /** Directory and bundle-fetch rates per account, per (requester, target) and per target. */
  readonly accountBuckets: AccountBuckets;
  /** Each sender's share of each mailbox's queue. */
  readonly shares: SenderShares;
  readonly blobs: BlobStorage;
  readonly push: PushContext;
  /** False once shutdown began: new work is refused with UNAVAILABLE. */
  accepting: boolean;
  /** This relay as a node of a cluster (set when a bus is configured), else undefined: a single node. */
  cluster: ClusterNode | undefined;
}
