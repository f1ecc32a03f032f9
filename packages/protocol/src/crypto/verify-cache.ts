/**
 * A bounded memory of signatures that verified, wrapped around any provider. The same device
 * certificates, device lists and prekey signatures are checked again and again (every prekey
 * message until a session is acknowledged, every bundle from a known device); a hit costs one
 * SHA-256 instead of an Ed25519 verification (≈80 µs with node:crypto, ≈1 ms with noble).
 *
 * Only successes are remembered, keyed by SHA-256(publicKey ‖ signature ‖ message) with the
 * first two of fixed length, so a hit means exactly these bytes verified before: it can never
 * turn a bad signature into a good one. Failures are always recomputed.
 */
import { bytesToHex } from "./bytes.js";
import type { CryptoProvider } from "./provider.js";

/** Verified signatures remembered per provider (oldest forgotten first). */
export const VERIFIED_SIGNATURE_CACHE_SIZE = 1024;

/** `provider` with a cache of successful Ed25519 verifications. Everything else is passed through. */
export function withVerifiedSignatureCache(provider: CryptoProvider, capacity = VERIFIED_SIGNATURE_CACHE_SIZE): CryptoProvider {
  const verified = new Map<string, true>();
  const verify = provider.ed25519Verify.bind(provider);
  // A plain copy with one method replaced (not a prototype link), so code that enumerates a
  // provider's methods (instrumentation, spreading) sees all of them.
  return {
    ...provider,
    ed25519Verify(publicKey: Uint8Array, message: Uint8Array, signature: Uint8Array): boolean {
      if (
        !(publicKey instanceof Uint8Array) ||
        !(signature instanceof Uint8Array) ||
        !(message instanceof Uint8Array) ||
        publicKey.length !== 32 ||
        signature.length !== 64
      ) {
        return verify(publicKey, message, signature);
      }
      const input = new Uint8Array(96 + message.length);
      input.set(publicKey, 0);
      input.set(signature, 32);
      input.set(message, 96);
      const key = bytesToHex(provider.sha256(input));
      if (verified.has(key)) {
        verified.delete(key);
        verified.set(key, true);
        return true;
      }
      const ok = verify(publicKey, message, signature);
      if (ok) {
        verified.set(key, true);
        if (verified.size > capacity) verified.delete(verified.keys().next().value as string);
      }
      return ok;
    },
  };
}
