/**
 * The relay frames as TypeScript types: one discriminated union on `t`, shared by the relay and
 * its clients (spec/relay.md §Frames). Every frame also carries `v` (the wire version), which
 * `encodeFrame` adds and `decodeFrame` checks, so the types here omit it. Requests carry a
 * numeric `id` that the response echoes.
 */

/** A mailbox: one device of one user. */
export interface MailboxAddress {
  readonly userId: Uint8Array;
  readonly deviceId: number;
}

// ---- client → relay ------------------------------------------------------------------------

/** Log in as an already registered device by signing the challenge. */
export interface AuthFrame {
  readonly t: "auth";
  readonly id: number;
  readonly userId: Uint8Array;
  readonly deviceId: number;
  readonly signature: Uint8Array;
}

/** Register an account or a new device of one, and log in as that device. */
export interface RegisterFrame {
  readonly t: "register";
  readonly id: number;
  readonly certificate: Uint8Array;
  readonly deviceList: Uint8Array;
  readonly signature: Uint8Array;
}

/** Replace the account's device list with a newer one (removes unlisted devices). */
export interface PublishDevicesFrame {
  readonly t: "publish_devices";
  readonly id: number;
  readonly deviceList: Uint8Array;
}

/** Claim (or move to) a handle for the authenticated account. */
export interface ClaimHandleFrame {
  readonly t: "claim_handle";
  readonly id: number;
  readonly handle: string;
}

/** Look up a handle. */
export interface LookupHandleFrame {
  readonly t: "lookup_handle";
  readonly id: number;
  readonly handle: string;
}

/** Upload encoded prekey records for the authenticated device. */
export interface UploadPreKeysFrame {
  readonly t: "upload_prekeys";
  readonly id: number;
  readonly signedPreKey?: Uint8Array;
  readonly oneTimePreKeys?: readonly Uint8Array[];
  /** One-time and last-resort ML-KEM prekeys; the record's kind byte says which. */
  readonly kemPreKeys?: readonly Uint8Array[];
}

/** Fetch prekey bundles for every listed device of a user (or one device). */
export interface FetchBundlesFrame {
  readonly t: "fetch_bundles";
  readonly id: number;
  readonly userId: Uint8Array;
  readonly deviceId?: number;
}

/**
 * Read a user's account key and signed device list: public directory data, so no prekey is
 * consumed and no login is needed (answered by `devices`).
 */
export interface FetchDevicesFrame {
  readonly t: "fetch_devices";
  readonly id: number;
  readonly userId: Uint8Array;
}

/** Set (or clear) the user's delivery token hash and whether sealed sends need one. */
export interface SetDeliveryTokenFrame {
  readonly t: "set_delivery_token";
  readonly id: number;
  /** SHA-256 of the 32-byte token; absent clears it. */
  readonly tokenHash?: Uint8Array;
  /** True: sealed sends need no token. */
  readonly open: boolean;
}

/** One message of an authenticated `send`. */
export interface OutgoingMessage {
  readonly userId: Uint8Array;
  readonly deviceId: number;
  readonly messageId: Uint8Array;
  readonly envelope: Uint8Array;
}

/** Send from an authenticated connection to one or many mailboxes. */
export interface SendFrame {
  readonly t: "send";
  readonly id: number;
  readonly messages: readonly OutgoingMessage[];
  /** Typing/presence: delivered only to live connections, never stored. */
  readonly ephemeral?: boolean;
}

/** One message of a `sealed_send` (the user is named once per frame). */
export interface SealedMessage {
  readonly deviceId: number;
  readonly messageId: Uint8Array;
  readonly envelope: Uint8Array;
}

/** Send to devices of one user, authorised by the user's delivery token, not by login. */
export interface SealedSendFrame {
  readonly t: "sealed_send";
  readonly id: number;
  readonly userId: Uint8Array;
  readonly token?: Uint8Array;
  readonly messages: readonly SealedMessage[];
  readonly ephemeral?: boolean;
}

/** One recipient device of a `multi_send`: its header (spec/sealed-envelope.md §6). */
export interface MultiSendDevice {
  readonly deviceId: number;
  /** The device's 48-byte header from `sealMulti`. */
  readonly header: Uint8Array;
  /** Optional: absent, the relay derives the id from the payload and header (`multiMessageId`). */
  readonly messageId?: Uint8Array;
}

