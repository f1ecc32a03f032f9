/**
 * Known-answer and contract tests run against every provider: the RFC / FIPS vectors (typed in
 * from the documents), argument checking (RangeError / TypeError at N ± 1), the sentinels of
 * `provider.ts`, and the key-cache and key-pair behaviours the providers promise.
 */
import { describe, expect, it } from "vitest";
import { bytesToHex, concatBytes, hexToBytes } from "./bytes.js";
import { createSodiumMlKem } from "./mlkem.js";
import { createNobleProvider } from "./noble.js";
import { createNodeProvider } from "./node.js";
import type { CryptoProvider, KeyPair } from "./provider.js";
import { loadSodium, sodiumProviderFrom } from "./sodium.js";

const sodium = await loadSodium();
const providers: readonly CryptoProvider[] = [
  createNodeProvider(createSodiumMlKem(sodium)),
  sodiumProviderFrom(sodium),
  createNobleProvider(),
];

const hex = hexToBytes;
const utf8 = (text: string) => new TextEncoder().encode(text);
const bytes = (length: number, fill = 0) => new Uint8Array(length).fill(fill);
const range = (from: number, to: number) => Uint8Array.from({ length: to - from + 1 }, (_, i) => from + i);

describe.each(providers.map((provider) => [provider.name, provider] as const))("%s", (_name, crypto) => {
  describe("known answers", () => {
    it('SHA-256("abc") matches FIPS 180-4 Appendix B.1', () => {
      expect(bytesToHex(crypto.sha256(utf8("abc")))).toBe("ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
    });

    it.each([
      ["1", bytes(20, 0x0b), utf8("Hi There"), "b0344c61d8db38535ca8afceaf0bf12b881dc200c9833da726e9376c2e32cff7"],
      ["2", utf8("Jefe"), utf8("what do ya want for nothing?"), "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"],
      ["3", bytes(20, 0xaa), bytes(50, 0xdd), "773ea91e36800e46854db8ebd09181a72959098b3ef8c122d9635514ced565fe"],
      ["4", range(1, 25), bytes(50, 0xcd), "82558a389a443c0ea4cc819899f2083a85f0faa3e578f8077a2e3ff46729665b"],
      [
        "6",
        bytes(131, 0xaa),
        utf8("Test Using Larger Than Block-Size Key - Hash Key First"),
        "60e431591ee0b67f0d8a26aacbf5b77f8e0bc6213728c5140546040f0ee37f54",
      ],
      [
        "7",
        bytes(131, 0xaa),
        utf8(
          "This is a test using a larger than block-size key and a larger than block-size data. " +
            "The key needs to be hashed before being used by the HMAC algorithm.",
        ),
        "9b09ffa71b942fcb27635fbcd5b0e944bfdc63644f0713938a7f51535c3a35e2",
      ],
    ])("HMAC-SHA256 matches RFC 4231 test case %s", (_case, key, data, mac) => {
      expect(bytesToHex(crypto.hmacSha256(key, data))).toBe(mac);
    });

    it.each([
      [
        "A.1",
        bytes(22, 0x0b),
        range(0x00, 0x0c),
        range(0xf0, 0xf9),
        42,
        "3cb25f25faacd57a90434f64d0362f2a2d2d0a90cf1a5a4c5db02d56ecc4c5bf34007208d5b887185865",
      ],
      [
        "A.2",
        range(0x00, 0x4f),
        range(0x60, 0xaf),
        range(0xb0, 0xff),
        82,
        "b11e398dc80327a1c8e7f78c596a49344f012eda2d4efad8a050cc4c19afa97c59045a99cac7827271cb41c65e590e09da3275600c2f09b8367793a9aca3db71cc30c58179ec3e87c14c01d5c1f3434f1d87",
      ],
      [
        "A.3",
        bytes(22, 0x0b),
        bytes(0),
        bytes(0),
        42,
        "8da4e775a563c18f715f802a063c5a31b8a11f5c5ee1879ec3454e5f3c738d2d9d201395faa4b61a96c8",
      ],
    ])("HKDF-SHA256 matches RFC 5869 %s", (_case, ikm, salt, info, length, okm) => {
      expect(bytesToHex(crypto.hkdfSha256(ikm, salt, info, length))).toBe(okm);
    });

    it("HKDF with an empty salt equals HKDF with 32 zero bytes of salt (RFC 5869 §2.2)", () => {
      const ikm = utf8("input keying material");
      expect(crypto.hkdfSha256(ikm, bytes(0), utf8("info"), 64)).toEqual(crypto.hkdfSha256(ikm, bytes(32), utf8("info"), 64));
    });

    it.each([
      [
        "vector 1",
        "a546e36bf0527c9d3b16154b82465edd62144c0ac1fc5a18506a2244ba449ac4",
        "e6db6867583030db3594c1a424b15f7c726624ec26b3353b10a903a6d0ab1c4c",
        "c3da55379de9c6908e94ea4df28d084f32eccf03491c71f754b4075577a28552",
      ],
      [
        "vector 2",
        "4b66e9d4d1b4673c5ad22691957d6af5c11b6421e0ea01d42ca4169e7918ba0d",
        "e5210f12786811d3f4b7959d0538ae2c31dbe7106fc03c3efc4cd549c715a493",
        "95cbde9476e8907d7aade45cb4b873f88b595a68799fa152e6f8f7647aac7957",
      ],
    ])("X25519 matches RFC 7748 §5.2 %s", (_case, scalar, u, output) => {
      const privateKey = hex(scalar);
      const ours = { privateKey, publicKey: crypto.x25519PublicKey(privateKey) };
      expect(bytesToHex(crypto.x25519(ours, hex(u)))).toBe(output);
    });

    it("X25519 matches the RFC 7748 §5.2 iterated vector after 1 and 1,000 iterations", () => {
      let k = hex("0900000000000000000000000000000000000000000000000000000000000000");
      let u: Uint8Array = k.slice();
      const after: Record<number, string> = {};
      for (let i = 1; i <= 1000; i++) {
        const ours = { privateKey: k, publicKey: u }; // publicKey is only a hint; see "key pairs" below
        const next = crypto.x25519(ours, u);
        u = k;
        k = next;
        if (i === 1 || i === 1000) after[i] = bytesToHex(k);
      }
      expect(after).toEqual({
        1: "422c8e7a6227d7bca1350b3e2bb7279f7897b87bb6854b783c60e80311ae3079",
        1000: "684cf59ba83309552800ef566f2f4d3c1c3887c49360e3875f2eb94d99532c51",
      });
    });

    it("X25519 reproduces the RFC 7748 §6.1 Diffie-Hellman example", () => {
      const alice = { privateKey: hex("77076d0a7318a57d3c16c17251b26645df4c2f87ebc0992ab177fba51db92c2a"), publicKey: bytes(32) };
      const bob = { privateKey: hex("5dab087e624a8a4b79e17f8b83800ee66f3bb1292618b6fd1c2f8b27ff88e0eb"), publicKey: bytes(32) };
      const alicePublic = crypto.x25519PublicKey(alice.privateKey);
      const bobPublic = crypto.x25519PublicKey(bob.privateKey);
      expect(bytesToHex(alicePublic)).toBe("8520f0098930a754748b7ddcb43ef75a0dbf3a0d26381af4eba4a98eaa9b4e6a");
      expect(bytesToHex(bobPublic)).toBe("de9edb7d7b7dc1b4d35b61c2ece435373f8343c85b78674dadfc7e146f882b4f");
      const shared = "4a5d9d5ba4ce2de1728e3bf480350f25e07e21c947d19e3376f09b3c1e161742";
      expect(bytesToHex(crypto.x25519({ ...alice, publicKey: alicePublic }, bobPublic))).toBe(shared);
      expect(bytesToHex(crypto.x25519({ ...bob, publicKey: bobPublic }, alicePublic))).toBe(shared);
    });

    it.each([
      [
        "TEST 1",
        "9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60",
        "d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a",
        "",
        "e5564300c360ac729086e2cc806e828a84877f1eb8e5d974d873e065224901555fb8821590a33bacc61e39701cf9b46bd25bf5f0595bbe24655141438e7a100b",
      ],
      [
        "TEST 2",
        "4ccd089b28ff96da9db6c346ec114e0f5b8a319f35aba624da8cf6ed4fb8a6fb",
        "3d4017c3e843895a92b70aa74d1b7ebc9c982ccf2ec4968cc0cd55f12af4660c",
        "72",
        "92a009a9f0d4cab8720e820b5f642540a2b27b5416503f8fb3762223ebdb69da085ac1e43e15996e458f3613d0f11d8c387b2eaeb4302aeeb00d291612bb0c00",
      ],
      [
        "TEST 3",
        "c5aa8df43f9f837bedb7442f31dcb7b166d38535076f094b85ce3a2e0b4458f7",
        "fc51cd8e6218a1a38da47ed00230f0580816ed13ba3303ac5deb911548908025",
        "af82",
        "6291d657deec24024827e69c3abe01a30ce548a284743a445e3680d7db5ac3ac18ff9b538d16f290ae67f760984dc6594a7c15e9716ed28dc027beceea1ec40a",
      ],
    ])("Ed25519 matches RFC 8032 §7.1 %s", (_case, seed, publicKey, message, signature) => {
      expect(bytesToHex(crypto.ed25519PublicKey(hex(seed)))).toBe(publicKey);
      const keyPair = { privateKey: hex(seed), publicKey: hex(publicKey) };
      expect(bytesToHex(crypto.ed25519Sign(keyPair, hex(message)))).toBe(signature);
      expect(crypto.ed25519Verify(hex(publicKey), hex(message), hex(signature))).toBe(true);
    });

    it("ChaCha20-Poly1305 matches RFC 8439 §2.8.2", () => {
      const key = range(0x80, 0x9f);
      const nonce = hex("070000004041424344454647");
      const aad = hex("50515253c0c1c2c3c4c5c6c7");
      const plaintext = utf8(
        "Ladies and Gentlemen of the class of '99: If I could offer you only one tip for the future, sunscreen would be it.",
      );
      const sealed =
        "d31a8d34648e60db7b86afbc53ef7ec2a4aded51296e08fea9e2b5a736ee62d63dbea45e8ca9671282fafb69da92728b1a71de0a9e060b2905d6a5b67ecd3b3692ddbd7f2d778b8c9803aee328091b58fab324e4fad675945585808b4831d7bc3ff4def08e4b7a9de576d26586cec64b6116" +
        "1ae10b594f09e26a7e902ecbd0600691";
      expect(bytesToHex(crypto.aeadEncrypt(key, nonce, plaintext, aad))).toBe(sealed);
      expect(crypto.aeadDecrypt(key, nonce, hex(sealed), aad)).toEqual(plaintext);
    });
  });

  describe("sentinels and results", () => {
    it("results are plain Uint8Arrays, not Buffers (Buffer#slice would share memory)", () => {
      const pair = crypto.x25519GenerateKeyPair();
      const results = [
        crypto.randomBytes(8),
        crypto.sha256(bytes(1)),
        crypto.hmacSha256(bytes(1), bytes(1)),
        crypto.hkdfSha256(bytes(1), bytes(0), bytes(0), 8),
        crypto.x25519(pair, crypto.x25519GenerateKeyPair().publicKey),
        crypto.aeadEncrypt(bytes(32), bytes(12), bytes(3), bytes(0)),
        crypto.ed25519Sign(crypto.ed25519GenerateKeyPair(), bytes(1)),
      ];
      for (const result of results) expect(Object.getPrototypeOf(result)).toBe(Uint8Array.prototype);
    });

    it("randomBytes returns n bytes, including 0 and more than getRandomValues' 65,536 limit", () => {
      expect(crypto.randomBytes(0)).toHaveLength(0);
      const large = crypto.randomBytes(70_000);
      expect(large).toHaveLength(70_000);
      expect(large.subarray(65_536).some((byte) => byte !== 0)).toBe(true);
    });

    it("HKDF gives 0 and 8160 bytes (RFC 5869 §2.3 maximum) and refuses 8161", () => {
      expect(crypto.hkdfSha256(bytes(1), bytes(0), bytes(0), 0)).toHaveLength(0);
      expect(crypto.hkdfSha256(bytes(1), bytes(0), bytes(0), 8160)).toHaveLength(8160);
      expect(() => crypto.hkdfSha256(bytes(1), bytes(0), bytes(0), 8161)).toThrow(RangeError);
    });

    it("AEAD decryption returns null for inputs shorter than a tag, a wrong tag, key, nonce or AAD", () => {
      const key = bytes(32, 1);
      const nonce = bytes(12, 2);
      const sealed = crypto.aeadEncrypt(key, nonce, utf8("hello"), utf8("aad"));
      expect(crypto.aeadDecrypt(key, nonce, bytes(0), bytes(0))).toBeNull();
      expect(crypto.aeadDecrypt(key, nonce, sealed.subarray(0, 15), utf8("aad"))).toBeNull();
      expect(crypto.aeadDecrypt(key, nonce, sealed.subarray(0, 16), utf8("aad"))).toBeNull();
      expect(crypto.aeadDecrypt(key, nonce, sealed, utf8("aae"))).toBeNull();
      expect(crypto.aeadDecrypt(bytes(32, 9), nonce, sealed, utf8("aad"))).toBeNull();
      expect(crypto.aeadDecrypt(key, bytes(12, 9), sealed, utf8("aad"))).toBeNull();
      const tampered = sealed.slice();
      tampered[tampered.length - 1] = (tampered[tampered.length - 1] as number) ^ 1;
      expect(crypto.aeadDecrypt(key, nonce, tampered, utf8("aad"))).toBeNull();
    });

    it("AEAD round-trips an empty plaintext (16-byte output, tag only)", () => {
      const sealed = crypto.aeadEncrypt(bytes(32), bytes(12), bytes(0), bytes(0));
      expect(sealed).toHaveLength(16);
      expect(crypto.aeadDecrypt(bytes(32), bytes(12), sealed, bytes(0))).toEqual(bytes(0));
    });

    it("Ed25519 verification returns false for a wrong-length signature rather than throwing", () => {
      const pair = crypto.ed25519GenerateKeyPair();
      const signature = crypto.ed25519Sign(pair, utf8("m"));
      expect(crypto.ed25519Verify(pair.publicKey, utf8("m"), signature.subarray(0, 63))).toBe(false);
      expect(crypto.ed25519Verify(pair.publicKey, utf8("m"), concatBytes(signature, bytes(1)))).toBe(false);
      expect(crypto.ed25519Verify(pair.publicKey, utf8("m"), bytes(0))).toBe(false);
    });

    it("Ed25519 verification returns false (never throws) for S = 0, an all-zero signature, or an off-curve key", () => {
      const pair = crypto.ed25519GenerateKeyPair();
      const zeroS = crypto.ed25519Sign(pair, utf8("m")).fill(0, 32);
      expect(crypto.ed25519Verify(pair.publicKey, utf8("m"), zeroS)).toBe(false);
      expect(crypto.ed25519Verify(pair.publicKey, utf8("m"), bytes(64))).toBe(false);
      const offCurve = hex("0200000000000000000000000000000000000000000000000000000000000000");
      expect(crypto.ed25519Verify(offCurve, utf8("m"), crypto.ed25519Sign(pair, utf8("m")))).toBe(false);
    });

    it("ML-KEM encapsulation returns null for a key with a coefficient of q = 3329 and works at q − 1", () => {
      const { publicKey } = crypto.mlkemKeyPairFromSeed(bytes(64, 7));
      const atLimit = publicKey.slice();
      // First coefficient = bytes 0 and the low nibble of byte 1 (FIPS 203 Algorithm 6).
      atLimit[0] = 3328 & 0xff;
      atLimit[1] = ((atLimit[1] as number) & 0xf0) | (3328 >> 8);
      expect(crypto.mlkemEncapsulate(atLimit, bytes(32))).not.toBeNull();
      const overLimit = atLimit.slice();
      overLimit[0] = 3329 & 0xff;
      expect(crypto.mlkemEncapsulate(overLimit, bytes(32))).toBeNull();
      expect(crypto.mlkemEncapsulate(overLimit)).toBeNull();
    });

    it("ML-KEM decapsulation refuses a secret key that fails the FIPS 203 §7.3 hash check", () => {
      const { publicKey, secretKey } = crypto.mlkemKeyPairFromSeed(bytes(64, 7));
      const encapsulation = crypto.mlkemEncapsulate(publicKey);
      expect(encapsulation).not.toBeNull();
      const corrupted = secretKey.slice();
      corrupted[1200] = (corrupted[1200] as number) ^ 1; // inside the embedded ek
      expect(() => crypto.mlkemDecapsulate(corrupted, encapsulation?.ciphertext ?? bytes(1088))).toThrow(RangeError);
    });

    it("ML-KEM with random m round-trips, and two encapsulations differ", () => {
      const { publicKey, secretKey } = crypto.mlkemKeyPairFromSeed(crypto.randomBytes(64));
      const first = crypto.mlkemEncapsulate(publicKey);
      const second = crypto.mlkemEncapsulate(publicKey);
      if (first === null || second === null) throw new Error("valid key rejected");
      expect(crypto.mlkemDecapsulate(secretKey, first.ciphertext)).toEqual(first.sharedSecret);
      expect(first.sharedSecret).not.toEqual(second.sharedSecret);
    });
  });

  describe("key pairs", () => {
    it("generated X25519 and Ed25519 key pairs are consistent with the public-key functions", () => {
      const x = crypto.x25519GenerateKeyPair();
      expect(crypto.x25519PublicKey(x.privateKey)).toEqual(x.publicKey);
      const ed = crypto.ed25519GenerateKeyPair();
      expect(crypto.ed25519PublicKey(ed.privateKey)).toEqual(ed.publicKey);
      expect(crypto.ed25519Verify(ed.publicKey, utf8("m"), crypto.ed25519Sign(ed, utf8("m")))).toBe(true);
    });

    it("results depend on the private half only: a mismatched public half is ignored", () => {
      const ours = crypto.x25519GenerateKeyPair();
      const theirs = crypto.x25519GenerateKeyPair();
      const wrongHalf = { privateKey: ours.privateKey.slice(), publicKey: crypto.x25519GenerateKeyPair().publicKey };
      expect(crypto.x25519(wrongHalf, theirs.publicKey)).toEqual(crypto.x25519(ours, theirs.publicKey));
      const signer = crypto.ed25519GenerateKeyPair();
      const wrongSigner = { privateKey: signer.privateKey.slice(), publicKey: crypto.ed25519GenerateKeyPair().publicKey };
      expect(crypto.ed25519Sign(wrongSigner, utf8("m"))).toEqual(crypto.ed25519Sign(signer, utf8("m")));
    });

    it("a key array rewritten in place with another key is not served from a stale cache", () => {
      const first = crypto.x25519GenerateKeyPair();
      const second = crypto.x25519GenerateKeyPair();
      const peer = crypto.x25519GenerateKeyPair();
      const reused: KeyPair = { privateKey: first.privateKey.slice(), publicKey: first.publicKey.slice() };
      const peerKey = peer.publicKey.slice();
      expect(crypto.x25519(reused, peerKey)).toEqual(crypto.x25519(first, peer.publicKey));
      reused.privateKey.set(second.privateKey);
      reused.publicKey.set(second.publicKey);
      expect(crypto.x25519(reused, peerKey)).toEqual(crypto.x25519(second, peer.publicKey));
      peerKey.set(first.publicKey);
      expect(crypto.x25519(reused, peerKey)).toEqual(crypto.x25519(second, first.publicKey));

      const signerA = crypto.ed25519GenerateKeyPair();
      const signerB = crypto.ed25519GenerateKeyPair();
      const signer: KeyPair = { privateKey: signerA.privateKey.slice(), publicKey: signerA.publicKey.slice() };
      const verifyKey = signerA.publicKey.slice();
      const signature = crypto.ed25519Sign(signer, utf8("m"));
      expect(crypto.ed25519Verify(verifyKey, utf8("m"), signature)).toBe(true);
      signer.privateKey.set(signerB.privateKey);
      signer.publicKey.set(signerB.publicKey);
      verifyKey.set(signerB.publicKey);
      expect(crypto.ed25519Sign(signer, utf8("m"))).toEqual(crypto.ed25519Sign(signerB, utf8("m")));
      expect(crypto.ed25519Verify(verifyKey, utf8("m"), signature)).toBe(false);
    });
  });

  describe("argument checks", () => {
    const k32 = bytes(32);
    const pair: KeyPair = { privateKey: k32, publicKey: k32 };
    const kem = crypto.mlkemKeyPairFromSeed(bytes(64));
    // Each entry calls one method with one argument of the given length; all others are valid.
    const lengthChecks: ReadonlyArray<readonly [string, number, (arg: Uint8Array) => unknown]> = [
      ["x25519PublicKey privateKey", 32, (a) => crypto.x25519PublicKey(a)],
      ["x25519 ours.privateKey", 32, (a) => crypto.x25519({ privateKey: a, publicKey: k32 }, k32)],
      ["x25519 ours.publicKey", 32, (a) => crypto.x25519({ privateKey: k32, publicKey: a }, k32)],
      ["x25519 theirPublicKey", 32, (a) => crypto.x25519(pair, a)],
      ["ed25519PublicKey seed", 32, (a) => crypto.ed25519PublicKey(a)],
      ["ed25519Sign privateKey", 32, (a) => crypto.ed25519Sign({ privateKey: a, publicKey: k32 }, bytes(1))],
      ["ed25519Sign publicKey", 32, (a) => crypto.ed25519Sign({ privateKey: k32, publicKey: a }, bytes(1))],
      ["ed25519Verify publicKey", 32, (a) => crypto.ed25519Verify(a, bytes(1), bytes(64))],
      ["aeadEncrypt key", 32, (a) => crypto.aeadEncrypt(a, bytes(12), bytes(1), bytes(0))],
      ["aeadEncrypt nonce", 12, (a) => crypto.aeadEncrypt(k32, a, bytes(1), bytes(0))],
      ["aeadDecrypt key", 32, (a) => crypto.aeadDecrypt(a, bytes(12), bytes(32), bytes(0))],
      ["aeadDecrypt nonce", 12, (a) => crypto.aeadDecrypt(k32, a, bytes(32), bytes(0))],
      ["mlkemKeyPairFromSeed seed", 64, (a) => crypto.mlkemKeyPairFromSeed(a)],
      ["mlkemEncapsulate publicKey", 1184, (a) => crypto.mlkemEncapsulate(a, bytes(32))],
      ["mlkemEncapsulate randomness", 32, (a) => crypto.mlkemEncapsulate(bytes(1184), a)],
      // A zero-filled dk fails the §7.3 hash check (also a RangeError), so use a real one.
      ["mlkemDecapsulate secretKey", 2400, (a) => crypto.mlkemDecapsulate(a.length === 2400 ? kem.secretKey : a, bytes(1088))],
      ["mlkemDecapsulate ciphertext", 1088, (a) => crypto.mlkemDecapsulate(kem.secretKey, a)],
    ];

    it.each(lengthChecks)("%s: %i bytes accepted, ±1 and 0 throw RangeError", (_what, length, call) => {
      for (const wrong of [length - 1, length + 1, 0]) expect(() => call(bytes(wrong))).toThrow(RangeError);
      expect(() => call(bytes(length))).not.toThrow(RangeError);
    });

    it("AEAD refuses the 8- and 16-byte nonces of other ChaCha variants", () => {
      for (const size of [8, 16, 24]) {
        expect(() => crypto.aeadEncrypt(k32, bytes(size), bytes(1), bytes(0))).toThrow(RangeError);
        expect(() => crypto.aeadDecrypt(k32, bytes(size), bytes(32), bytes(0))).toThrow(RangeError);
      }
    });

    it.each([-1, 1.5, 8161, Number.NaN])("hkdfSha256 length %s throws RangeError", (length) => {
      expect(() => crypto.hkdfSha256(bytes(1), bytes(0), bytes(0), length)).toThrow(RangeError);
    });

    it.each([-1, 1.5, Number.POSITIVE_INFINITY])("randomBytes(%s) throws RangeError", (n) => {
      expect(() => crypto.randomBytes(n)).toThrow(RangeError);
    });

    it("non-Uint8Array arguments throw TypeError", () => {
      const notBytes = [1, 2, 3] as unknown as Uint8Array;
      const text = "abc" as unknown as Uint8Array;
      expect(() => crypto.sha256(text)).toThrow(TypeError);
      expect(() => crypto.hmacSha256(notBytes, bytes(1))).toThrow(TypeError);
      expect(() => crypto.hkdfSha256(bytes(1), notBytes, bytes(0), 32)).toThrow(TypeError);
      expect(() => crypto.x25519PublicKey(notBytes)).toThrow(TypeError);
      expect(() => crypto.ed25519Verify(k32, text, bytes(64))).toThrow(TypeError);
      expect(() => crypto.aeadEncrypt(k32, bytes(12), text, bytes(0))).toThrow(TypeError);
      expect(() => crypto.mlkemKeyPairFromSeed(notBytes)).toThrow(TypeError);
      expect(() => crypto.randomBytes("8" as unknown as number)).toThrow(TypeError);
    });
  });
});
