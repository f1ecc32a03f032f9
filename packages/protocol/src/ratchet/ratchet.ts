/**
 * Double Ratchet encryption and decryption on one session (spec/ratchet.md §Encrypt, §Decrypt),
 * following Signal's Double Ratchet specification with skipped-key limits from limits.ts.
 * Decryption builds the new state on the side and returns it only after the AEAD tag checks
 * out, so any failure leaves the caller's state exactly as it was.
 */

import { concatBytes, equalBytes } from "../crypto/bytes.js";
import { type Deps, newX25519KeyPair, randomBytes } from "../deps.js";
import { ErrorCode, ParleyError } from "../errors.js";
import { agree } from "../handshake/agreement.js";
import { MAX_CHAIN_INDEX, MAX_RETIRED_CHAINS, MAX_SKIP_PER_CHAIN, MAX_SKIPPED_KEYS } from "../limits.js";
import { kdfChain, kdfRoot } from "./kdf.js";
import { decodeRatchetMessage, encodeRatchetHeader, MESSAGE_NONCE_LENGTH, type RatchetMessage } from "./message.js";
import type { Chain, RetiredChain, SessionState, SkippedKey } from "./session-state.js";

/** Encrypts one message on the sending chain. Returns the encoded ratchet message. */
export function ratchetEncrypt(deps: Deps, state: SessionState, plaintext: Uint8Array): { state: SessionState; message: Uint8Array } {
  const chain = state.sendingChain;
  if (chain.index > MAX_CHAIN_INDEX) throw new ParleyError(ErrorCode.LimitExceeded, "sending chain is exhausted");
  const { messageKey, nextChainKey } = kdfChain(deps, chain.key);
  // Fresh randomness per message: if this state is ever used twice, the nonces still differ.
  const nonce = randomBytes(deps, MESSAGE_NONCE_LENGTH);
  const header = encodeRatchetHeader(state.sendingRatchetKey.publicKey, state.previousCounter, chain.index, nonce);
  const ciphertext = deps.crypto.aeadEncrypt(messageKey, nonce, plaintext, concatBytes(state.associatedData, header));
  return {
    state: state.with({ sendingChain: { key: nextChainKey, index: chain.index + 1 } }),
    message: concatBytes(header, ciphertext),
  };
}

/** A decrypted message, the session after it, and how many skipped keys it evicted (VAL-021). */
export interface RatchetDecryptResult {
  readonly state: SessionState;
  readonly plaintext: Uint8Array;
  /** Message keys dropped to stay within MAX_SKIPPED_KEYS: those messages can never be read. */
  readonly lost: number;
}

/**
 * Decrypts one ratchet message. Throws ERR_DUPLICATE_MESSAGE, ERR_TOO_MANY_SKIPPED,
 * ERR_DECRYPT_FAILED or ERR_INVALID_ENCODING; the input state is never modified.
 */
