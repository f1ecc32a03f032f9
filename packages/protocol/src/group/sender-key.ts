/**
 * Sender keys (spec/groups.md), as Signal's: each member device has, per group, a hash chain
 * and an Ed25519 signing key, distributed to the other member devices over pairwise sessions.
 * A group message is encrypted once with the chain's next message key and signed, so every
 * member can read it and none can forge it. Decryption checks the signature before anything
 * else and returns a new state only after the AEAD opens: any failure leaves the state as it was.
 */

import { concatBytes, equalBytes } from "../crypto/bytes.js";
import { type Deps, randomBytes } from "../deps.js";
import { ErrorCode, ParleyError } from "../errors.js";
import { LABEL_GROUP_MESSAGE, LABEL_GROUP_MESSAGE_KEY } from "../labels.js";
import { MAX_CHAIN_INDEX, MAX_GROUP_SKIP, MAX_GROUP_SKIPPED_KEYS } from "../limits.js";
import { kdfChain } from "../ratchet/kdf.js";
import { MESSAGE_NONCE_LENGTH } from "../ratchet/message.js";
import { decodeGroupMessage, encodeGroupHeader, GROUP_ID_LENGTH, type GroupMessage } from "./sender-key-message.js";
import { type SenderKeyState, senderKeyState } from "./sender-key-state.js";

export {
  decodeGroupMessage,
  GROUP_ID_LENGTH,
  GROUP_MESSAGE_OVERHEAD,
  type GroupMessage,
  type GroupMessageHeader,
  parseGroupMessageHeader,
} from "./sender-key-message.js";
export {
  acceptSenderKeyDistribution,
  createSenderKey,
  decodeSenderKeyDistribution,
  decodeSenderKeyState,
  encodeSenderKeyDistribution,
  encodeSenderKeyState,
  GroupMessageType,
  SENDER_KEY_DISTRIBUTION_LENGTH,
  type SenderKeyDistribution,
  type SenderKeyState,
  senderKeyFromDistribution,
} from "./sender-key-state.js";

const NO_SALT = new Uint8Array(0);
const ZERO = new Uint8Array([0]);

/**
 * KDF_SK (spec/groups.md §3): the AEAD key of the message at the chain's position and the next
 * chain key. The chain step is the ratchet's KDF_CK (HMAC with 0x01 / 0x02); the message seed
 * then goes through HKDF with a group label, so a group message key is never a ratchet one.
 */
export function kdfSenderKey(deps: Deps, chainKey: Uint8Array): { messageKey: Uint8Array; nextChainKey: Uint8Array } {
  const { messageKey: seed, nextChainKey } = kdfChain(deps, chainKey);
  return { messageKey: deps.crypto.hkdfSha256(seed, NO_SALT, LABEL_GROUP_MESSAGE_KEY, 32), nextChainKey };
}

/** The bytes a group message's signature covers: LABEL_GROUP_MESSAGE ‖ 0x00 ‖ header ‖ ciphertext. */
function signedBytes(signed: Uint8Array): Uint8Array {
  return concatBytes(LABEL_GROUP_MESSAGE, ZERO, signed);
}

/**
 * Encrypts one group message with our own sender key: one ciphertext for every member.
 * Throws TypeError for a state without a signing private key (someone else's), RangeError for
 * a group id that is not 16 bytes, ERR_LIMIT_EXCEEDED when the chain is exhausted (rotate).
 *
 * @example
 * const { state, message } = groupEncrypt(deps, mine, groupId, plaintext); // store `state` first
 */
export function groupEncrypt(
  deps: Deps,
  state: SenderKeyState,
  groupId: Uint8Array,
  plaintext: Uint8Array,
): { state: SenderKeyState; message: Uint8Array } {
  const signingPrivateKey = state.signingPrivateKey;
  if (!signingPrivateKey) throw new TypeError("sender key has no signing private key: it is not our own");
  if (groupId.length !== GROUP_ID_LENGTH) throw new RangeError(`group id must be ${GROUP_ID_LENGTH} bytes`);
  if (state.iteration > MAX_CHAIN_INDEX) throw new ParleyError(ErrorCode.LimitExceeded, "sender key chain is exhausted");
  const { messageKey, nextChainKey } = kdfSenderKey(deps, state.chainKey);
  // Fresh randomness per message, as in ratchet messages: a state used twice still never repeats a nonce.
  const nonce = randomBytes(deps, MESSAGE_NONCE_LENGTH);
  const header = encodeGroupHeader(groupId, state.keyId, state.iteration, nonce);
  const signed = concatBytes(header, deps.crypto.aeadEncrypt(messageKey, nonce, plaintext, header));
  const signature = deps.crypto.ed25519Sign({ publicKey: state.signingPublicKey, privateKey: signingPrivateKey }, signedBytes(signed));
  return {
    state: senderKeyState({ ...state, iteration: state.iteration + 1, chainKey: nextChainKey }),
    message: concatBytes(signed, signature),
  };
}