/** One recipient user of a `multi_send`, with its delivery token and devices. */
export interface MultiSendRecipient {
  readonly userId: Uint8Array;
  readonly token?: Uint8Array;
  readonly devices: readonly MultiSendDevice[];
}

/**
 * Send one sealed payload to many devices of many users (a group message): each device gets
 * `version ‖ 0x04 ‖ header ‖ payload`. Authorised per recipient user by its delivery token,
 * never by who sends; answered by `sent` with one result per device in flattened order.
 */
export interface MultiSendFrame {
  readonly t: "multi_send";
  readonly id: number;
  readonly payload: Uint8Array;
  readonly recipients: readonly MultiSendRecipient[];
  readonly ephemeral?: boolean;
}

/** Acknowledge (and so delete) delivered messages of the authenticated device's mailbox. */
export interface AckFrame {
  readonly t: "ack";
  readonly id: number;
  readonly messageIds: readonly Uint8Array[];
}

/** Ask for an upload capability for one blob of `size` bytes. */
export interface BlobTicketFrame {
  readonly t: "blob_ticket";
  readonly id: number;
  readonly size: number;
}

/**
 * Register (or replace) the authenticated device's Web Push subscription (RFC 8030), as the
 * browser's `PushSubscription` gives it; answered by `ok` (spec/relay.md §Push).
 */
export interface SetPushFrame {
  readonly t: "set_push";
  readonly id: number;
  /** The push service URL: `https:` (the relay may allow `http:` to loopback for tests). */
  readonly endpoint: string;
  /** The browser's uncompressed P-256 public key (65 bytes, `keys.p256dh`). */
  readonly p256dh: Uint8Array;
  /** The browser's 16-byte authentication secret (`keys.auth`). */
  readonly auth: Uint8Array;
}

/** Remove the authenticated device's Web Push subscription (no-op when there is none); answered by `ok`. */
export interface ClearPushFrame {
  readonly t: "clear_push";
  readonly id: number;
}

/** Ask for the relay's VAPID public key (RFC 8292), the browser's `applicationServerKey`; answered by `push_key`. */
export interface FetchPushKeyFrame {
  readonly t: "fetch_push_key";
  readonly id: number;
}

/** Ask for STUN/TURN servers with short-lived credentials; answered by `ice_servers`. */
export interface FetchIceServersFrame {
  readonly t: "fetch_ice_servers";
  readonly id: number;
}

/** Liveness check; answered by `pong`. */
export interface PingFrame {
  readonly t: "ping";
  readonly id: number;
}

/** Every frame a client sends. */
export type ClientFrame =
  | AuthFrame
  | RegisterFrame
  | PublishDevicesFrame
  | ClaimHandleFrame
  | LookupHandleFrame
  | UploadPreKeysFrame
  | FetchBundlesFrame
  | FetchDevicesFrame
  | SetDeliveryTokenFrame
  | SendFrame
  | SealedSendFrame
  | MultiSendFrame
  | AckFrame
  | BlobTicketFrame
  | SetPushFrame
  | ClearPushFrame
  | FetchPushKeyFrame
  | FetchIceServersFrame
  | PingFrame;

// ---- relay → client ------------------------------------------------------------------------

/** First frame on every connection. */
export interface ChallengeFrame {
  readonly t: "challenge";
  readonly nonce: Uint8Array;
  /** The relay's public origin, bound into the auth signature (spec/relay.md §Authentication). */
  readonly relayId: string;
}

/** Success without a payload. */
export interface OkFrame {
  readonly t: "ok";
  readonly id: number;
}

/** A typed failure; `id` is absent when the request could not be parsed. */
export interface ErrorFrame {
  readonly t: "error";
  readonly id?: number;
  readonly code: string;
  readonly message?: string;
}

/** Answer to `lookup_handle`. */
export interface HandleFrame {
  readonly t: "handle";
  readonly id: number;
  readonly userId: Uint8Array;
  readonly accountKey: Uint8Array;
  readonly deviceList: Uint8Array;
}

