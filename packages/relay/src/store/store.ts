/**
 * The relay's storage interface: directory (accounts, devices, handles, prekeys, delivery
 * tokens), durable mailboxes and blob metadata. Every method is async so a networked store
 * (PostgreSQL) can implement it; each method is one atomic step, so handlers never need a
 * transaction across calls. The SQLite implementation is sqlite-store.ts.
 */

/** One device of one user. */
export interface Mailbox {
  readonly userId: Uint8Array;
  readonly deviceId: number;
}

/** What the relay keeps about an account. */
export interface AccountRecord {
  readonly userId: Uint8Array;
  readonly accountKey: Uint8Array;
  /** The encoded, account-signed device list. */
  readonly deviceList: Uint8Array;
  readonly listSequence: number;
  readonly deviceIds: readonly number[];
  readonly handle?: string | undefined;
  /** SHA-256 of the user's delivery token, if set. */
  readonly tokenHash?: Uint8Array | undefined;
  /** True: sealed sends need no token. */
  readonly sealedOpen: boolean;
}

/** What the relay keeps about a device (prekeys apart). */
export interface DeviceRecord {
  readonly userId: Uint8Array;
  readonly deviceId: number;
  readonly certificate: Uint8Array;
  readonly signingKey: Uint8Array;
}

/** A new device list, optionally with the certificate of the device registering with it. */
export interface DeviceListUpdate {
  readonly userId: Uint8Array;
  readonly accountKey: Uint8Array;
  readonly deviceList: Uint8Array;
  readonly sequence: number;
  readonly deviceIds: readonly number[];
  /**
   * A device registering. With it, a list equal to the stored one is accepted (re-registering
   * a listed device); without it, the sequence must strictly increase.
   */
  readonly device?: DeviceRecord;
}

/** Result of a device-list update: `removed` lists devices whose mailbox and prekeys were deleted. */
export type DeviceListResult = { readonly ok: true; readonly removed: readonly number[] } | { readonly ok: false };

/** One prekey record with its id. */
export interface StoredPreKey {
  readonly id: number;
  readonly record: Uint8Array;
}

/** Verified prekeys to store for one device. */
export interface PreKeyUpload {
  readonly signedPreKey?: Uint8Array | undefined;
  readonly oneTime: readonly StoredPreKey[];
  readonly kemOneTime: readonly StoredPreKey[];
  /** Replaces any earlier last-resort ML-KEM prekey. */
  readonly kemLastResort?: StoredPreKey | undefined;
}

/** Counts of one-time prekeys left. */
export interface PreKeyCounts {
  readonly oneTime: number;
  readonly kem: number;
}

/** A bundle taken from the directory (its one-time keys are already deleted). */
export interface TakenBundle {
  readonly deviceId: number;
  readonly certificate: Uint8Array;
  readonly signedPreKey: Uint8Array;
  readonly oneTimePreKey?: Uint8Array | undefined;
  readonly kemPreKey: Uint8Array;
  readonly remaining: PreKeyCounts;
}

/**
 * The part of a multi-recipient envelope that every recipient device gets alike (a
 * `multi_send`'s payload). Messages naming the same object share one stored copy.
 */
export interface SharedPayload {
  readonly bytes: Uint8Array;
}

/** A message to queue. */
export interface NewMessage {
  readonly userId: Uint8Array;
  readonly deviceId: number;
  readonly messageId: Uint8Array;
  /** The envelope; with `shared`, only its per-device start (the delivered envelope is `envelope ‖ shared.bytes`). */
  readonly envelope: Uint8Array;
  /** A payload stored once for every message of one fan-out that names it. */
  readonly shared?: SharedPayload | undefined;
  readonly receivedAt: number;
  readonly expiresAt: number;
}

/** Outcome of queueing one message. */
export type EnqueueOutcome = "ok" | "duplicate" | "queue_full" | "no_mailbox";

/** The outcomes of one batch, and where each stored message went. */
export interface EnqueueReport {
  readonly outcomes: EnqueueOutcome[];
  /** Each message's `seq` in its mailbox when its outcome is "ok" (0 otherwise). */
  readonly seqs: readonly number[];
}

