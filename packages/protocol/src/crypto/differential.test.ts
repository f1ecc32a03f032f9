/**
 * Differential property tests: for random inputs every provider must return byte-identical
 * results (or the same sentinel). Two clients on different providers must never disagree about
 * a key, a MAC, a ciphertext or a signature verdict — including on inputs crafted to sit where
 * the underlying libraries differ (Ed25519 torsion components, small-order and non-canonical
 * points, X25519 low-order points, ML-KEM keys with out-of-range coefficients).
 *
 * Runs: PARLEY_FUZZ_RUNS (default 200) for cheap operations; curve and ML-KEM properties are
 * capped because noble's pure-JS arithmetic costs ~0.3–3 ms per operation.
 */
import { fc, test } from "@fast-check/vitest";
import { ED25519_TORSION_SUBGROUP, ed25519 } from "@noble/curves/ed25519.js";
import { bytesToNumberLE, numberToBytesLE } from "@noble/curves/utils.js";
import { sha512 } from "@noble/hashes/sha2.js";
import { describe, expect } from "vitest";
import { concatBytes, hexToBytes } from "./bytes.js";
import { createSodiumMlKem } from "./mlkem.js";
import { createNobleProvider } from "./noble.js";
import { createNodeProvider } from "./node.js";
import type { CryptoProvider } from "./provider.js";
import { loadSodium, sodiumProviderFrom } from "./sodium.js";

const sodium = await loadSodium();
const sodiumProvider = sodiumProviderFrom(sodium);
const providers: readonly CryptoProvider[] = [
  createNodeProvider(createSodiumMlKem(sodium)),
  sodiumProvider,
  createNobleProvider(),
  // As loadCryptoProvider() builds it: libsodium's AEAD below 8 KiB, OpenSSL's from there on.
  createNodeProvider(createSodiumMlKem(sodium), {
    name: "sodium",
    encrypt: sodiumProvider.aeadEncrypt.bind(sodiumProvider),
    decrypt: sodiumProvider.aeadDecrypt.bind(sodiumProvider),
  }),
];

const FUZZ_RUNS = Number(process.env.PARLEY_FUZZ_RUNS ?? 200);
const fastRuns = { numRuns: FUZZ_RUNS };
/** Long HKDF outputs cost noble ~2 ms: capped so the nightly run stays well inside the timeout. */
const hkdfRuns = { numRuns: Math.min(FUZZ_RUNS, 5_000) };
/** noble's X25519 / Ed25519 cost ~1–3 ms per call: 100 runs by default, 2,000 nightly. */
const curveRuns = { numRuns: Math.min(FUZZ_RUNS, Math.max(100, Math.floor(FUZZ_RUNS / 10))) };
/** noble's ML-KEM costs ~10 ms per keygen + encaps + decaps: 25 runs by default, 500 nightly. */
const kemRuns = { numRuns: Math.min(FUZZ_RUNS, Math.max(25, Math.floor(FUZZ_RUNS / 40))) };

/** Runs `operation` in every provider and asserts all results equal the first provider's. */
function sameInAll<T>(operation: (crypto: CryptoProvider) => T): T {
  const [reference, ...others] = providers.map((crypto) => ({ name: crypto.name, result: operation(crypto) }));
  if (reference === undefined) throw new Error("no providers");
  for (const other of others) expect({ [other.name]: other.result }).toEqual({ [other.name]: reference.result });
  return reference.result;
}

const bytes = (length: number) => fc.uint8Array({ minLength: length, maxLength: length });
const anyBytes = (maxLength: number) => fc.uint8Array({ maxLength });
const flipBit = (data: Uint8Array, bit: number) => {
  const copy = data.slice();
  const index = (bit >> 3) % copy.length;
  copy[index] = (copy[index] as number) ^ (1 << (bit & 7));
  return copy;
};

