/**
 * Every case of the Wycheproof files in test-vectors/external/wycheproof/, against every
 * provider. "valid" cases must produce the exact expected output; "invalid" ones must fail the
 * way `provider.ts` says (a sentinel for attacker input, RangeError for a wrong size).
 *
 * X25519 has no "invalid" cases, only "acceptable" ones (twist points, non-canonical u, low-order
 * u, ...). We hold those to the same standard as "valid": the exact RFC 7748 result, which for
 * low-order points is 32 zero bytes in every provider (the protocol, not the provider, rejects it).
 */
import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { bytesToHex, hexToBytes } from "./bytes.js";
import { createSodiumMlKem } from "./mlkem.js";
import { createNobleProvider } from "./noble.js";
import { createNodeProvider } from "./node.js";
import type { CryptoProvider } from "./provider.js";
import { loadSodium, sodiumProviderFrom } from "./sodium.js";

const sodium = await loadSodium();
const providers: readonly CryptoProvider[] = [
  createNodeProvider(createSodiumMlKem(sodium)),
  sodiumProviderFrom(sodium),
  createNobleProvider(),
];

interface TestCase {
  readonly tcId: number;
  readonly comment?: string;
  readonly flags: readonly string[];
  readonly result: "valid" | "invalid" | "acceptable";
}
interface TestFile<Group> {
  readonly algorithm: string;
  readonly numberOfTests: number;
  readonly testGroups: readonly Group[];
}
type Cases<T> = { readonly tests: readonly (TestCase & T)[] };

const VECTORS = new URL("../../../../test-vectors/external/wycheproof/", import.meta.url);
/** Every case of `file`, each merged with its group's fields (public key, tag size, ...). */
function load<Group extends Cases<object>>(file: string): (Omit<Group, "tests"> & Group["tests"][number])[] {
  const parsed = JSON.parse(readFileSync(new URL(file, VECTORS), "utf8")) as TestFile<Group>;
  const cases = parsed.testGroups.flatMap((group) => group.tests.map((test) => ({ ...group, ...test })));
  // Guard against a truncated copy: the header states how many cases the file holds.
  if (cases.length !== parsed.numberOfTests) throw new Error(`${file}: ${cases.length} of ${parsed.numberOfTests} cases`);
  return cases;
}
const name = (test: TestCase) => `tcId ${test.tcId} (${test.result}) ${[test.comment, ...test.flags].filter(Boolean).join(" ")}`;
const hex = hexToBytes;

const x25519Cases = load<Cases<{ public: string; private: string; shared: string }>>("x25519_test.json");
const ed25519Cases = load<Cases<{ msg: string; sig: string }> & { publicKey: { pk: string } }>("ed25519_test.json");
const hkdfCases = load<Cases<{ ikm: string; salt: string; info: string; size: number; okm: string }>>("hkdf_sha256_test.json");
const hmacCases = load<Cases<{ key: string; msg: string; tag: string }> & { tagSize: number }>("hmac_sha256_test.json");
const aeadCases =
  load<Cases<{ key: string; iv: string; aad: string; msg: string; ct: string; tag: string }>>("chacha20_poly1305_test.json");
const mlkemCases = load<Cases<{ seed: string; ek?: string; c: string; K: string }>>("mlkem_768_test.json");
const mlkemEncapsCases = load<Cases<{ ek: string; m: string; c: string; K: string }>>("mlkem_768_encaps_test.json");

