/**
 * Sender key state (spec/groups.md §2, §4, §8): one group sender's chain and signing key, as
 * its owner or a receiver holds it; the distribution message that hands the current chain to
 * another device; and the versioned serialized form a store keeps. Loading validates every
 * field; nothing here does cryptography beyond drawing fresh keys.
 */

import { equalBytes } from "../crypto/bytes.js";
import { type Deps, newEd25519KeyPair, randomBytes } from "../deps.js";
import { ByteReader } from "../encoding/reader.js";
import { ByteWriter } from "../encoding/writer.js";
import { ErrorCode, invalidEncoding, ParleyError } from "../errors.js";
import { PROTOCOL_VERSION } from "../labels.js";
import { MAX_CHAIN_INDEX, MAX_GROUP_SKIPPED_KEYS } from "../limits.js";
import { Redacted, toHex } from "../secrets.js";

/** Type byte (second byte) of the group structures; 0x10 and up keeps them apart from session messages. */
export const GroupMessageType = { Message: 0x10, Distribution: 0x11 } as const;

/** Length of a chain key, a message key and an Ed25519 public key or seed. */
const KEY_LENGTH = 32;
/** Highest iteration a state may hold: one past the last message number a chain may use. */
const MAX_ITERATION = MAX_CHAIN_INDEX + 1;
/** Length of an encoded sender key distribution message. */
export const SENDER_KEY_DISTRIBUTION_LENGTH = 1 + 1 + 4 + 4 + KEY_LENGTH + KEY_LENGTH;
/** Version byte of the serialized sender key state. */
export const SENDER_KEY_STATE_FORMAT = 1;

/**
 * One sender's key in one group, as its owner (with `signingPrivateKey`) or a receiver holds
 * it. Immutable: operations return a new state. Objects made by this module print redacted.
 */
export interface SenderKeyState {
  /** Names the key among the sender's keys in the group (a new random id at each rotation). */
  readonly keyId: number;
  /** The next message number: to send (owner) or the lowest not yet received in order (receiver). */
  readonly iteration: number;
  /** The chain key at `iteration` (32 bytes). */
  readonly chainKey: Uint8Array;
  /** Ed25519 public key every message of this sender key is signed with (32 bytes). */
  readonly signingPublicKey: Uint8Array;
  /** The Ed25519 seed (32 bytes): only on the owner's own state. */
  readonly signingPrivateKey?: Uint8Array | undefined;
  /** Message keys kept for messages below `iteration` not yet received, oldest first (≤ MAX_GROUP_SKIPPED_KEYS). */
  readonly skippedKeys: ReadonlyMap<number, Uint8Array>;
}

/** The decoded content of a sender key distribution message: a chain's current position. */
export interface SenderKeyDistribution {
  readonly keyId: number;
  readonly iteration: number;
  readonly chainKey: Uint8Array;
  readonly signingPublicKey: Uint8Array;
}

class SenderKey extends Redacted implements SenderKeyState {
  readonly keyId!: number;
  readonly iteration!: number;
  readonly chainKey!: Uint8Array;
  readonly signingPublicKey!: Uint8Array;
  readonly signingPrivateKey?: Uint8Array | undefined;
  readonly skippedKeys!: ReadonlyMap<number, Uint8Array>;

  constructor(fields: SenderKeyState) {
    super();
    Object.assign(this, fields);
    Object.freeze(this);
  }

  protected publicFacts(): Record<string, unknown> {
    return {
      keyId: this.keyId,
      iteration: this.iteration,
      signingPublicKey: toHex(this.signingPublicKey),
      own: this.signingPrivateKey !== undefined,
      skipped: this.skippedKeys.size,
    };
  }
}

class Distribution extends Redacted implements SenderKeyDistribution {
  constructor(
    readonly keyId: number,
    readonly iteration: number,
    readonly chainKey: Uint8Array,
    readonly signingPublicKey: Uint8Array,
  ) {
    super();
    Object.freeze(this);
  }

  protected publicFacts(): Record<string, unknown> {
    return { keyId: this.keyId, iteration: this.iteration, signingPublicKey: toHex(this.signingPublicKey) };
  }
}

/** A frozen, redacted state with these fields (the one constructor every operation uses). */
export function senderKeyState(fields: SenderKeyState): SenderKeyState {
  return new SenderKey({
    keyId: fields.keyId,
    iteration: fields.iteration,
    chainKey: fields.chainKey,
    signingPublicKey: fields.signingPublicKey,
    signingPrivateKey: fields.signingPrivateKey,
    skippedKeys: fields.skippedKeys,
  });
}

/**
 * A new sender key of our own for one group: a random 32-bit key id, a random chain key at
 * iteration 0 and a fresh Ed25519 signing key (spec/groups.md §2). Make a new one whenever the
 * group loses a member or device (§9).
 *
 * @example
 * const mine = createSenderKey(deps);
 * const distribution = encodeSenderKeyDistribution(mine); // send pairwise to each member device
 */
export function createSenderKey(deps: Deps): SenderKeyState {
  const keyId = new DataView(randomBytes(deps, 4).buffer).getUint32(0);
  const chainKey = randomBytes(deps, KEY_LENGTH);
  const signing = newEd25519KeyPair(deps);
  return senderKeyState({
    keyId,
    iteration: 0,
    chainKey,
    signingPublicKey: signing.publicKey,
    signingPrivateKey: signing.privateKey,
    skippedKeys: new Map(),
  });
}