describe("hashes and KDFs agree", () => {
  test.prop([anyBytes(3000)], fastRuns)("sha256", (data) => {
    sameInAll((crypto) => crypto.sha256(data));
  });

  test.prop([fc.array(anyBytes(300), { maxLength: 12 })], fastRuns)(
    "sha256Incremental equals sha256 of the joined parts, however the input is split",
    (parts) => {
      const whole = sameInAll((crypto) => crypto.sha256(concatBytes(...parts)));
      const incremental = sameInAll((crypto) => {
        const hasher = crypto.sha256Incremental();
        for (const part of parts) hasher.update(part);
        return hasher.digest();
      });
      expect(incremental).toEqual(whole);
    },
  );

  test("sha256Incremental is single-use and checks its argument", () => {
    for (const crypto of providers) {
      const hasher = crypto.sha256Incremental().update(new Uint8Array(3));
      expect(() => hasher.update("abc" as unknown as Uint8Array)).toThrow(TypeError);
      hasher.digest();
      expect(() => hasher.digest()).toThrow();
      expect(() => hasher.update(new Uint8Array(1))).toThrow();
    }
  });

  test.prop([anyBytes(200), anyBytes(3000)], fastRuns)("hmacSha256, any key length", (key, data) => {
    sameInAll((crypto) => crypto.hmacSha256(key, data));
  });

  // info up to 1500 bytes crosses node:crypto's 1024-byte hkdfSync limit (its fallback path).
  // Output lengths lean short (the protocol's) but reach the 8160-byte RFC 5869 maximum.
  const outputLength = fc.oneof({ arbitrary: fc.integer({ min: 0, max: 128 }), weight: 9 }, fc.integer({ min: 0, max: 8160 }));
  test.prop([anyBytes(100), anyBytes(100), anyBytes(1500), outputLength], hkdfRuns)(
    "hkdfSha256, any salt/info length and output length 0–8160",
    (ikm, salt, info, length) => {
      const okm = sameInAll((crypto) => crypto.hkdfSha256(ikm, salt, info, length));
      expect(okm).toHaveLength(length);
    },
  );
});

describe("ChaCha20-Poly1305 agrees", () => {
  test.prop([bytes(32), bytes(12), anyBytes(1000), anyBytes(100)], fastRuns)(
    "encryption is identical and each provider opens the others' ciphertexts",
    (key, nonce, plaintext, aad) => {
      const sealed = sameInAll((crypto) => crypto.aeadEncrypt(key, nonce, plaintext, aad));
      sameInAll((crypto) => crypto.aeadDecrypt(key, nonce, sealed, aad));
      expect(providers[0]?.aeadDecrypt(key, nonce, sealed, aad)).toEqual(plaintext);
    },
  );

  // Around the node provider's switch from libsodium's AEAD to OpenSSL's (8,192 bytes) and at
  // attachment chunk size.
  const largeLength = fc.oneof(fc.integer({ min: 8_180, max: 8_210 }), fc.constantFrom(65_536, 70_000));
  test.prop([bytes(32), bytes(12), largeLength, anyBytes(40), fc.nat(), fc.boolean()], { numRuns: Math.min(FUZZ_RUNS, 60) })(
    "large inputs: identical ciphertexts, each opens the others', a flipped bit is null everywhere",
    (key, nonce, length, aad, bit, flip) => {
      const plaintext = new Uint8Array(length).map((_, i) => (i * 7 + length) & 0xff);
      // Compared by hash: vitest's element-wise equality is slow on 64 KiB arrays.
      const digest = (b: Uint8Array | null) => (b === null ? null : Buffer.from(providers[0]?.sha256(b) as Uint8Array).toString("hex"));
      const sealed = providers.map((crypto) => crypto.aeadEncrypt(key, nonce, plaintext, aad));
      expect(new Set(sealed.map(digest)).size).toBe(1);
      const input = flip ? flipBit(sealed[0] as Uint8Array, bit) : (sealed[0] as Uint8Array);
      const opened = providers.map((crypto) => digest(crypto.aeadDecrypt(key, nonce, input, aad)));
      expect(opened).toEqual(providers.map(() => (flip ? null : digest(plaintext))));
    },
  );

  test.prop([bytes(32), bytes(12), anyBytes(300), anyBytes(50), fc.nat(), fc.boolean()], fastRuns)(
    "a flipped bit in the ciphertext, tag or AAD makes every provider return null",
    (key, nonce, plaintext, aad, bit, inAad) => {
      const sealed = sameInAll((crypto) => crypto.aeadEncrypt(key, nonce, plaintext, aad));
      const [badSealed, badAad] = inAad && aad.length > 0 ? [sealed, flipBit(aad, bit)] : [flipBit(sealed, bit), aad];
      expect(sameInAll((crypto) => crypto.aeadDecrypt(key, nonce, badSealed, badAad))).toBeNull();
    },
  );
});