describe.each(providers.map((provider) => [provider.name, provider] as const))("%s", (_name, crypto) => {
  describe("x25519_test.json", () => {
    it.each(x25519Cases.map((test) => [name(test), test] as const))("%s", (_label, test) => {
      const privateKey = hex(test.private);
      const ours = { privateKey, publicKey: crypto.x25519PublicKey(privateKey) };
      expect(bytesToHex(crypto.x25519(ours, hex(test.public)))).toBe(test.shared);
    });
  });

  describe("ed25519_test.json", () => {
    it.each(ed25519Cases.map((test) => [name(test), test] as const))("%s", (_label, test) => {
      expect(crypto.ed25519Verify(hex(test.publicKey.pk), hex(test.msg), hex(test.sig))).toBe(test.result === "valid");
    });
  });

  describe("hkdf_sha256_test.json", () => {
    it.each(hkdfCases.map((test) => [name(test), test] as const))("%s", (_label, test) => {
      const derive = () => crypto.hkdfSha256(hex(test.ikm), hex(test.salt), hex(test.info), test.size);
      if (test.result === "valid") expect(bytesToHex(derive())).toBe(test.okm);
      else expect(derive).toThrow(RangeError); // only SizeTooLarge cases are invalid
    });
  });

  describe("hmac_sha256_test.json", () => {
    it.each(hmacCases.map((test) => [name(test), test] as const))("%s", (_label, test) => {
      // Groups with tagSize < 256 use the truncated MAC (RFC 2104 §5).
      const mac = crypto.hmacSha256(hex(test.key), hex(test.msg)).subarray(0, test.tagSize / 8);
      expect(bytesToHex(mac) === test.tag).toBe(test.result === "valid");
    });
  });

  describe("chacha20_poly1305_test.json", () => {
    it.each(aeadCases.map((test) => [name(test), test] as const))("%s", (_label, test) => {
      const [key, nonce, aad, msg] = [hex(test.key), hex(test.iv), hex(test.aad), hex(test.msg)];
      const sealed = hex(test.ct + test.tag);
      if (nonce.length !== 12) {
        expect(test.result).toBe("invalid");
        expect(() => crypto.aeadEncrypt(key, nonce, msg, aad)).toThrow(RangeError);
        expect(() => crypto.aeadDecrypt(key, nonce, sealed, aad)).toThrow(RangeError);
      } else if (test.result === "valid") {
        expect(bytesToHex(crypto.aeadEncrypt(key, nonce, msg, aad))).toBe(test.ct + test.tag);
        expect(crypto.aeadDecrypt(key, nonce, sealed, aad)).toEqual(msg);
      } else {
        expect(crypto.aeadDecrypt(key, nonce, sealed, aad)).toBeNull();
      }
    });
  });

  describe("mlkem_768_test.json (KeyGen from seed, Decaps)", () => {
    it.each(mlkemCases.map((test) => [name(test), test] as const))("%s", (_label, test) => {
      const seed = hex(test.seed);
      if (seed.length !== 64) {
        // "Private key too short/long": the seed is the private key here.
        expect(test.result).toBe("invalid");
        expect(() => crypto.mlkemKeyPairFromSeed(seed)).toThrow(RangeError);
        return;
      }
      const { publicKey, secretKey } = crypto.mlkemKeyPairFromSeed(seed);
      expect(bytesToHex(publicKey)).toBe(test.ek);
      if (test.result === "valid") {
        // Includes implicit-rejection cases (random / bit-flipped c): K is then J(z ‖ c).
        expect(bytesToHex(crypto.mlkemDecapsulate(secretKey, hex(test.c)))).toBe(test.K);
      } else {
        // "Ciphertext too short/long": FIPS 203 §7.3 ciphertext type check.
        expect(() => crypto.mlkemDecapsulate(secretKey, hex(test.c))).toThrow(RangeError);
      }
    });
  });

  describe("mlkem_768_encaps_test.json (deterministic Encaps, §7.2 checks)", () => {
    it.each(mlkemEncapsCases.map((test) => [name(test), test] as const))("%s", (_label, test) => {
      const ek = hex(test.ek);
      const encapsulate = () => crypto.mlkemEncapsulate(ek, hex(test.m));
      if (test.result === "valid") {
        const result = encapsulate();
        expect(result && { c: bytesToHex(result.ciphertext), K: bytesToHex(result.sharedSecret) }).toEqual({ c: test.c, K: test.K });
      } else if (ek.length !== 1184) {
        expect(encapsulate).toThrow(RangeError); // §7.2 type check: a wrong size is a caller bug
      } else {
        expect(encapsulate()).toBeNull(); // §7.2 modulus check: a coefficient ≥ q
      }
    });
  });
});
