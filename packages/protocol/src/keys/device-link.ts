/**
 * Device linking's cryptography (spec/client.md §6): the check code both screens show, which
 * commits to the new device's keys with about 132 bits (40 digits, shown like a safety number),
 * so whoever swaps a request in transit cannot grind keys of his own with the same code; and the
 * account's delivery token sealed to the new device's X25519 identity key (ephemeral–static,
 * one use). The transport encodings and the confirm-before-certify workflow live in the client
 * (client/linking.ts).
 */

import { concatBytes, equalBytes } from "../crypto/bytes.js";
import { type Deps, newX25519KeyPair } from "../deps.js";
import { ErrorCode, ParleyError } from "../errors.js";
import { agree } from "../handshake/agreement.js";
import { LABEL_LINK_CODE, LABEL_LINK_TOKEN } from "../labels.js";

/** Digits of the check code: 8 groups of 5, each from 40 bits of hash mod 100,000 (≈ 132.9 bits in all). */
export const LINK_CODE_GROUPS = 8;
/** Bytes of the sealed token: ephemeral public key, nonce, 32-byte token, tag. */
export const SEALED_LINK_TOKEN_LENGTH = 32 + 12 + 32 + 16;

/** What a new device sends to the primary device (public keys only). */
export interface LinkRequest {
  readonly deviceId: number;
  readonly signingKey: Uint8Array;
  readonly identityKey: Uint8Array;
}

/**
 * The check code for a request: SHA-256-based HKDF over a label and the request's device id,
 * signing key and identity key, as 8 groups of 5 digits. Both devices compute it from the keys
 * themselves, never from the transport encoding.
 */
export function linkCode(deps: Deps, request: LinkRequest): string {
  const id = new Uint8Array(4);
  new DataView(id.buffer).setUint32(0, request.deviceId);
  const material = concatBytes(id, request.signingKey, request.identityKey);
  const bytes = deps.crypto.hkdfSha256(material, new Uint8Array(0), LABEL_LINK_CODE, LINK_CODE_GROUPS * 5);
  const groups: string[] = [];
  for (let g = 0; g < LINK_CODE_GROUPS; g++) {
    let value = 0;
    for (let i = 0; i < 5; i++) value = value * 256 + (bytes[g * 5 + i] ?? 0);
    groups.push(String(value % 100_000).padStart(5, "0"));
  }
  return groups.join(" ");
}

/** True when `typed` is the same code (spaces and separators ignored). */
export function sameLinkCode(expected: string, typed: string): boolean {
  const a = new TextEncoder().encode(expected.replace(/\D/g, ""));
  const b = new TextEncoder().encode(typed.replace(/\D/g, ""));
  return a.length === b.length && equalBytes(a, b);
}

/** Encrypts the account's delivery token to the new device's X25519 identity key (ephemeral–static, one use). */
export function sealLinkToken(deps: Deps, identityKey: Uint8Array, token: Uint8Array): Uint8Array {
  const ephemeral = newX25519KeyPair(deps);
  const key = tokenKey(deps, agree(deps, ephemeral, identityKey), ephemeral.publicKey, identityKey);
  const nonce = deps.crypto.randomBytes(12);
  return concatBytes(ephemeral.publicKey, nonce, deps.crypto.aeadEncrypt(key, nonce, token, LABEL_LINK_TOKEN));
}

/** Opens `sealLinkToken`'s output with the new device's identity key pair; ERR_DECRYPT_FAILED otherwise. */
export function openLinkToken(deps: Deps, identity: { publicKey: Uint8Array; privateKey: Uint8Array }, sealed: Uint8Array): Uint8Array {
  const ephemeralPublic = sealed.subarray(0, 32);
  const token = deps.crypto.aeadDecrypt(
    tokenKey(deps, agree(deps, identity, ephemeralPublic), ephemeralPublic, identity.publicKey),
    sealed.subarray(32, 44),
    sealed.subarray(44),
    LABEL_LINK_TOKEN,
  );
  if (token?.length !== 32) throw new ParleyError(ErrorCode.DecryptFailed, "the approval's delivery token does not open");
  return token;
}

function tokenKey(deps: Deps, shared: Uint8Array, ephemeralPublic: Uint8Array, identityKey: Uint8Array): Uint8Array {
  return deps.crypto.hkdfSha256(shared, concatBytes(ephemeralPublic, identityKey), LABEL_LINK_TOKEN, 32);
}
