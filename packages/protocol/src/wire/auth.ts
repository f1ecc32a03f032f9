/**
 * What a device signs to log in to a relay (spec/relay.md §Authentication):
 * `"Parley/v1/relay-auth" ‖ 0x00 ‖ nonce (32) ‖ u16 len ‖ relayId (UTF-8) ‖ userId (16) ‖ u32 deviceId`.
 * The nonce is fresh per connection, so a signature is good for one connection only; the
 * relay id (the relay's public origin) stops a hostile relay from passing another relay's
 * challenge through to a client and logging in there as that client.
 */

import { concatBytes } from "../crypto/bytes.js";
import type { Deps } from "../deps.js";
import { ByteWriter } from "../encoding/writer.js";
import type { DeviceKeys } from "../keys/device-certificate.js";
import { USER_ID_LENGTH } from "../keys/identity.js";
import { LABEL_AUTH_CHALLENGE } from "../labels.js";
import { NONCE_BYTES } from "./schema.js";

const utf8 = new TextEncoder();
/** Longest relay id (UTF-8 bytes). */
export const MAX_RELAY_ID_BYTES = 256;

/** URL schemes a relay id may be derived from, and the origin scheme each maps to (spec/relay.md §3.1). */
const RELAY_SCHEMES: Readonly<Record<string, string>> = { "ws:": "http", "http:": "http", "wss:": "https", "https:": "https" };
/** Host names that all mean "this machine" and compare equal, spelled as `localhost` in the canonical id. */
const LOOPBACK_HOSTS: ReadonlySet<string> = new Set(["localhost", "127.0.0.1", "[::1]"]);

/**
 * The canonical relay id of a relay URL or origin (spec/relay.md §3.1): `scheme://host[:port]`
 * with `ws`→`http` and `wss`→`https`, host lower-cased (IDN in punycode), the scheme's default
 * port dropped, the loopback names `localhost`, `127.0.0.1` and `[::1]` all written `localhost`,
 * and user info, path, query and fragment ignored. Two ids name the same relay exactly when
 * their canonical forms are equal strings. Throws RangeError for anything that is not an
 * absolute ws/wss/http/https URL.
 *
 * @example
 * ```ts
 * canonicalRelayId("WSS://Relay.Example:443/chat/"); // "https://relay.example"
 * canonicalRelayId("ws://127.0.0.1:8787");           // "http://localhost:8787"
 * ```
 */
export function canonicalRelayId(url: string): string {
  let parsed: URL;
  try {
    parsed = new URL(url.trim());
  } catch {
    throw new RangeError("a relay id must be an absolute ws://, wss://, http:// or https:// URL");
  }
  const scheme = RELAY_SCHEMES[parsed.protocol];
  if (!scheme || !parsed.hostname) throw new RangeError("a relay id must be an absolute ws://, wss://, http:// or https:// URL");
  // WHATWG URL already lower-cases the host and drops the default port of ws/wss/http/https
  // (80 for ws and http, 443 for wss and https), which are the same after the scheme mapping.
  const host = LOOPBACK_HOSTS.has(parsed.hostname) ? "localhost" : parsed.hostname;
  const id = `${scheme}://${host}${parsed.port ? `:${parsed.port}` : ""}`;
  if (utf8.encode(id).length > MAX_RELAY_ID_BYTES) throw new RangeError(`relayId must be at most ${MAX_RELAY_ID_BYTES} bytes`);
  return id;
}

/** True when `a` and `b` name the same relay (equal canonical ids); false when either is not a relay URL. */
export function sameRelayId(a: string, b: string): boolean {
  try {
    return canonicalRelayId(a) === canonicalRelayId(b);
  } catch {
    return false;
  }
}

/**
 * The exact bytes a device signs for challenge `nonce` from relay `relayId`.
 * Throws RangeError on a wrong-length nonce or user id or an over-long relay id.
 */
export function authSignatureMessage(nonce: Uint8Array, relayId: string, userId: Uint8Array, deviceId: number): Uint8Array {
  if (nonce.length !== NONCE_BYTES) throw new RangeError(`nonce must be ${NONCE_BYTES} bytes`);
  if (userId.length !== USER_ID_LENGTH) throw new RangeError(`userId must be ${USER_ID_LENGTH} bytes`);
  const relay = utf8.encode(relayId);
  if (relay.length > MAX_RELAY_ID_BYTES) throw new RangeError(`relayId must be at most ${MAX_RELAY_ID_BYTES} bytes`);
  const body = new ByteWriter().bytes(nonce).u16(relay.length).bytes(relay).bytes(userId).u32(deviceId).finish();
  return concatBytes(LABEL_AUTH_CHALLENGE, new Uint8Array([0]), body);
}

/**
 * Signs a relay's challenge with the device signing key (client side).
 * Clients must first check that `relayId` is the relay they meant to connect to (`sameRelayId`).
 *
 * @example
 * ```ts
 * const signature = signAuthChallenge(deps, device, challenge.nonce, challenge.relayId);
 * send({ t: "auth", id: 1, userId: device.address.userId, deviceId: device.deviceId, signature });
 * ```
 */
export function signAuthChallenge(deps: Deps, device: DeviceKeys, nonce: Uint8Array, relayId: string): Uint8Array {
  return deps.crypto.ed25519Sign(device.signingKey, authSignatureMessage(nonce, relayId, device.address.userId, device.deviceId));
}

/** Checks a challenge signature against a device signing key (relay side). */
export function verifyAuthSignature(
  deps: Deps,
  signingKey: Uint8Array,
  signature: Uint8Array,
  nonce: Uint8Array,
  relayId: string,
  userId: Uint8Array,
  deviceId: number,
): boolean {
  return deps.crypto.ed25519Verify(signingKey, authSignatureMessage(nonce, relayId, userId, deviceId), signature);
}
