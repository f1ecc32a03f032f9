/**
 * A bounded in-memory memory of static–static X25519 agreements (our identity key with a peer's
 * identity key), for the sealed envelope's second layer (spec/sealed-envelope.md §3). The same
 * pair meets on every envelope between two devices, so a hit saves one X25519 per envelope on
 * each side. The core stays pure: the caller owns the cache and passes it in `Deps`, as it owns
 * the verified-signature cache; without one every agreement is computed.
 *
 * Entries are secrets (they key every envelope between the pair), so the cache lives in memory
 * only, prints redacted, and forgets the oldest entry beyond its capacity.
 */

import { bytesToHex } from "../crypto/bytes.js";
import type { KeyPair } from "../crypto/provider.js";
import type { Deps } from "../deps.js";
import { agree } from "../handshake/agreement.js";
import { STATIC_AGREEMENT_CACHE_SIZE } from "../limits.js";
import { Redacted } from "../secrets.js";

export class StaticAgreementCache extends Redacted {
  private readonly entries = new Map<string, Uint8Array>();

  /** @param capacity most peer keys remembered (oldest forgotten first). */
  constructor(private readonly capacity = STATIC_AGREEMENT_CACHE_SIZE) {
    super();
    if (!Number.isInteger(capacity) || capacity < 1) throw new RangeError("capacity must be a positive integer");
  }

  /**
   * X25519(ours, theirs) with VAL-006, from the cache when this pair was seen before. Only
   * successful agreements are kept; a low-order key throws every time.
   */
  agree(deps: Deps, ours: KeyPair, theirPublicKey: Uint8Array): Uint8Array {
    const key = bytesToHex(ours.publicKey) + bytesToHex(theirPublicKey);
    const hit = this.entries.get(key);
    if (hit) {
      this.entries.delete(key);
      this.entries.set(key, hit);
      return hit;
    }
    const shared = agree(deps, ours, theirPublicKey);
    this.entries.set(key, shared);
    if (this.entries.size > this.capacity) this.entries.delete(this.entries.keys().next().value as string);
    return shared;
  }

  /** Number of pairs remembered. */
  get size(): number {
    return this.entries.size;
  }

  protected publicFacts(): Record<string, unknown> {
    return { size: this.entries.size, capacity: this.capacity };
  }
}

/** The static–static agreement, through `deps.agreements` when the caller gave one. */
export function staticAgreement(deps: Deps, ours: KeyPair, theirPublicKey: Uint8Array): Uint8Array {
  return deps.agreements ? deps.agreements.agree(deps, ours, theirPublicKey) : agree(deps, ours, theirPublicKey);
}
