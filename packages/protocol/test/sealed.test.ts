// Sealed envelopes (spec/sealed-envelope.md): only the recipient learns the sender, the envelope
// itself authenticates the sender (VAL-041…VAL-046), and tampering or a false claim is a typed error.
import { describe, expect, test } from "vitest";
import type { KeyPair } from "../src/crypto/provider.js";
import { StaticAgreementCache } from "../src/envelope/agreement-cache.js";
import { encryptSealed, openAndDecrypt, openEnvelope, SEALED_OVERHEAD, sealEnvelope } from "../src/envelope/sealed.js";
import { ErrorCode, ParleyError } from "../src/errors.js";
import type { Address } from "../src/keys/identity.js";
import { addressKey } from "../src/keys/identity.js";
import { SecretKeyPair } from "../src/secrets.js";
import { encryptMessage, initiateSession, type SessionRecord } from "../src/session/record.js";
import { allDeps, bundleOf, makeDevice, text, utf8 } from "./fixtures.js";

describe.each(allDeps)("sealed envelopes with the %s provider", (_name, deps) => {
  const alice = makeDevice(deps);
  const bob = makeDevice(deps);
  const mallory = makeDevice(deps);

  function conversation() {
    const records = new Map<string, SessionRecord>();
    const recordFor = (sender: Address) => records.get(addressKey(sender));
    return { records, recordFor };
  }

  test("Bob learns and authenticates Alice's address; the envelope bytes do not contain it", () => {
    const { records, recordFor } = conversation();
    const a = initiateSession(deps, alice.device, undefined, bundleOf(bob)).record;
    const { envelope } = encryptSealed(deps, alice.device, a, utf8("sealed hello"));
    const hex = Buffer.from(envelope).toString("hex");
    expect(hex).not.toContain(Buffer.from(alice.device.address.userId).toString("hex"));
    expect(hex).not.toContain(Buffer.from(alice.device.identityKey.publicKey).toString("hex"));
    const opened = openAndDecrypt(deps, bob.device, envelope, recordFor, bob.lookup);
    expect(text(opened.plaintext)).toBe("sealed hello");
    expect(opened.sender).toEqual(alice.device.address);
    records.set(addressKey(opened.sender), opened.record);
  });

  test("an envelope with Alice's certificate from someone without her identity key does not open (VAL-046)", () => {
    const { recordFor } = conversation();
    const m = initiateSession(deps, mallory.device, undefined, bundleOf(bob)).record;
    const { message } = encryptMessage(deps, m, utf8("i am alice"));
    // Certificates are public (every bundle carries one); the identity private key is not.
    const forger = { certificate: alice.device.certificate, identityKey: SecretKeyPair.from(deps.crypto.x25519GenerateKeyPair()) };
    const forged = sealEnvelope(deps, forger, bob.device.identityKey.publicKey, message);
    expect(() => openEnvelope(deps, bob.device.identityKey, forged)).toThrow(expect.objectContaining({ code: ErrorCode.DecryptFailed }));
    expect(() => openAndDecrypt(deps, bob.device, forged, recordFor, bob.lookup)).toThrow(
      expect.objectContaining({ code: ErrorCode.DecryptFailed }),
    );
  });

  test("a made-up device of Alice's account needs her account key: the certificate does not verify (VAL-044)", () => {
    // Alice's certificate with device id 777 and Mallory's keys: the account signature no longer covers it.
    const cert = alice.device.certificate.slice();
    new DataView(cert.buffer).setUint32(33, 777);
    cert.set(mallory.device.identityKey.publicKey, 1 + 32 + 4 + 32);
    const forged = sealEnvelope(
      deps,
      { certificate: cert, identityKey: mallory.device.identityKey },
      bob.device.identityKey.publicKey,
      utf8("x"),
    );
    expect(() => openEnvelope(deps, bob.device.identityKey, forged)).toThrow(expect.objectContaining({ code: ErrorCode.InvalidSignature }));
  });

  test("a message whose session names another device than the envelope is ERR_SENDER_MISMATCH (VAL-040)", () => {
    const { recordFor } = conversation();
    // Alice's second device sets up a session; the envelope is sealed as her first device.
    const second = makeDevice(deps, { account: alice.account, deviceId: 2 });
    const s = initiateSession(deps, second.device, undefined, bundleOf(bob)).record;
    const { message } = encryptMessage(deps, s, utf8("which device am i?"));
    const envelope = sealEnvelope(deps, alice.device, bob.device.identityKey.publicKey, message);
    expect(openEnvelope(deps, bob.device.identityKey, envelope).sender).toEqual(alice.device.address);
    expect(() => openAndDecrypt(deps, bob.device, envelope, recordFor, bob.lookup)).toThrow(
      expect.objectContaining({ code: ErrorCode.SenderMismatch }),
    );
  });

  test("an envelope whose ephemeral key is a low-order point is ERR_DECRYPT_FAILED (VAL-042)", () => {
    const envelope = sealEnvelope(deps, alice.device, bob.device.identityKey.publicKey, utf8("x"));
    envelope.fill(0, 2, 34); // u = 0: X25519 gives the all-zero output
    expect(() => openEnvelope(deps, bob.device.identityKey, envelope)).toThrow(expect.objectContaining({ code: ErrorCode.DecryptFailed }));
  });

  test("a static-agreement cache gives the same envelopes' keys and saves one X25519 per envelope on each side", () => {
    let calls = 0;
    const counted = {
      ...deps,
      crypto: {
        ...deps.crypto,
        x25519: (a: KeyPair, b: Uint8Array) => {
          calls++;
          return deps.crypto.x25519(a, b);
        },
      },
    };
    const cached = { ...counted, agreements: new StaticAgreementCache(4) };
    const envelope = sealEnvelope(cached, alice.device, bob.device.identityKey.publicKey, utf8("one"));
    expect(openEnvelope(counted, bob.device.identityKey, envelope).message).toEqual(utf8("one"));
    calls = 0;
    const again = sealEnvelope(cached, alice.device, bob.device.identityKey.publicKey, utf8("two"));
    expect(calls).toBe(1); // the ephemeral–static agreement only
    const bobCache = { ...counted, agreements: new StaticAgreementCache(4) };
    openEnvelope(bobCache, bob.device.identityKey, again);
    calls = 0;
    expect(openEnvelope(bobCache, bob.device.identityKey, again).message).toEqual(utf8("two"));
    expect(calls).toBe(1);
    expect(JSON.stringify(cached.agreements)).not.toMatch(/[0-9a-f]{64}/);
  });

  test("every flipped byte of an envelope is rejected with a ParleyError", () => {
    const { recordFor } = conversation();
    const a = initiateSession(deps, alice.device, undefined, bundleOf(bob)).record;
    const { envelope } = encryptSealed(deps, alice.device, a, utf8("x"));
    for (let at = 0; at < envelope.length; at += 7) {
      const bad = envelope.slice();
      bad[at] = (bad[at] as number) ^ 0x01;
      expect(() => openAndDecrypt(deps, bob.device, bad, recordFor, bob.lookup)).toThrow(ParleyError);
    }
  });

  test("an envelope for another device does not open", () => {
    const { recordFor } = conversation();
    const a = initiateSession(deps, alice.device, undefined, bundleOf(bob)).record;
    const { envelope } = encryptSealed(deps, alice.device, a, utf8("x"));
    expect(() => openAndDecrypt(deps, mallory.device, envelope, recordFor, mallory.lookup)).toThrow(
      expect.objectContaining({ code: ErrorCode.DecryptFailed }),
    );
  });

  test(`an envelope adds exactly ${SEALED_OVERHEAD} bytes to the session message`, () => {
    const envelope = sealEnvelope(deps, alice.device, bob.device.identityKey.publicKey, new Uint8Array(100));
    expect(envelope.length).toBe(100 + SEALED_OVERHEAD);
  });
});

