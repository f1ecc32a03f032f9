/**
 * The Web Push and ICE surface of the client (spec/relay.md §14, spec/client.md §Push and
 * calls): the relay's VAPID key for `PushManager.subscribe`, registering or removing this
 * device's subscription, and STUN/TURN servers for `RTCPeerConnection`. The relay only ever
 * pushes a content-free wake-up; the app fetches and decrypts its mail itself.
 */

import type { IceServersFrame, PushKeyFrame } from "../wire/frames.js";
import { MAX_PUSH_ENDPOINT_BYTES, PUSH_AUTH_BYTES, PUSH_P256DH_BYTES, pushSubscriptionProblem } from "../wire/schema.js";
import type { RelayConnection } from "./relay-connection.js";

/** The relay's push identity. */
export interface PushConfig {
  /** The VAPID public key: an uncompressed P-256 point (65 bytes). */
  readonly vapidPublicKey: Uint8Array;
  /** The same key in base64url, as `PushManager.subscribe({ applicationServerKey })` takes it. */
  readonly applicationServerKey: string;
}

/**
 * A Web Push subscription: the shape of `PushSubscription.toJSON()` (keys in base64url), or
 * with the keys as bytes.
 */
export interface WebPushSubscription {
  readonly endpoint: string;
  readonly keys: { readonly p256dh: string | Uint8Array; readonly auth: string | Uint8Array };
}

/** One ICE server, ready for `new RTCPeerConnection({ iceServers })`. */
export interface IceServerInfo {
  readonly urls: string[];
  readonly username?: string;
  readonly credential?: string;
}

/** STUN/TURN servers and when their TURN credentials stop working. */
export interface IceServers {
  readonly iceServers: IceServerInfo[];
  /** Milliseconds since the epoch; absent when no TURN server is listed. Ask again before it. */
  readonly expiresAt?: number;
  /**
   * When `client.iceServers()` stops returning these and fetches new ones (ms since the epoch, the
   * client's clock): before `expiresAt`, with time to spare. Absent on a raw relay answer.
   */
  readonly refreshAt?: number;
}

/** Asks the relay for its VAPID key. */
export async function fetchPushConfig(connection: RelayConnection): Promise<PushConfig> {
  const answer = (await connection.request({ t: "fetch_push_key" })) as PushKeyFrame;
  return { vapidPublicKey: answer.vapidPublicKey, applicationServerKey: base64url(answer.vapidPublicKey) };
}

/** Registers `subscription` for this device, or removes it (`null`). Throws TypeError/RangeError for a malformed one. */
export async function sendPushSubscription(connection: RelayConnection, subscription: WebPushSubscription | null): Promise<void> {
  if (subscription === null) {
    await connection.request({ t: "clear_push" });
    return;
  }
  const { endpoint, p256dh, auth } = checkSubscription(subscription);
  await connection.request({ t: "set_push", endpoint, p256dh, auth });
}

/** Asks the relay for STUN/TURN servers (needs a logged-in device). */
export async function fetchIceServers(connection: RelayConnection): Promise<IceServers> {
  const answer = (await connection.request({ t: "fetch_ice_servers" })) as IceServersFrame;
  const iceServers = answer.servers.map((s) => ({
    urls: [...s.urls],
    ...(s.username !== undefined ? { username: s.username } : {}),
    ...(s.credential !== undefined ? { credential: s.credential } : {}),
  }));
  return answer.expiresAt === undefined ? { iceServers } : { iceServers, expiresAt: answer.expiresAt };
}

/**
 * The wire fields of a subscription, checked as the relay's decoder will (VAL-PUSH-1). Throws
 * TypeError for a wrong shape or encoding, RangeError for wrong sizes or a refused endpoint.
 */
export function checkSubscription(subscription: WebPushSubscription): { endpoint: string; p256dh: Uint8Array; auth: Uint8Array } {
  if (typeof subscription?.endpoint !== "string" || typeof subscription.keys !== "object" || subscription.keys === null)
    throw new TypeError("a push subscription needs endpoint and keys.p256dh / keys.auth");
  const p256dh = keyBytes(subscription.keys.p256dh, "p256dh", PUSH_P256DH_BYTES);
  const auth = keyBytes(subscription.keys.auth, "auth", PUSH_AUTH_BYTES);
  if (new TextEncoder().encode(subscription.endpoint).length > MAX_PUSH_ENDPOINT_BYTES)
    throw new RangeError(`the push endpoint is over ${MAX_PUSH_ENDPOINT_BYTES} bytes`);
  const problem = pushSubscriptionProblem(subscription.endpoint, p256dh);
  if (problem) throw new RangeError(problem);
  return { endpoint: subscription.endpoint, p256dh, auth };
}

function keyBytes(value: string | Uint8Array, name: string, length: number): Uint8Array {
  let bytes: Uint8Array;
  if (value instanceof Uint8Array) bytes = value;
  else if (typeof value === "string" && /^[A-Za-z0-9_\-+/]*=*$/.test(value)) bytes = fromBase64url(value);
  else throw new TypeError(`keys.${name} must be base64url or bytes`);
  if (bytes.length !== length) throw new RangeError(`keys.${name} must be ${length} bytes, got ${bytes.length}`);
  return bytes;
}

function base64url(bytes: Uint8Array): string {
  let binary = "";
  for (const b of bytes) binary += String.fromCharCode(b);
  return btoa(binary).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
}

function fromBase64url(text: string): Uint8Array {
  const standard = text.replace(/-/g, "+").replace(/_/g, "/").replace(/=+$/, "");
  let binary: string;
  try {
    binary = atob(standard + "=".repeat((4 - (standard.length % 4)) % 4));
  } catch {
    throw new TypeError("a push subscription key is not base64url");
  }
  return Uint8Array.from(binary, (c) => c.charCodeAt(0));
}
