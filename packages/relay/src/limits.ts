/**
 * Every limit the relay enforces, in one place, each with its default and why (spec/relay.md
 * §Limits mirrors this file). All are configurable (`--limit name=value`, `PARLEY_LIMITS`), and
 * each is answered with a typed error frame or close code, never a crash.
 */

/** The relay's limits. */
export interface Limits {
  /** Largest frame (bytes). Fits a 64 KiB padded content plus envelope overhead and msgpack framing; larger → FRAME_TOO_LARGE (beyond four times this, close 1009). */
  readonly maxFrameBytes: number;
  /** Messages queued per mailbox. Bounds disk one sender can fill per device; a phone offline for weeks rarely exceeds it → QUEUE_FULL. */
  readonly maxQueueDepth: number;
  /** Frames per second a connection may send, sustained. A chatty client sends a few; a flood is abuse → RATE_LIMITED. */
  readonly connectionFramesPerSecond: number;
  /** Burst allowance on top of the sustained connection rate (bucket size), so a reconnect's catch-up is not refused. */
  readonly connectionFrameBurst: number;
  /** RATE_LIMITED answers a connection may get before it is closed with 4008; stops clients that ignore the error. */
  readonly maxRateLimitStrikes: number;
  /** Messages per second from one sender (account, or anonymous connection) into one user's mailboxes, sustained; keyed per sender so a flood cannot use up an honest contact's allowance → RATE_LIMITED. */
  readonly recipientMessagesPerSecond: number;
  /** Burst allowance per (sender, recipient user) (bucket size): one sender's backlog of retries to one contact; small so a burst cannot make the recipient's other contacts wait long behind it. */
  readonly recipientMessageBurst: number;
  /** Open connections per remote address. A household behind NAT needs a few dozen at most → close 4029. */
  readonly maxConnectionsPerAddress: number;
  /** Malformed frames tolerated per connection before it is closed with 4000; a correct client sends none. */
  readonly maxInvalidFrames: number;
  /** Largest blob (bytes). 256 MiB: a 200 MB file (a few minutes of phone video) fits after padding and chunk tags → BLOB_TOO_LARGE, HTTP 413. */
  readonly maxBlobBytes: number;
  /** How long a blob is kept after upload (ms). Recipients fetch attachments within days; 30 days matches message expiry. */
  readonly blobLifetimeMs: number;
  /** How long an upload capability stays valid (ms) without progress; each durable step of a resumable upload extends it this far again (up to maxBlobUploadMs). */
  readonly blobTicketLifetimeMs: number;
  /** How long after its ticket a resumable upload may keep extending it by progress (ms): a day covers a 256 MiB file at 3 KB/s; a trickle cannot hold quota and disk for longer → HTTP 401. */
  readonly maxBlobUploadMs: number;
  /** How long (ms) a PATCH body may send nothing before the relay ends the request, keeping what arrived: frees the upload for the client's retry after a silent network loss. */
  readonly blobUploadIdleMs: number;
  /** How long a queued message waits for its recipient (ms) before it expires with a notice. 30 days, as the issue asks. */
  readonly messageLifetimeMs: number;
  /** How long a message id is remembered after ack or expiry (ms) for dedupe of late retries. A sender retries within minutes; a day is ample. */
  readonly dedupeRetentionMs: number;
  /** One-time prekeys (of either kind) below which the device is told to upload more. */
  readonly preKeyLowThreshold: number;
  /** One-time prekeys of each kind stored per device; bounds the directory's size per device → TOO_MANY_PREKEYS. */
  readonly maxStoredPreKeys: number;
  /** Messages sent to a device but not yet acknowledged; delivery pauses beyond it (flow control, not an error). */
  readonly deliveryWindow: number;
  /** Bundle fetches per second per connection (each consumes prekeys): stops draining a victim's prekeys → RATE_LIMITED. */
  readonly bundleFetchesPerSecond: number;
  /** Blob tickets an account may hold unused at once (all its devices). A phone uploads a few attachments at a time; 900 parallel tickets is abuse → QUOTA_EXCEEDED. */
  readonly maxOpenBlobTickets: number;
  /** Blob bytes an account may reserve (open tickets by declared size, plus stored blobs until they expire). 2 GiB is ~20 full-size videos a month → QUOTA_EXCEEDED. */
  readonly maxBlobBytesPerAccount: number;
  /** `lookup_handle` and `fetch_devices` requests (one bucket) per minute per account, sustained. Bounds enumerating handles from one account → RATE_LIMITED. */
  readonly handleLookupsPerMinute: number;
  /** Burst of `lookup_handle` per account: a login re-checks every contact, so it covers a large contact list. */
  readonly handleLookupBurst: number;
  /** Bundle fetches per hour per requesting account (all its connections and devices), sustained → RATE_LIMITED. */
  readonly requesterBundleFetchesPerHour: number;
  /** Burst of bundle fetches per requesting account: starting sessions with every member of a 100-member group at once. */
  readonly requesterBundleFetchBurst: number;
  /** Bundle fetches per hour by one requesting account for one target account, sustained: an honest client needs one per session set-up or repair → RATE_LIMITED. */
  readonly pairBundleFetchesPerHour: number;
  /** Burst of bundle fetches by one requester for one target (a new device, a repair or two). */
  readonly pairBundleFetchBurst: number;
  /** Bundles per hour per target account that hand out one-time prekeys, sustained; beyond it bundles carry the last-resort ML-KEM key and no one-time key, so nobody drains a victim and nobody is refused. */
  readonly targetOneTimePreKeysPerHour: number;
  /** Burst of one-time-prekey bundles per target account: a group of this many contacting a user at once all get one-time keys. */
  readonly targetOneTimePreKeyBurst: number;
  /** Free bytes the data directory must keep: below it `/healthz` answers 503 and blob tickets and uploads are refused with STORAGE_FULL, leaving room for messages. */
  readonly minFreeStorageBytes: number;
  /** Bytes per second a connection may send, sustained. Decoding work is bounded per byte (wire scan budget), so this bounds a connection's CPU share → RATE_LIMITED. */
  readonly connectionBytesPerSecond: number;
  /** Burst of bytes a connection may send at once (bucket size): ten full frames, e.g. a maximal prekey upload plus a backlog of sends after a reconnect. */
  readonly connectionByteBurst: number;
  /** Messages one sender (an account, or one anonymous connection for sealed sends) may have queued in one mailbox → QUEUE_FULL for that sender only. */
  readonly maxQueuedPerSender: number;
  /** Messages sealed sends from one network address may have queued in one mailbox: a coarse cap on anonymous senders that open many connections → QUEUE_FULL. */
  readonly maxQueuedPerAddress: number;
  /** Sealed messages per second from one network address into one user's mailboxes, sustained: the coarse anonymous counterpart of the per-sender rate → RATE_LIMITED. */
  readonly sealedAddressMessagesPerSecond: number;
  /** Burst of sealed messages from one address to one user (bucket size). */
  readonly sealedAddressMessageBurst: number;
  /** Rate buckets kept in memory (sender × recipient pairs); beyond it full buckets are pruned, then the oldest dropped. Bounds memory under key churn. */
  readonly maxRateBuckets: number;
  /** How long (ms) a connection may stay unauthenticated without an accepted sealed send before it is closed with 4002; idle sockets cost memory and an address slot. */
  readonly loginTimeoutMs: number;
  /** Bytes waiting in a connection's send buffer above which mailbox delivery pauses and ephemeral frames for it are dropped (DROPPED). About ten full frames. */
  readonly sendBufferHighWaterBytes: number;
  /** Bytes waiting in a connection's send buffer at which it is closed at once with 4009 (responses to a client that sends but never reads). */
  readonly sendBufferMaxBytes: number;
  /** How long (ms) a connection's send buffer may stay above the high-water mark before it is closed with 4009: a reader that stalled this long is gone. */
  readonly sendStallTimeoutMs: number;
  /** Bytes per second all connections from one network address may send together, sustained: reconnecting does not buy a fresh byte budget → reading paused, RATE_LIMITED. */
  readonly addressBytesPerSecond: number;
  /** Burst of bytes from one address (bucket size). */
  readonly addressByteBurst: number;
  /** Largest `multi_send` frame (bytes): a group message to every device of a 1,000-member group (~3,000 headers of ~70 bytes) plus its payload; larger → FRAME_TOO_LARGE and the sender splits. Keep it ≤ connectionByteBurst and addressByteBurst (charged like any frame). */
  readonly maxMultiSendFrameBytes: number;
  /** Recipient devices in one `multi_send`, all users together (the wire allows 4,096): a 1,000-member group at ~4 devices each → TOO_MANY_RECIPIENTS. */
  readonly maxMultiSendDevices: number;
  /** Recipient devices per second that `multi_send`s from one network address may name, sustained: a fan-out's storage work is per device, so this bounds an address's share of it → RATE_LIMITED. */
  readonly fanOutDevicesPerSecond: number;
  /** Burst of fan-out devices per address (bucket size): a few sends to a full 1,000-member group back to back. */
  readonly fanOutDeviceBurst: number;
  /** Largest payload of an ephemeral `multi_send` (bytes): it is copied to every live device at once, so it must stay small; a padded typing notice is well under 1 KiB → BAD_REQUEST. */
  readonly maxEphemeralFanOutPayloadBytes: number;
  /** At most one Web Push per offline device per this many ms (spec/relay.md §14.3): a burst of mail wakes the device once; it fetches everything when it connects. */
  readonly pushCoalesceMs: number;
  /** How long the push service keeps an undelivered push (TTL header, seconds): a day, as queued mail waits anyway and a stale wake-up is harmless. */
  readonly pushTtlSeconds: number;
  /** Push requests in flight at once: bounds sockets and memory spent on push services, whatever their speed. */
  readonly pushConcurrency: number;
  /** How long one push request may take (ms) before it is abandoned and counted as failed. */
  readonly pushTimeoutMs: number;
  /** Pushes waiting for a free slot; beyond it a push is dropped and counted (the mail itself waits in the mailbox). */
  readonly pushQueueDepth: number;
  /** `fetch_ice_servers` per account per second, sustained: a call asks once or twice → RATE_LIMITED. */
  readonly iceServerRequestsPerSecond: number;
  /** Burst of `fetch_ice_servers` per account: a few calls started at once on several devices. */
  readonly iceServerRequestBurst: number;
}

