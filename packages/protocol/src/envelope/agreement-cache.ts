/**
 * A bounded in-memory memory of what every sealed envelope between two devices repeats
 * (spec/sealed-envelope.md §3): the static–static X25519 agreement (our identity key with the
 * peer's), which saves one X25519 per envelope on each side, and the peer's device certificate
 * once verified, which saves decoding it, the signature-cache lookup and the user-id hash per
 * envelope opened. The core stays pure: the caller owns the cache and passes it in `Deps`, as it
 * owns the verified-signature cache; without one everything is computed every time.
 *
 * Agreements are secrets (they key every envelope between the pair), so the cache lives in
 * memory only, prints redacted, and forgets the oldest entry beyond its capacity. A certificate
 * is remembered by its exact bytes, signature included, so a hit means those bytes verified.
 * The opening side remembers a sender only after its envelope opened, so forged envelopes
 * (random identity keys, certificates minted for nothing) cannot push real peers out.
 */

import { equalBytes } from "../crypto/bytes.js";
import type { KeyPair } from "../crypto/provider.js";
import type { Deps } from "../deps.js";
import { agree } from "../handshake/agreement.js";
import type { VerifiedDevice } from "../keys/device-certificate.js";
import { STATIC_AGREEMENT_CACHE_SIZE } from "../limits.js";
import { Redacted } from "../secrets.js";

/** A map key holding the bytes themselves (one char per byte): cheaper to build than hex. */
function bytesKey(bytes: Uint8Array): string {
  return String.fromCharCode.apply(null, bytes as unknown as number[]);
}

/** Map.set with least-recently-used eviction beyond `capacity`. */
function remember<V>(map: Map<string, V>, key: string, value: V, capacity: number): void {
  map.set(key, value);
  if (map.size > capacity) map.delete(map.keys().next().value as string);
}

export class StaticAgreementCache extends Redacted {
  private readonly entries = new Map<string, Uint8Array>();
  private readonly certificates = new Map<string, VerifiedDevice>();

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
    const key = bytesKey(ours.publicKey) + bytesKey(theirPublicKey);
    const hit = this.entries.get(key);
    if (hit) {
      this.entries.delete(key);
      this.entries.set(key, hit);
      return hit;
    }
    const shared = agree(deps, ours, theirPublicKey);
    remember(this.entries, key, shared, this.capacity);
    return shared;
  }

  /** The agreement remembered for this pair, if any (a receiver looks before it computes). */
  knownAgreement(ours: Uint8Array, theirPublicKey: Uint8Array): Uint8Array | undefined {
    const key = bytesKey(ours) + bytesKey(theirPublicKey);
    const hit = this.entries.get(key);
    if (hit) {
      this.entries.delete(key);
      this.entries.set(key, hit);
    }
    return hit;
  }

  /** The verified device of these exact certificate bytes, if they verified before. */
  knownCertificate(certificate: Uint8Array): VerifiedDevice | undefined {
    const key = bytesKey(certificate);
    const hit = this.certificates.get(key);
    if (!hit || !equalBytes(hit.encoded, certificate)) return undefined;
    this.certificates.delete(key);
    this.certificates.set(key, hit);
    return hit;
  }

  /**
   * Remembers a sender after its envelope opened (layer 2 included), so envelopes that fail —
   * a forger's random keys, certificates minted for nothing — never take a place in the cache.
   */
  rememberSender(ours: Uint8Array, sender: VerifiedDevice, shared: Uint8Array): void {
    remember(this.entries, bytesKey(ours) + bytesKey(sender.identityKey), shared, this.capacity);
    remember(this.certificates, bytesKey(sender.encoded), sender, this.capacity);
  }

  /** Number of agreements remembered. */
  get size(): number {
    return this.entries.size;
  }

  protected publicFacts(): Record<string, unknown> {
    return { size: this.entries.size, certificates: this.certificates.size, capacity: this.capacity };
  }
}

/** The static–static agreement, through `deps.agreements` when the caller gave one (the sealing side). */
export function staticAgreement(deps: Deps, ours: KeyPair, theirPublicKey: Uint8Array): Uint8Array {
  return deps.agreements ? deps.agreements.agree(deps, ours, theirPublicKey) : agree(deps, ours, theirPublicKey);
}
