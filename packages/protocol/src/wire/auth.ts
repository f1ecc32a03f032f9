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
 * Clients should first check that `relayId` is the origin they meant to connect to.
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