/** Message ids one device acknowledges. */
export interface MailboxAck {
  readonly mailbox: Mailbox;
  readonly messageIds: readonly Uint8Array[];
  /**
   * The `seq` each id was delivered with on this connection, where the relay knows it (0 where
   * not: an id from an earlier connection). A store may then delete by `seq` in one statement.
   */
  readonly seqs?: readonly number[] | undefined;
}

/** A queued message as delivered. `seq` orders a mailbox. */
export interface QueuedMessage {
  readonly seq: number;
  readonly messageId: Uint8Array;
  readonly envelope: Uint8Array;
  readonly receivedAt: number;
}

/** Messages that expired unread in one mailbox. */
export interface ExpiryNotice {
  readonly count: number;
  readonly firstAt: number;
  readonly lastAt: number;
}

/** A blob's metadata. The bytes live in a BlobFiles directory. */
export interface BlobRecord {
  readonly blobId: string;
  readonly capabilityHash: Uint8Array;
  readonly maxSize: number;
  readonly ticketExpiresAt: number;
  /** Set once the upload completed. */
  readonly size?: number | undefined;
  readonly expiresAt?: number | undefined;
  /** The user that asked for the ticket (quotas are per account). */
  readonly owner?: Uint8Array | undefined;
  /** Bytes of a resumable upload durably stored so far (0 before the first PATCH; stays at the size once complete). */
  readonly uploadOffset?: number | undefined;
  /** When the ticket was granted (absent for tickets of schema 2 and earlier). */
  readonly createdAt?: number | undefined;
}

/** Per-account blob quota checked atomically with a new ticket. */
export interface BlobQuota {
  readonly now: number;
  /** Unused, unexpired tickets the owner may hold. */
  readonly maxOpenTickets: number;
  /** Bytes the owner may reserve: open tickets by declared size plus unexpired stored blobs. */
  readonly maxBytes: number;
}

/** A device's Web Push subscription (spec/relay.md §14.1): a capability, never logged in full. */
export interface PushSubscriptionRecord {
  readonly endpoint: string;
  /** The browser's uncompressed P-256 public key (65 bytes). */
  readonly p256dh: Uint8Array;
  /** The browser's 16-byte authentication secret. */
  readonly auth: Uint8Array;
}

/** The relay's storage. */
export interface Store {
  getAccount(userId: Uint8Array): Promise<AccountRecord | undefined>;
  getDevice(mailbox: Mailbox): Promise<DeviceRecord | undefined>;
  /** Atomically checks the sequence rule and applies a device list (and device). */
  saveDeviceList(update: DeviceListUpdate): Promise<DeviceListResult>;
  /** Claims `handle` (already normalised) for `userId`, releasing its previous one. False when another user holds it. */
  claimHandle(userId: Uint8Array, handle: string): Promise<boolean>;
  lookupHandle(handle: string): Promise<AccountRecord | undefined>;
  setDeliveryToken(userId: Uint8Array, tokenHash: Uint8Array | undefined, open: boolean): Promise<void>;

  /** Stores prekeys; false (nothing stored) when a kind would exceed `maxStored`. */
  putPreKeys(mailbox: Mailbox, upload: PreKeyUpload, maxStored: number): Promise<boolean>;
  countPreKeys(mailbox: Mailbox): Promise<PreKeyCounts>;
  /**
   * Atomically takes a bundle: consumes one one-time X25519 and one one-time ML-KEM prekey (else
   * the last-resort one). With `consumeOneTime` false, no one-time key is included or consumed
   * (the last-resort ML-KEM key is used; a one-time ML-KEM key only if there is no last-resort one).
   */
  takeBundle(mailbox: Mailbox, consumeOneTime?: boolean): Promise<TakenBundle | undefined>;

