// The vector generators' randomness: a deterministic stream, SHA-256(seed ‖ u32 counter) blocks
// concatenated. Each generator module has its own seed string, so adding one never changes the
// bytes of another's vectors (test-vectors/README.md).
import { concatBytes } from "../../src/crypto/bytes.js";
import type { CryptoProvider } from "../../src/crypto/provider.js";

/** Deterministic bytes from `seed`: each call takes the next `n` bytes of the stream. */
export function seededStream(crypto: CryptoProvider, seed: string): (n: number) => Uint8Array {
  const seedBytes = new TextEncoder().encode(seed);
  let counter = 0;
  let pool: Uint8Array = new Uint8Array(0);
  return (n) => {
    while (pool.length < n) {
      const block = new Uint8Array(seedBytes.length + 4);
      block.set(seedBytes);
      new DataView(block.buffer).setUint32(seedBytes.length, counter++);
      pool = concatBytes(pool, crypto.sha256(block));
    }
    const out = pool.slice(0, n);
    pool = pool.slice(n);
    return out;
  };
}