/** libsodium's X25519 small-order u list (RFC 7748 §5 reduces u mod p, so p and p + 1 count). */
const LOW_ORDER_U = [
  "0000000000000000000000000000000000000000000000000000000000000000",
  "0100000000000000000000000000000000000000000000000000000000000000",
  "e0eb7a7c3b41b8ae1656e3faf19fc46ada098deb9c32b1fd866205165f49b800",
  "5f9c95bca3508c24b1d0b1559c83ef5b04445cc4581c8e86d8224eddd09f1157",
  "ecffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f",
  "edffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f",
  "eeffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f",
].map(hexToBytes);

describe("X25519 agrees", () => {
  test.prop([bytes(32), bytes(32)], curveRuns)("public keys and shared secrets for any 32-byte inputs (twist included)", (priv, u) => {
    const publicKey = sameInAll((crypto) => crypto.x25519PublicKey(priv));
    sameInAll((crypto) => crypto.x25519({ privateKey: priv, publicKey }, u));
  });

  test.prop([bytes(32), fc.constantFrom(...LOW_ORDER_U), fc.boolean()], curveRuns)(
    "every low-order u (either top bit) gives 32 zero bytes, not an error",
    (priv, lowOrder, topBit) => {
      const u = lowOrder.slice();
      if (topBit) u[31] = (u[31] as number) | 0x80;
      const publicKey = providers[0]?.x25519PublicKey(priv) ?? new Uint8Array(32);
      expect(sameInAll((crypto) => crypto.x25519({ privateKey: priv, publicKey }, u))).toEqual(new Uint8Array(32));
    },
  );
});

const { Point } = ed25519;
const L = Point.Fn.ORDER;
const TORSION = ED25519_TORSION_SUBGROUP.map((encoded) => Point.fromHex(encoded));

/**
 * A signature by `seed`'s scalar a, but over the public key A + T_a with nonce point rB + T_r
 * (T_i = i-th torsion point; T_0 is the identity). Cofactored verifiers (noble's own) accept all
 * of these; cofactorless ones (libsodium, OpenSSL) accept iff −k·T_a = T_r.
 */
function torsionSignature(seed: Uint8Array, message: Uint8Array, torsionA: number, torsionR: number) {
  const { scalar, point } = ed25519.utils.getExtendedPublicKey(seed);
  const publicKey = point.add(TORSION[torsionA] ?? Point.ZERO).toBytes();
  const r = (bytesToNumberLE(sha512(concatBytes(seed, message))) % (L - 1n)) + 1n;
  const rBytes = Point.BASE.multiply(r)
    .add(TORSION[torsionR] ?? Point.ZERO)
    .toBytes();
  const k = bytesToNumberLE(sha512(concatBytes(rBytes, publicKey, message))) % L;
  const s = (r + k * scalar) % L;
  return { publicKey, signature: concatBytes(rBytes, numberToBytesLE(s, 32)) };
}

/** Encodings of small-order points, including non-canonical ones (y = p, p + 1) and flipped signs. */
const SMALL_ORDER_ENCODINGS = [
  ...ED25519_TORSION_SUBGROUP,
  "edffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f",
  "eeffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f",
  "edffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff",
  "eeffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff",
  "0100000000000000000000000000000000000000000000000000000000000080",
].map(hexToBytes);

