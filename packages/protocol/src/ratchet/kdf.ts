/**
 * The Double Ratchet's key derivations (spec/ratchet.md §KDFs):
 * KDF_RK = HKDF-SHA256(salt = root key, ikm = DH output, info = "Parley/v1/ratchet-root", 64);
 * KDF_CK = HMAC-SHA256(chain key, 0x01) for the message key and (…, 0x02) for the next chain key.
 * The message key is the message's ChaCha20-Poly1305 key. The nonce is not derived: it is 12
 * fresh random bytes carried in the header (message.ts), so a message key that is used again —
 * a second tab, a restored backup, a rolled-back store encrypting from the same state — meets a
 * different nonce (spec/ratchet.md §1 states the bound) and no (key, nonce) pair repeats.
 */

import type { Deps } from "../deps.js";
import { LABEL_ROOT } from "../labels.js";

const MESSAGE_KEY_SEED = new Uint8Array([0x01]);
const CHAIN_KEY_SEED = new Uint8Array([0x02]);

/** KDF_RK: a new root key and a chain key from the current root key and a DH output. */
export function kdfRoot(deps: Deps, rootKey: Uint8Array, dhOutput: Uint8Array): { rootKey: Uint8Array; chainKey: Uint8Array } {
  const out = deps.crypto.hkdfSha256(dhOutput, rootKey, LABEL_ROOT, 64);
  return { rootKey: out.slice(0, 32), chainKey: out.slice(32, 64) };
}

/** KDF_CK: the message key at this chain position and the next chain key. */
export function kdfChain(deps: Deps, chainKey: Uint8Array): { messageKey: Uint8Array; nextChainKey: Uint8Array } {
  return { messageKey: deps.crypto.hmacSha256(chainKey, MESSAGE_KEY_SEED), nextChainKey: deps.crypto.hmacSha256(chainKey, CHAIN_KEY_SEED) };
}
