/**
 * The relay's VAPID identity (RFC 8292): one ECDSA P-256 key per relay (cluster), generated on
 * first start and kept in the store's settings, claimed atomically so every node sharing the
 * store signs with the same key; and the `Authorization: vapid t=…, k=…` header per push.
 */

import { createECDH, createPrivateKey, type KeyObject, sign } from "node:crypto";
import type { Store } from "../store/store.js";

/** The store setting holding the VAPID private scalar (32 bytes). */
export const VAPID_SETTING = "vapid-private-key";
/** How far ahead a VAPID JWT expires (RFC 8292 §2: at most 24 h); 12 h leaves room for clock skew. */
export const VAPID_JWT_LIFETIME_SECONDS = 12 * 3600;

/** A loaded VAPID key. */
export interface VapidKey {
  /** Uncompressed P-256 public key (65 bytes): the browser's `applicationServerKey`. */
  readonly publicKey: Uint8Array;
  readonly privateKey: KeyObject;
}

/** Loads the relay's VAPID key from the store, generating and storing it first if there is none. */
export async function loadVapidKey(store: Store): Promise<VapidKey> {
  const fresh = createECDH("prime256v1");
  fresh.generateKeys();
  const stored = await store.claimSetting(VAPID_SETTING, padScalar(fresh.getPrivateKey()));
  fresh.setPrivateKey(Buffer.alloc(32, 1)); // overwrite the unused candidate
  return vapidKeyFromScalar(stored);
}

/** The key pair of a 32-byte P-256 private scalar. */
export function vapidKeyFromScalar(scalar: Uint8Array): VapidKey {
  const ecdh = createECDH("prime256v1");
  ecdh.setPrivateKey(scalar);
  const publicKey = ecdh.getPublicKey();
  const privateKey = createPrivateKey({
    format: "jwk",
    key: { kty: "EC", crv: "P-256", d: b64url(scalar), x: b64url(publicKey.subarray(1, 33)), y: b64url(publicKey.subarray(33)) },
  });
  return { publicKey: new Uint8Array(publicKey), privateKey };
}

/**
 * The `Authorization` header value for a push to `endpoint` (RFC 8292 §3): an ES256 JWT with
 * `aud` = the endpoint's origin, `exp` = now + VAPID_JWT_LIFETIME_SECONDS, `sub` = `subject`.
 */
export function vapidAuthorization(key: VapidKey, endpoint: string, subject: string, nowMs: number): string {
  const header = b64url(Buffer.from(JSON.stringify({ typ: "JWT", alg: "ES256" })));
  const claims = { aud: new URL(endpoint).origin, exp: Math.floor(nowMs / 1000) + VAPID_JWT_LIFETIME_SECONDS, sub: subject };
  const body = b64url(Buffer.from(JSON.stringify(claims)));
  const signature = sign("sha256", Buffer.from(`${header}.${body}`), { key: key.privateKey, dsaEncoding: "ieee-p1363" });
  return `vapid t=${header}.${body}.${b64url(signature)}, k=${b64url(key.publicKey)}`;
}

function padScalar(scalar: Buffer): Buffer {
  return scalar.length >= 32 ? scalar : Buffer.concat([Buffer.alloc(32 - scalar.length), scalar]);
}

function b64url(bytes: Uint8Array): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString("base64url");
}