/** Answer to `fetch_devices`. */
export interface DevicesFrame {
  readonly t: "devices";
  readonly id: number;
  readonly userId: Uint8Array;
  readonly accountKey: Uint8Array;
  readonly deviceList: Uint8Array;
}

/** One device's bundle inside `bundles`. */
export interface DeviceBundle {
  readonly deviceId: number;
  readonly certificate: Uint8Array;
  readonly signedPreKey: Uint8Array;
  readonly oneTimePreKey?: Uint8Array;
  readonly kemPreKey: Uint8Array;
}

/** Answer to `fetch_bundles`. */
export interface BundlesFrame {
  readonly t: "bundles";
  readonly id: number;
  readonly deviceList: Uint8Array;
  readonly bundles: readonly DeviceBundle[];
}

/** Answer to `send` / `sealed_send`: one result per message, in order. */
export interface SentFrame {
  readonly t: "sent";
  readonly id: number;
  /** `OK`, `DUPLICATE`, `OFFLINE` or an error code. */
  readonly results: readonly string[];
}

/** Answer to `blob_ticket`. */
export interface BlobGrantedFrame {
  readonly t: "blob_granted";
  readonly id: number;
  readonly blobId: string;
  /** Bearer capability for `PUT /blobs/<blobId>`. */
  readonly capability: string;
  readonly expiresAt: number;
}

/** Answer to `fetch_push_key`. */
export interface PushKeyFrame {
  readonly t: "push_key";
  readonly id: number;
  /** The relay's VAPID public key: an uncompressed P-256 point (65 bytes). */
  readonly vapidPublicKey: Uint8Array;
}

/** One STUN or TURN server, shaped like WebRTC's `RTCIceServer`. */
export interface IceServer {
  readonly urls: readonly string[];
  /** TURN only: `${expiry}:${handle}` (coturn's `use-auth-secret` scheme). */
  readonly username?: string;
  /** TURN only: base64(HMAC-SHA1(secret, username)). */
  readonly credential?: string;
}

/** Answer to `fetch_ice_servers`: empty when the relay has none configured. */
export interface IceServersFrame {
  readonly t: "ice_servers";
  readonly id: number;
  readonly servers: readonly IceServer[];
  /** When the TURN credentials stop working (ms since the epoch); absent without TURN. */
  readonly expiresAt?: number;
}

/** Answer to `ping`. */
export interface PongFrame {
  readonly t: "pong";
  readonly id: number;
}

/** A queued message for the authenticated device; acknowledge it with `ack`. */
export interface MessageFrame {
  readonly t: "message";
  readonly messageId: Uint8Array;
  readonly envelope: Uint8Array;
  readonly receivedAt: number;
}

/** An ephemeral frame (typing, presence): never stored, never acknowledged. */
export interface EphemeralFrame {
  readonly t: "ephemeral";
  readonly envelope: Uint8Array;
}

/** Every message queued when the backlog drain began has been sent. */
export interface QueueEmptyFrame {
  readonly t: "queue_empty";
}

/** Messages expired unread in this mailbox since the last notice. */
export interface ExpiredFrame {
  readonly t: "expired";
  readonly count: number;
  readonly firstAt: number;
  readonly lastAt: number;
}

/** The device's one-time prekeys are below the relay's threshold. */
export interface PreKeysLowFrame {
  readonly t: "prekeys_low";
  readonly oneTime: number;
  readonly kem: number;
}

/** Every frame the relay sends. */
export type ServerFrame =
  | ChallengeFrame
  | OkFrame
  | ErrorFrame
  | HandleFrame
  | DevicesFrame
  | BundlesFrame
  | SentFrame
  | BlobGrantedFrame
  | PushKeyFrame
  | IceServersFrame
  | PongFrame
  | MessageFrame
  | EphemeralFrame
  | QueueEmptyFrame
  | ExpiredFrame
  | PreKeysLowFrame;

/** Every frame of wire version 1. */
export type Frame = ClientFrame | ServerFrame;

/** The `t` of every frame. */
export type FrameType = Frame["t"];

/** The frame type with tag `T`. */
export type FrameOf<T extends FrameType> = Extract<Frame, { t: T }>;