/**
 * The distribution message for a state: its key id, CURRENT iteration and chain key, and the
 * signing public key (spec/groups.md §4). A receiver can derive only messages from that
 * iteration on, so a device given it later cannot read earlier messages. Secret: send it only
 * inside a pairwise session.
 */
export function encodeSenderKeyDistribution(state: SenderKeyState): Uint8Array {
  if (state.chainKey.length !== KEY_LENGTH || state.signingPublicKey.length !== KEY_LENGTH) {
    throw new RangeError("sender key fields must be 32 bytes");
  }
  return new ByteWriter(SENDER_KEY_DISTRIBUTION_LENGTH)
    .u8(PROTOCOL_VERSION)
    .u8(GroupMessageType.Distribution)
    .u32(state.keyId)
    .u32(state.iteration)
    .bytes(state.chainKey)
    .bytes(state.signingPublicKey)
    .finish();
}

/** Parses a distribution message (VAL-080). Throws ERR_INVALID_ENCODING or ERR_UNSUPPORTED_VERSION. */
export function decodeSenderKeyDistribution(bytes: Uint8Array): SenderKeyDistribution {
  const r = new ByteReader(bytes, "sender key distribution");
  r.version(PROTOCOL_VERSION);
  if (r.u8() !== GroupMessageType.Distribution) throw invalidEncoding("not a sender key distribution");
  const keyId = r.u32();
  const iteration = r.u32();
  if (iteration > MAX_ITERATION) throw invalidEncoding("sender key distribution has an iteration past the last");
  const chainKey = r.bytes(KEY_LENGTH);
  const signingPublicKey = r.bytes(KEY_LENGTH);
  r.end();
  return new Distribution(keyId, iteration, chainKey, signingPublicKey);
}

/** A receiving state from a distribution: no signing private key, no skipped keys. */
export function senderKeyFromDistribution(d: SenderKeyDistribution): SenderKeyState {
  return senderKeyState({
    keyId: d.keyId,
    iteration: d.iteration,
    chainKey: d.chainKey.slice(),
    signingPublicKey: d.signingPublicKey.slice(),
    skippedKeys: new Map(),
  });
}

/**
 * What a receiver stores when a distribution arrives, given what it already holds for that
 * sender, group and key id (spec/groups.md §4): the held state when it is the same key (same
 * key id and signing key), so a replayed older distribution cannot wind the chain back and
 * re-open messages already read; otherwise a fresh receiving state.
 */
export function acceptSenderKeyDistribution(held: SenderKeyState | undefined, d: SenderKeyDistribution): SenderKeyState {
  if (held && held.keyId === d.keyId && equalBytes(held.signingPublicKey, d.signingPublicKey)) return held;
  return senderKeyFromDistribution(d);
}

/** Serializes a state for a store (spec/groups.md §8). The bytes contain secret keys: store them encrypted. */
export function encodeSenderKeyState(state: SenderKeyState): Uint8Array {
  const own = state.signingPrivateKey !== undefined;
  const w = new ByteWriter(80 + state.skippedKeys.size * 36)
    .u8(SENDER_KEY_STATE_FORMAT)
    .u8(own ? 1 : 0)
    .u32(state.keyId)
    .u32(state.iteration)
    .bytes(state.chainKey)
    .bytes(state.signingPublicKey);
  if (state.signingPrivateKey) w.bytes(state.signingPrivateKey);
  w.u16(state.skippedKeys.size);
  for (const [iteration, messageKey] of state.skippedKeys) w.u32(iteration).bytes(messageKey);
  return w.finish();
}

/** Loads a state written by `encodeSenderKeyState`. Throws ERR_INVALID_STATE and nothing else. */
export function decodeSenderKeyState(bytes: Uint8Array): SenderKeyState {
  try {
    const r = new ByteReader(bytes, "sender key state");
    if (r.u8() !== SENDER_KEY_STATE_FORMAT) throw corrupt("sender key state format is unknown");
    const flags = r.u8();
    if (flags > 1) throw corrupt("sender key state flags are unknown");
    const keyId = r.u32();
    const iteration = r.u32();
    if (iteration > MAX_ITERATION) throw corrupt("sender key state has an iteration past the last");
    const chainKey = r.bytes(KEY_LENGTH);
    const signingPublicKey = r.bytes(KEY_LENGTH);
    const signingPrivateKey = flags === 1 ? r.bytes(KEY_LENGTH) : undefined;
    const count = r.u16();
    if (count > MAX_GROUP_SKIPPED_KEYS) throw corrupt("sender key state has too many skipped keys");
    const skippedKeys = new Map<number, Uint8Array>();
    let previous = -1;
    for (let i = 0; i < count; i++) {
      const skipped = r.u32();
      // Skipped keys are added in increasing order and all lie below the next iteration.
      if (skipped <= previous || skipped >= iteration) throw corrupt("sender key state has a misplaced skipped key");
      skippedKeys.set(skipped, r.bytes(KEY_LENGTH));
      previous = skipped;
    }
    r.end();
    return senderKeyState({ keyId, iteration, chainKey, signingPublicKey, signingPrivateKey, skippedKeys });
  } catch (error) {
    if (ParleyError.is(error, ErrorCode.InvalidState)) throw error;
    throw new ParleyError(ErrorCode.InvalidState, "sender key state is corrupt", { cause: error });
  }
}

function corrupt(message: string): ParleyError {
  return new ParleyError(ErrorCode.InvalidState, message);
}
