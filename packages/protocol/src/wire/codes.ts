/**
 * Stable codes of the relay protocol: the error codes an `error` frame carries and the
 * WebSocket close codes the relay uses. spec/relay.md §Errors lists the same set, and a test
 * keeps the two in sync. Adding a code is a minor change; renaming or removing one is breaking.
 */

/** The wire protocol version every frame carries in `v`. */
export const WIRE_VERSION = 1;

/** Error codes carried in `error` frames (and per-message `results` of `sent`). */
export const RelayErrorCode = {
  /** The bytes are not a valid frame (msgpack, field types or sizes). */
  InvalidFrame: "INVALID_FRAME",
  /** The frame's `v` is not a version this relay speaks. */
  UnsupportedVersion: "UNSUPPORTED_VERSION",
  /** A well-formed frame that makes no sense here (wrong direction, bad record, bad value). */
  BadRequest: "BAD_REQUEST",
  /** The request needs an authenticated connection, or the challenge signature failed. */
  Unauthorized: "UNAUTHORIZED",
  /** The connection is already authenticated. */
  AlreadyAuthenticated: "ALREADY_AUTHENTICATED",
  /** A certificate, device list or prekey signature does not verify. */
  BadSignature: "BAD_SIGNATURE",
  /** A device list that does not advance the stored sequence, or does not name the device. */
  StaleDeviceList: "STALE_DEVICE_LIST",
  /** The named user, device, handle or blob does not exist. */
  NotFound: "NOT_FOUND",
  /** The handle is claimed by another account. */
  HandleTaken: "HANDLE_TAKEN",
  /** The handle does not satisfy the handle rules (spec/relay.md §Handles). */
  HandleInvalid: "HANDLE_INVALID",
  /** A sealed send without a valid delivery token for a recipient that requires one. */
  TokenInvalid: "TOKEN_INVALID",
  /** A rate limit was hit; retry later. */
  RateLimited: "RATE_LIMITED",
  /** The recipient mailbox holds the maximum number of queued messages. */
  QueueFull: "QUEUE_FULL",
  /** A frame larger than the relay's configured frame limit (the frame is dropped; the connection stays). */
  FrameTooLarge: "FRAME_TOO_LARGE",
  /** Too many prekeys stored for this device, or too many in one upload. */
  TooManyPreKeys: "TOO_MANY_PREKEYS",
  /** A blob larger than the configured blob size limit. */
  BlobTooLarge: "BLOB_TOO_LARGE",
  /** The relay is shutting down and accepts no new work. */
  Unavailable: "UNAVAILABLE",
  /** An unexpected failure inside the relay; nothing was stored. */
  Internal: "INTERNAL",
  /** The relay's storage is full (or failing): nothing was stored; retry later. */
  StorageFull: "STORAGE_FULL",
  /** The account's blob quota (open tickets or reserved bytes) is used up. */
  QuotaExceeded: "QUOTA_EXCEEDED",
  /** The blob is already uploaded, or another upload of it is in progress. */
  Conflict: "CONFLICT",
  /** A `multi_send` names more recipient devices than the relay takes in one frame (split it). */
  TooManyRecipients: "TOO_MANY_RECIPIENTS",
} as const;

/** One of the relay error code strings. */
export type RelayErrorCode = (typeof RelayErrorCode)[keyof typeof RelayErrorCode];

/** Per-message outcomes in a `sent` frame that are not errors. */
export const SendResult = {
  /** Durably queued (or, for ephemeral frames, handed to the live connection). */
  Ok: "OK",
  /** The mailbox already has (or recently had) this message id; nothing new was stored. */
  Duplicate: "DUPLICATE",
  /** Ephemeral frame for a device with no live connection: dropped, as ephemeral frames are. */
  Offline: "OFFLINE",
  /** Ephemeral frame for a device whose connection is not reading (its send buffer is full): dropped. */
  Dropped: "DROPPED",
} as const;

/** One of the per-message outcome strings that are not errors. */
export type SendResult = (typeof SendResult)[keyof typeof SendResult];

/** WebSocket close codes the relay sends (RFC 6455 §7.4; 4000–4999 are ours). */
export const CloseCode = {
  /** Normal close. */
  Normal: 1000,
  /** The relay is shutting down (SIGTERM); reconnect later. */
  GoingAway: 1001,
  /** A frame far larger than the relay's frame limit (sent by the WebSocket layer; a smaller excess gets FRAME_TOO_LARGE). */
  MessageTooBig: 1009,
  /** Unexpected server failure. */
  InternalError: 1011,
  /** Too many malformed frames on this connection. */
  ProtocolError: 4000,
  /** A newer connection authenticated as the same device. */
  Replaced: 4001,
  /** The connection neither authenticated nor made an accepted sealed send within the login deadline. */
  LoginTimeout: 4002,
  /** This device was removed from its account's device list. */
  DeviceRemoved: 4003,
  /** The connection kept exceeding its rate limit. */
  RateLimited: 4008,
  /** The peer stopped reading: its send buffer stayed full past the deadline, or overflowed. */
  SlowConsumer: 4009,
  /** Too many connections from this address. */
  TooManyConnections: 4029,
} as const;

/** One of the relay's close codes. */
export type CloseCode = (typeof CloseCode)[keyof typeof CloseCode];
