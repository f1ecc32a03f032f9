/**
 * The Double Ratchet's key derivations (spec/ratchet.md §KDFs):
 * KDF_RK = HKDF-SHA256(salt = root key, ikm = DH output, info = "Parley/v1/ratchet-root", 64);
 * KDF_CK = HMAC-SHA256(chain key, 0x01) for the message key and (…, 0x02) for the next chain key;
 * per-message AEAD key and nonce = HKDF-SHA256(salt = 32 zero bytes, ikm = message key,
 * info = "Parley/v1/message-keys", 44).
 */

import type { Deps } from "../deps.js";
import { LABEL_MESSAGE_KEYS, LABEL_ROOT } from "../labels.js";

const MESSAGE_KEY_SEED = new Uint8Array([0x01]);
const CHAIN_KEY_SEED = new Uint8Array([0x02]);
const ZERO_SALT = new Uint8Array(32);

/** KDF_RK: a new root key and a chain key from the current root key and a DH output. */
export function kdfRoot(deps: Deps, rootKey: Uint8Array, dhOutput: Uint8Array): { rootKey: Uint8Array; chainKey: Uint8Array } {
  const out = deps.crypto.hkdfSha256(dhOutput, rootKey, LABEL_ROOT, 64);
  return { rootKey: out.slice(0, 32), chainKey: out.slice(32, 64) };
}

/** KDF_CK: the message key at this chain position and the next chain key. */
export function kdfChain(deps: Deps, chainKey: Uint8Array): { messageKey: Uint8Array; nextChainKey: Uint8Array } {
  return { messageKey: deps.crypto.hmacSha256(chainKey, MESSAGE_KEY_SEED), nextChainKey: deps.crypto.hmacSha256(chainKey, CHAIN_KEY_SEED) };
}

/** The ChaCha20-Poly1305 key and nonce for one message key. */
export function messageCipherKeys(deps: Deps, messageKey: Uint8Array): { key: Uint8Array; nonce: Uint8Array } {
  const out = deps.crypto.hkdfSha256(messageKey, ZERO_SALT, LABEL_MESSAGE_KEYS, 44);
  return { key: out.subarray(0, 32), nonce: out.subarray(32, 44) };
}
