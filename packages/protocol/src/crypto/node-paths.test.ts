// The node provider's alternative paths: without libsodium (node:crypto's own ChaCha20-Poly1305,
// noble's ML-KEM) it must agree byte for byte with the default (libsodium AEAD and ML-KEM), and
// its fast key generation must give the same public keys as noble.
import { fc, test } from "@fast-check/vitest";
import { x25519 } from "@noble/curves/ed25519.js";
import { describe, expect } from "vitest";
import { createNodeProvider } from "./node.js";
import { createRawProvider } from "./select.js";

describe("node provider paths", async () => {
  const plain = createNodeProvider();
  const withSodium = await createRawProvider("node");

  test("names say which parts come from where", () => {
    expect(plain.name).toBe("node+noble-mlkem");
    expect(withSodium.name).toBe("node+sodium-mlkem+sodium-aead");
  });

  test.prop(
    [
      fc.uint8Array({ minLength: 32, maxLength: 32 }),
      fc.uint8Array({ minLength: 12, maxLength: 12 }),
      fc.uint8Array({ maxLength: 300 }),
      fc.uint8Array({ maxLength: 64 }),
    ],
    {
      numRuns: 200,
    },
  )("AEAD through node:crypto and through libsodium gives the same bytes, both ways", (key, nonce, plaintext, aad) => {
    const sealed = plain.aeadEncrypt(key, nonce, plaintext, aad);
    expect(withSodium.aeadEncrypt(key, nonce, plaintext, aad)).toEqual(sealed);
    expect(withSodium.aeadDecrypt(key, nonce, sealed, aad)).toEqual(plaintext);
    expect(plain.aeadDecrypt(key, nonce, sealed, aad)).toEqual(plaintext);
    const bad = sealed.slice();
    bad[0] = (bad[0] as number) ^ 1;
    expect(plain.aeadDecrypt(key, nonce, bad, aad)).toBeNull();
    expect(withSodium.aeadDecrypt(key, nonce, bad, aad)).toBeNull();
  });

  test("generated key pairs are consistent: the public key is the one noble derives, and agreement works", () => {
    for (let i = 0; i < 50; i++) {
      const a = plain.x25519GenerateKeyPair();
      const b = withSodium.x25519GenerateKeyPair();
      expect(a.publicKey).toEqual(x25519.getPublicKey(a.privateKey));
      expect(plain.x25519(a, b.publicKey)).toEqual(withSodium.x25519(b, a.publicKey));
      const s = plain.ed25519GenerateKeyPair();
      expect(plain.ed25519PublicKey(s.privateKey)).toEqual(s.publicKey);
      const message = new Uint8Array([i]);
      expect(withSodium.ed25519Verify(s.publicKey, message, plain.ed25519Sign(s, message))).toBe(true);
    }
  });
});