export function ratchetDecrypt(deps: Deps, state: SessionState, bytes: Uint8Array | RatchetMessage): RatchetDecryptResult {
  const message = bytes instanceof Uint8Array ? decodeRatchetMessage(bytes) : bytes;

  // 1. A key stored for a skipped message.
  const skippedAt = state.skippedKeys.findIndex((k) => k.index === message.counter && equalBytes(k.ratchetKey, message.ratchetKey));
  if (skippedAt >= 0) {
    const skipped = state.skippedKeys[skippedAt] as SkippedKey;
    const plaintext = open(deps, skipped.messageKey, state.associatedData, message);
    const skippedKeys = state.skippedKeys.filter((_, i) => i !== skippedAt);
    return { state: acknowledge(state.with({ skippedKeys })), plaintext, lost: 0 };
  }

  // 2. The current receiving chain.
  if (state.receivingRatchetKey && state.receivingChain && equalBytes(state.receivingRatchetKey, message.ratchetKey)) {
    if (message.counter < state.receivingChain.index) throw duplicate();
    const skipped: SkippedKey[] = [];
    const { chain, messageKey } = advance(deps, state.receivingChain, message.ratchetKey, message.counter, skipped);
    const plaintext = open(deps, messageKey, state.associatedData, message);
    const kept = addSkipped(state.skippedKeys, skipped);
    return { state: acknowledge(state.with({ receivingChain: chain, skippedKeys: kept.keys })), plaintext, lost: kept.evicted };
  }

  // 3. A chain this session already moved past: everything on it is known or stored.
  const retired = state.retiredChains.find((c) => equalBytes(c.ratchetKey, message.ratchetKey));
  if (retired) {
    if (message.counter < retired.nextIndex) throw duplicate();
    throw new ParleyError(ErrorCode.DecryptFailed, "message could not be decrypted");
  }

  // 4. A new ratchet key from the peer: finish the current receiving chain, then step.
  const skipped: SkippedKey[] = [];
  const retiredChains: RetiredChain[] = [...state.retiredChains];
  if (state.receivingRatchetKey && state.receivingChain) {
    if (message.previousCounter > state.receivingChain.index) {
      advance(deps, state.receivingChain, state.receivingRatchetKey, message.previousCounter, skipped);
    }
    retiredChains.push({ ratchetKey: state.receivingRatchetKey, nextIndex: Math.max(message.previousCounter, state.receivingChain.index) });
    if (retiredChains.length > MAX_RETIRED_CHAINS) retiredChains.shift();
  }
  const receiving = kdfRoot(deps, state.rootKey, agree(deps, state.sendingRatchetKey, message.ratchetKey));
  const sendingRatchetKey = newX25519KeyPair(deps);
  const sending = kdfRoot(deps, receiving.rootKey, agree(deps, sendingRatchetKey, message.ratchetKey));
  const { chain, messageKey } = advance(deps, { key: receiving.chainKey, index: 0 }, message.ratchetKey, message.counter, skipped);
  const plaintext = open(deps, messageKey, state.associatedData, message);
  const kept = addSkipped(state.skippedKeys, skipped);
  return {
    lost: kept.evicted,
    state: acknowledge(
      state.with({
        rootKey: sending.rootKey,
        sendingRatchetKey,
        sendingChain: { key: sending.chainKey, index: 0 },
        previousCounter: state.sendingChain.index,
        receivingRatchetKey: message.ratchetKey,
        receivingChain: chain,
        skippedKeys: kept.keys,
        retiredChains,
      }),
    ),
    plaintext,
  };
}

/**
 * Walks `chain` up to message `target`, pushing the keys it passes into `skipped`, and returns
 * the target's message key with the chain after it. At most MAX_SKIP_PER_CHAIN keys may be
 * skipped (VAL-020).
 */
function advance(
  deps: Deps,
  chain: Chain,
  ratchetKey: Uint8Array,
  target: number,
  skipped: SkippedKey[],
): { chain: Chain; messageKey: Uint8Array } {
  if (target - chain.index > MAX_SKIP_PER_CHAIN) {
    throw new ParleyError(ErrorCode.TooManySkipped, `message would skip more than ${MAX_SKIP_PER_CHAIN} keys (VAL-020)`);
  }
  let key = chain.key;
  for (let index = chain.index; index < target; index++) {
    const step = kdfChain(deps, key);
    skipped.push({ ratchetKey, index, messageKey: step.messageKey });
    key = step.nextChainKey;
  }
  const step = kdfChain(deps, key);
  return { chain: { key: step.nextChainKey, index: target + 1 }, messageKey: step.messageKey };
}

/** Appends newly skipped keys, discarding the oldest beyond MAX_SKIPPED_KEYS (VAL-021) and counting them. */
function addSkipped(existing: readonly SkippedKey[], added: readonly SkippedKey[]): { keys: readonly SkippedKey[]; evicted: number } {
  if (added.length === 0) return { keys: existing, evicted: 0 };
  const all = existing.concat(added);
  const evicted = Math.max(0, all.length - MAX_SKIPPED_KEYS);
  return { keys: evicted > 0 ? all.slice(evicted) : all, evicted };
}

/** The first successfully decrypted reply acknowledges the handshake: stop sending prekey messages. */
function acknowledge(state: SessionState): SessionState {
  return state.pendingPreKey ? state.with({ pendingPreKey: undefined }) : state;
}

function open(deps: Deps, messageKey: Uint8Array, associatedData: Uint8Array, message: RatchetMessage): Uint8Array {
  const plaintext = deps.crypto.aeadDecrypt(messageKey, message.nonce, message.ciphertext, concatBytes(associatedData, message.header));
  if (!plaintext) throw new ParleyError(ErrorCode.DecryptFailed, "message could not be decrypted");
  return plaintext;
}

function duplicate(): ParleyError {
  return new ParleyError(ErrorCode.DuplicateMessage, "message was already received");
}