/** Defaults used when nothing is configured. */
export const DEFAULT_LIMITS: Limits = {
  maxFrameBytes: 96 * 1024,
  maxQueueDepth: 10_000,
  connectionFramesPerSecond: 200,
  connectionFrameBurst: 1000,
  maxRateLimitStrikes: 50,
  recipientMessagesPerSecond: 100,
  recipientMessageBurst: 200,
  maxConnectionsPerAddress: 32,
  maxInvalidFrames: 16,
  maxBlobBytes: 256 * 1024 * 1024,
  blobLifetimeMs: 30 * 24 * 3600_000,
  blobTicketLifetimeMs: 3600_000,
  maxBlobUploadMs: 24 * 3600_000,
  blobUploadIdleMs: 30_000,
  messageLifetimeMs: 30 * 24 * 3600_000,
  dedupeRetentionMs: 24 * 3600_000,
  preKeyLowThreshold: 10,
  maxStoredPreKeys: 500,
  deliveryWindow: 500,
  bundleFetchesPerSecond: 10,
  maxOpenBlobTickets: 20,
  maxBlobBytesPerAccount: 2 * 1024 * 1024 * 1024,
  handleLookupsPerMinute: 60,
  handleLookupBurst: 300,
  requesterBundleFetchesPerHour: 600,
  requesterBundleFetchBurst: 100,
  pairBundleFetchesPerHour: 20,
  pairBundleFetchBurst: 10,
  targetOneTimePreKeysPerHour: 50,
  targetOneTimePreKeyBurst: 50,
  minFreeStorageBytes: 64 * 1024 * 1024,
  connectionBytesPerSecond: 512 * 1024,
  connectionByteBurst: 1024 * 1024,
  maxQueuedPerSender: 1000,
  maxQueuedPerAddress: 2500,
  sealedAddressMessagesPerSecond: 200,
  sealedAddressMessageBurst: 400,
  maxRateBuckets: 100_000,
  loginTimeoutMs: 30_000,
  sendBufferHighWaterBytes: 1024 * 1024,
  sendBufferMaxBytes: 8 * 1024 * 1024,
  sendStallTimeoutMs: 30_000,
  addressBytesPerSecond: 4 * 1024 * 1024,
  addressByteBurst: 8 * 1024 * 1024,
  maxMultiSendFrameBytes: 1024 * 1024,
  maxMultiSendDevices: 4096,
  fanOutDevicesPerSecond: 2000,
  fanOutDeviceBurst: 12_288,
  maxEphemeralFanOutPayloadBytes: 4096,
  pushCoalesceMs: 30_000,
  pushTtlSeconds: 86_400,
  pushConcurrency: 16,
  pushTimeoutMs: 10_000,
  pushQueueDepth: 10_000,
  iceServerRequestsPerSecond: 1,
  iceServerRequestBurst: 10,
};

/** Merges overrides onto the defaults; throws RangeError on an unknown name or a value that is not a positive integer. */
export function resolveLimits(overrides: Readonly<Record<string, unknown>> = {}): Limits {
  const out: Record<string, number> = { ...DEFAULT_LIMITS };
  for (const [name, value] of Object.entries(overrides)) {
    if (!Object.hasOwn(DEFAULT_LIMITS, name)) throw new RangeError(`unknown limit "${name}"`);
    const n = typeof value === "string" ? Number(value) : value;
    if (typeof n !== "number" || !Number.isSafeInteger(n) || n < 1) throw new RangeError(`limit "${name}" must be a positive integer`);
    out[name] = n;
  }
  return out as unknown as Limits;
}