/** A decrypted group message, the sender key after it, and how many skipped keys it evicted (VAL-085). */
export interface GroupDecryptResult {
  readonly state: SenderKeyState;
  readonly plaintext: Uint8Array;
  /** Message keys dropped to stay within MAX_GROUP_SKIPPED_KEYS: those messages can never be read. */
  readonly lost: number;
}

/**
 * Decrypts one group message with the sender's key (spec/groups.md §7). In order: decode
 * (ERR_INVALID_ENCODING / ERR_UNSUPPORTED_VERSION, VAL-081); the group id and key id must be
 * this state's (ERR_NO_SESSION, VAL-082); the signature must verify (ERR_INVALID_SIGNATURE,
 * VAL-083); then a skipped key, or a forward step of at most MAX_GROUP_SKIP keys
 * (ERR_TOO_MANY_SKIPPED, VAL-084); an old message without a kept key is ERR_DUPLICATE_MESSAGE
 * (VAL-086); the AEAD must open (ERR_DECRYPT_FAILED). The input state is never modified.
 */
export function groupDecrypt(deps: Deps, state: SenderKeyState, groupId: Uint8Array, message: Uint8Array): GroupDecryptResult {
  const m = decodeGroupMessage(message);
  if (!equalBytes(m.groupId, groupId) || m.keyId !== state.keyId) {
    throw new ParleyError(ErrorCode.NoSession, "no sender key for this message's group and key id (VAL-082)");
  }
  if (!deps.crypto.ed25519Verify(state.signingPublicKey, signedBytes(m.signed), m.signature)) {
    throw new ParleyError(ErrorCode.InvalidSignature, "group message signature does not verify (VAL-083)");
  }

  if (m.iteration < state.iteration) {
    const messageKey = state.skippedKeys.get(m.iteration);
    if (!messageKey) throw new ParleyError(ErrorCode.DuplicateMessage, "group message was already received (VAL-086)");
    const plaintext = open(deps, messageKey, m);
    const skippedKeys = new Map(state.skippedKeys);
    skippedKeys.delete(m.iteration);
    return { state: senderKeyState({ ...state, skippedKeys }), plaintext, lost: 0 };
  }

  if (m.iteration - state.iteration > MAX_GROUP_SKIP) {
    throw new ParleyError(ErrorCode.TooManySkipped, `group message would skip more than ${MAX_GROUP_SKIP} keys (VAL-084)`);
  }
  const added: [number, Uint8Array][] = [];
  let chainKey = state.chainKey;
  for (let iteration = state.iteration; iteration < m.iteration; iteration++) {
    const step = kdfSenderKey(deps, chainKey);
    added.push([iteration, step.messageKey]);
    chainKey = step.nextChainKey;
  }
  const step = kdfSenderKey(deps, chainKey);
  const plaintext = open(deps, step.messageKey, m);
  const kept = keepSkipped(state.skippedKeys, added);
  return {
    state: senderKeyState({ ...state, iteration: m.iteration + 1, chainKey: step.nextChainKey, skippedKeys: kept.keys }),
    plaintext,
    lost: kept.evicted,
  };
}

/** Appends newly skipped keys, discarding the oldest beyond MAX_GROUP_SKIPPED_KEYS (VAL-085) and counting them. */
function keepSkipped(
  existing: ReadonlyMap<number, Uint8Array>,
  added: readonly [number, Uint8Array][],
): { keys: ReadonlyMap<number, Uint8Array>; evicted: number } {
  if (added.length === 0) return { keys: existing, evicted: 0 };
  const all = [...existing, ...added];
  const evicted = Math.max(0, all.length - MAX_GROUP_SKIPPED_KEYS);
  return { keys: new Map(evicted > 0 ? all.slice(evicted) : all), evicted };
}

function open(deps: Deps, messageKey: Uint8Array, m: GroupMessage): Uint8Array {
  const plaintext = deps.crypto.aeadDecrypt(messageKey, m.nonce, m.ciphertext, m.header);
  if (!plaintext) throw new ParleyError(ErrorCode.DecryptFailed, "group message could not be decrypted");
  return plaintext;
}