  /**
   * Queues a batch in one durable transaction; returns one outcome per message, in order. A
   * fan-out (`multi_send`) is part of one batch: all its rows commit together or none do, and
   * its shared payload is stored once (kept while any of its rows is queued).
   */
  enqueue(batch: readonly NewMessage[], maxQueueDepth: number): Promise<EnqueueOutcome[]>;
  /**
   * `enqueue` that also reports each stored message's `seq`. Optional: with it, and when this
   * relay is the store's only writer, a device that is caught up gets its new mail from the
   * committed batch without the delivery pump reading it back.
   */
  enqueueReporting?(batch: readonly NewMessage[], maxQueueDepth: number): Promise<EnqueueReport>;
  /** Queues one fan-out — messages sharing one payload — in one durable transaction (the batch form is `enqueue`). */
  enqueueMany(payload: SharedPayload, messages: readonly Omit<NewMessage, "shared">[], maxQueueDepth: number): Promise<EnqueueOutcome[]>;
  /** Queued messages of a mailbox with `seq > afterSeq`, oldest first. */
  fetchMessages(mailbox: Mailbox, afterSeq: number, limit: number): Promise<QueuedMessage[]>;
  /** Deletes acknowledged messages (one transaction for all); their ids are remembered until `forgetAt`. Returns how many each ack deleted. */
  ack(acks: readonly MailboxAck[], forgetAt: number): Promise<number[]>;
  queueDepth(mailbox: Mailbox): Promise<number>;
  /** Deletes messages past their expiry, records a notice per mailbox; returns the mailboxes affected. */
  expireMessages(now: number, forgetAt: number): Promise<Mailbox[]>;
  /** Returns and clears a mailbox's pending expiry notice. */
  takeExpiryNotice(mailbox: Mailbox): Promise<ExpiryNotice | undefined>;
  /** Forgets dedupe ids whose window has passed. */
  purgeDedupe(now: number): Promise<void>;

  /** Records a ticket unless the owner's quota would be exceeded (then nothing is stored). */
  createBlob(blob: BlobRecord, quota: BlobQuota): Promise<"ok" | "quota_exceeded">;
  getBlob(blobId: string): Promise<BlobRecord | undefined>;
  /** Marks the blob uploaded; false when it already was (nothing changes). */
  completeBlob(blobId: string, size: number, expiresAt: number): Promise<boolean>;
  /**
   * Records that `to` bytes of a resumable upload are durably on disk, if the blob is not
   * complete and its recorded offset is `from` (compare-and-set; `to < from` restarts an upload
   * whose bytes were lost), and extends its ticket to at least `ticketExpiresAt`. False (nothing
   * changes) otherwise.
   */
  setBlobOffset(blobId: string, from: number, to: number, ticketExpiresAt: number): Promise<boolean>;
  /** Deletes blob records past their lifetime (or unused tickets); returns their ids so the bytes can go too. */
  expireBlobs(now: number): Promise<string[]>;

  /** Stores (or replaces) a device's push subscription; false when the device is not registered. Removing the device removes it. */
  setPushSubscription(mailbox: Mailbox, subscription: PushSubscriptionRecord): Promise<boolean>;
  /** A device's push subscription, if it has one. */
  getPushSubscription(mailbox: Mailbox): Promise<PushSubscriptionRecord | undefined>;
  /**
   * Deletes a device's push subscription; with `endpoint`, only while it is still that one (a
   * 410 for an old subscription must not delete the one the device registered since).
   */
  deletePushSubscription(mailbox: Mailbox, endpoint?: string): Promise<void>;
  /**
   * The relay-wide setting `name`: stores `value` unless the setting exists, and returns what is
   * stored, atomically (nodes sharing a store starting together all get the first one's value).
   */
  claimSetting(name: string, value: Uint8Array): Promise<Uint8Array>;

  /** Whether the store can take writes: "full" below `minFreeBytes` free or after a full-disk failure, "failing" after an I/O failure. */
  health(minFreeBytes: number): Promise<StorageStatus>;

  close(): Promise<void>;
}

/** The storage status `/healthz` reports. */
export type StorageStatus = "ok" | "full" | "failing";
