/**
 * One Double Ratchet session with one remote device (spec/ratchet.md §State). Immutable: every
 * operation returns a new SessionState, so a failed decryption cannot have touched the old one.
 */

import type { Address } from "../keys/identity.js";
import { Redacted, type SecretKeyPair, toHex } from "../secrets.js";

/** A chain key and the index of the next message key it yields. */
export interface Chain {
  readonly key: Uint8Array;
  readonly index: number;
}

/** A message key kept for a message that has not arrived yet. */
export interface SkippedKey {
  readonly ratchetKey: Uint8Array;
  readonly index: number;
  readonly messageKey: Uint8Array;
}

/** A receiving chain that was replaced: messages below `nextIndex` on it are known (or skipped). */
export interface RetiredChain {
  readonly ratchetKey: Uint8Array;
  readonly nextIndex: number;
}

/** What the initiator repeats in every message until the responder's first reply arrives. */
export interface PendingPreKey {
  readonly signedPreKeyId: number;
  readonly oneTimePreKeyId: number;
  readonly kemPreKeyId: number;
  readonly kemCiphertext: Uint8Array;
  readonly senderCertificate: Uint8Array;
}

export interface SessionFields {
  /** True when this device started the session. */
  readonly initiator: boolean;
  readonly localAddress: Address;
  readonly remoteAddress: Address;
  readonly localIdentityKey: Uint8Array;
  readonly remoteIdentityKey: Uint8Array;
  /** The remote device certificate this session was set up with. */
  readonly remoteCertificate: Uint8Array;
  /** The initiator's ephemeral public key: names the handshake (replay detection). */
  readonly baseKey: Uint8Array;
  /** AD = initiator (userId ‖ deviceId ‖ identityKey) ‖ responder (…), bound into every AEAD. */
  readonly associatedData: Uint8Array;
  readonly rootKey: Uint8Array;
  readonly sendingRatchetKey: SecretKeyPair;
  readonly sendingChain: Chain;
  readonly previousCounter: number;
  readonly receivingRatchetKey: Uint8Array | undefined;
  readonly receivingChain: Chain | undefined;
  readonly skippedKeys: readonly SkippedKey[];
  readonly retiredChains: readonly RetiredChain[];
  readonly pendingPreKey: PendingPreKey | undefined;
}

export class SessionState extends Redacted implements SessionFields {
  readonly initiator!: boolean;
  readonly localAddress!: Address;
  readonly remoteAddress!: Address;
  readonly localIdentityKey!: Uint8Array;
  readonly remoteIdentityKey!: Uint8Array;
  readonly remoteCertificate!: Uint8Array;
  readonly baseKey!: Uint8Array;
  readonly associatedData!: Uint8Array;
  readonly rootKey!: Uint8Array;
  readonly sendingRatchetKey!: SecretKeyPair;
  readonly sendingChain!: Chain;
  readonly previousCounter!: number;
  readonly receivingRatchetKey!: Uint8Array | undefined;
  readonly receivingChain!: Chain | undefined;
  readonly skippedKeys!: readonly SkippedKey[];
  readonly retiredChains!: readonly RetiredChain[];
  readonly pendingPreKey!: PendingPreKey | undefined;

  constructor(fields: SessionFields) {
    super();
    Object.assign(this, fields);
    Object.freeze(this);
  }

  /** A copy with some fields replaced. */
  with(changes: Partial<SessionFields>): SessionState {
    return new SessionState({ ...this, ...changes });
  }

  /** True until the responder's first message on this session has been decrypted. */
  get unacknowledged(): boolean {
    return this.pendingPreKey !== undefined;
  }

  protected publicFacts(): Record<string, unknown> {
    return {
      remote: `${toHex(this.remoteAddress.userId)}.${this.remoteAddress.deviceId}`,
      remoteIdentityKey: toHex(this.remoteIdentityKey),
      baseKey: toHex(this.baseKey),
      sent: this.sendingChain.index,
      skipped: this.skippedKeys.length,
    };
  }
}