describe("Ed25519 agrees", () => {
  test.prop([bytes(32), anyBytes(500)], curveRuns)("public keys and signatures are identical and verify everywhere", (seed, message) => {
    const publicKey = sameInAll((crypto) => crypto.ed25519PublicKey(seed));
    const signature = sameInAll((crypto) => crypto.ed25519Sign({ privateKey: seed, publicKey }, message));
    expect(sameInAll((crypto) => crypto.ed25519Verify(publicKey, message, signature))).toBe(true);
  });

  test.prop([bytes(32), anyBytes(100), fc.integer({ min: 0, max: 511 }), fc.boolean()], curveRuns)(
    "a flipped bit in the signature or message is rejected everywhere",
    (seed, message, bit, inMessage) => {
      const crypto = providers[0] as CryptoProvider;
      const keyPair = { privateKey: seed, publicKey: crypto.ed25519PublicKey(seed) };
      const signature = crypto.ed25519Sign(keyPair, message);
      const [badMessage, badSignature] =
        inMessage && message.length > 0 ? [flipBit(message, bit), signature] : [message, flipBit(signature, bit)];
      expect(sameInAll((c) => c.ed25519Verify(keyPair.publicKey, badMessage, badSignature))).toBe(false);
    },
  );

  test.prop([bytes(32), anyBytes(64), bytes(64)], curveRuns)(
    "random public keys and signatures get the same verdict",
    (pk, message, sig) => {
      sameInAll((crypto) => crypto.ed25519Verify(pk, message, sig));
    },
  );

  test.prop([bytes(32), anyBytes(64), fc.nat(7), fc.nat(7)], curveRuns)(
    "signatures with torsion components in A or R get the same (cofactorless) verdict",
    (seed, message, torsionA, torsionR) => {
      const { publicKey, signature } = torsionSignature(seed, message, torsionA, torsionR);
      const verdict = sameInAll((crypto) => crypto.ed25519Verify(publicKey, message, signature));
      if (torsionA === 0 && torsionR === 0) expect(verdict).toBe(true);
      if (torsionA === 0 && torsionR !== 0) expect(verdict).toBe(false);
    },
  );

  test.prop([fc.constantFrom(...SMALL_ORDER_ENCODINGS), fc.constantFrom(...SMALL_ORDER_ENCODINGS), anyBytes(64), fc.nat(8)], curveRuns)(
    "small-order or non-canonical public keys are rejected everywhere, even with a matching R",
    (publicKey, rBytes, message, s) => {
      // With A of small order, S ∈ [0, 8] and R small-order, [S]B − [k]A = R often holds for lenient verifiers.
      const signature = concatBytes(rBytes, numberToBytesLE(BigInt(s), 32));
      expect(sameInAll((crypto) => crypto.ed25519Verify(publicKey, message, signature))).toBe(false);
    },
  );
});

/** Packs 768 12-bit coefficients into 1152 bytes (FIPS 203 ByteEncode12) and appends ρ. */
function encapsulationKey(coefficients: readonly number[], rho: Uint8Array): Uint8Array {
  const ek = new Uint8Array(1184);
  for (let i = 0; i < 768; i += 2) {
    const c0 = coefficients[i] as number;
    const c1 = coefficients[i + 1] as number;
    const at = (i / 2) * 3;
    ek[at] = c0 & 0xff;
    ek[at + 1] = (c0 >> 8) | ((c1 & 0x0f) << 4);
    ek[at + 2] = c1 >> 4;
  }
  ek.set(rho, 1152);
  return ek;
}

describe("ML-KEM-768 agrees", () => {
  test.prop([bytes(64), bytes(32)], kemRuns)("key generation from a seed and deterministic encapsulation are identical", (seed, m) => {
    const { publicKey, secretKey } = sameInAll((crypto) => crypto.mlkemKeyPairFromSeed(seed));
    const encapsulation = sameInAll((crypto) => crypto.mlkemEncapsulate(publicKey, m));
    if (encapsulation === null) throw new Error("a generated key failed the modulus check");
    expect(sameInAll((crypto) => crypto.mlkemDecapsulate(secretKey, encapsulation.ciphertext))).toEqual(encapsulation.sharedSecret);
  });

  test.prop([bytes(64), bytes(32), fc.integer({ min: 0, max: 1088 * 8 - 1 })], kemRuns)(
    "a mutated ciphertext yields the same implicit-rejection secret everywhere",
    (seed, m, bit) => {
      const crypto = providers[0] as CryptoProvider;
      const { publicKey, secretKey } = crypto.mlkemKeyPairFromSeed(seed);
      const encapsulation = crypto.mlkemEncapsulate(publicKey, m);
      if (encapsulation === null) throw new Error("a generated key failed the modulus check");
      const rejected = sameInAll((c) => c.mlkemDecapsulate(secretKey, flipBit(encapsulation.ciphertext, bit)));
      expect(rejected).not.toEqual(encapsulation.sharedSecret);
    },
  );

  test.prop(
    [
      fc.array(fc.integer({ min: 0, max: 3328 }), { minLength: 768, maxLength: 768 }),
      fc.option(fc.record({ index: fc.nat(767), value: fc.integer({ min: 3329, max: 4095 }) })),
      bytes(32),
      bytes(32),
    ],
    kemRuns,
  )("encapsulation keys: null everywhere iff a coefficient is ≥ q (FIPS 203 §7.2), else identical", (coefficients, overflow, rho, m) => {
    const withOverflow = [...coefficients];
    if (overflow !== null) withOverflow[overflow.index] = overflow.value;
    const result = sameInAll((crypto) => crypto.mlkemEncapsulate(encapsulationKey(withOverflow, rho), m));
    expect(result === null).toBe(overflow !== null);
  });
});