test("StaticAgreementCache keeps at most its capacity (oldest forgotten first) and rejects a low-order key every time", async () => {
  const [, deps] = allDeps[0] as (typeof allDeps)[number];
  const ours = SecretKeyPair.from(deps.crypto.x25519GenerateKeyPair());
  const peers = Array.from({ length: 3 }, () => deps.crypto.x25519GenerateKeyPair().publicKey);
  const cache = new StaticAgreementCache(2);
  cache.agree(deps, ours, peers[0] as Uint8Array);
  cache.agree(deps, ours, peers[1] as Uint8Array);
  expect(cache.size).toBe(2);
  cache.agree(deps, ours, peers[2] as Uint8Array);
  expect(cache.size).toBe(2);
  expect(() => cache.agree(deps, ours, new Uint8Array(32))).toThrow(expect.objectContaining({ code: ErrorCode.InvalidDhOutput }));
  expect(cache.size).toBe(2);
  expect(() => new StaticAgreementCache(0)).toThrow(RangeError);
});

test("StaticAgreementCache remembers a sender only once its envelope opened: forgeries take no place", async () => {
  const [, deps] = allDeps[0] as (typeof allDeps)[number];
  const alice = makeDevice(deps);
  const bob = makeDevice(deps);
  const cache = new StaticAgreementCache(4);
  const cached = { ...deps, agreements: cache };
  for (let i = 0; i < 3; i++) {
    const forger = { certificate: alice.device.certificate, identityKey: SecretKeyPair.from(deps.crypto.x25519GenerateKeyPair()) };
    const forged = sealEnvelope(deps, forger, bob.device.identityKey.publicKey, utf8("x"));
    expect(() => openEnvelope(cached, bob.device.identityKey, forged)).toThrow(expect.objectContaining({ code: ErrorCode.DecryptFailed }));
  }
  expect(cache.size).toBe(0);
  expect(cache.knownCertificate(alice.device.certificate)).toBeUndefined();
  const genuine = sealEnvelope(deps, alice.device, bob.device.identityKey.publicKey, utf8("y"));
  const opened = openEnvelope(cached, bob.device.identityKey, genuine);
  expect(cache.size).toBe(1);
  expect(cache.knownCertificate(alice.device.certificate)).toBe(opened.senderDevice);
  expect(cache.knownAgreement(bob.device.identityKey.publicKey, alice.device.identityKey.publicKey)).toBeDefined();
});
