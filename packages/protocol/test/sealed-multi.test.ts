// Multi-recipient sealed envelopes (spec/sealed-envelope.md §6): every recipient device opens the
// one shared payload with its own header and authenticates the sender (VAL-070…VAL-075); a
// malicious co-recipient, who learns the message key like everyone, can neither forge nor alter a
// payload for another recipient; and every failure looks alike from outside.
import { describe, expect, test } from "vitest";
import { StaticAgreementCache } from "../src/envelope/agreement-cache.js";
import { decryptFromSender, openEnvelope, sealEnvelope } from "../src/envelope/sealed.js";
import { MIN_MULTI_ENVELOPE_LENGTH, openMultiEnvelope, SEALED_MULTI_OVERHEAD, sealMulti } from "../src/envelope/sealed-multi.js";
import { ErrorCode, ParleyError } from "../src/errors.js";
import { agree } from "../src/handshake/agreement.js";
import { LABEL_SEALED_MULTI, LABEL_SEALED_MULTI_AUTH, LABEL_SEALED_MULTI_PAYLOAD, PROTOCOL_VERSION } from "../src/labels.js";
import { SecretKeyPair } from "../src/secrets.js";
import { MULTI_HEADER_LENGTH, multiEnvelope, SEALED_MULTI_TYPE } from "../src/wire/multi-envelope.js";
import { allDeps, makeDevice, text, utf8 } from "./fixtures.js";

const code = (fn: () => unknown): string => {
  try {
    fn();
  } catch (e) {
    if (e instanceof ParleyError) return e.code;
    throw e;
  }
  return "opened";
};

describe.each(allDeps)("multi-recipient sealed envelopes with the %s provider", (_name, deps) => {
  const alice = makeDevice(deps);
  const bob = makeDevice(deps);
  const carol = makeDevice(deps);
  const dave = makeDevice(deps, { deviceId: 2 });
  const recipients = [bob, carol, dave];
  const identities = recipients.map((r) => ({ identityKey: r.device.identityKey.publicKey }));

  test("every recipient device opens the shared payload with its header and learns the authenticated sender", () => {
    const { payload, headers } = sealMulti(deps, alice.device, identities, utf8("to the group"));
    expect(headers).toHaveLength(3);
    for (const header of headers) expect(header.length).toBe(MULTI_HEADER_LENGTH);
    recipients.forEach((r, i) => {
      const envelope = multiEnvelope(headers[i] as Uint8Array, payload);
      expect(envelope[0]).toBe(PROTOCOL_VERSION);
      expect(envelope[1]).toBe(SEALED_MULTI_TYPE);
      const opened = openEnvelope(deps, r.device.identityKey, envelope);
      expect(opened.multi).toBe(true);
      expect(text(opened.message)).toBe("to the group");
      expect(opened.sender).toEqual(alice.device.address);
      expect(opened.senderDevice.identityKey).toEqual(alice.device.identityKey.publicKey);
    });
  });

  test("the overhead per device is fixed, and the payload does not contain the sender's identity", () => {
    const message = utf8("x".repeat(100));
    const { payload, headers } = sealMulti(deps, alice.device, identities, message);
    expect(multiEnvelope(headers[0] as Uint8Array, payload).length).toBe(message.length + SEALED_MULTI_OVERHEAD);
    const hex = Buffer.from(payload).toString("hex");
    expect(hex).not.toContain(Buffer.from(alice.device.address.userId).toString("hex"));
    expect(hex).not.toContain(Buffer.from(alice.device.identityKey.publicKey).toString("hex"));
  });

  test("single envelopes still open through openEnvelope, marked multi: false", () => {
    const envelope = sealEnvelope(deps, alice.device, bob.device.identityKey.publicKey, utf8("one to one"));
    const opened = openEnvelope(deps, bob.device.identityKey, envelope);
    expect(opened.multi).toBe(false);
    expect(text(opened.message)).toBe("one to one");
  });

  test("ATTACK: a co-recipient who learned the message key cannot alter the payload for another recipient (VAL-075)", () => {
    const { payload, headers } = sealMulti(deps, alice.device, identities, utf8("pay 10 to carol"));
    // Bob (a recipient) recovers M exactly as openMultiEnvelope does, then re-encrypts another
    // message under the same key, E and Alice's certificate, and gives it Carol's real header.
    const bobEnvelope = multiEnvelope(headers[0] as Uint8Array, payload);
    const ephemeralKey = payload.subarray(0, 32);
    const shared = agree(deps, bob.device.identityKey, ephemeralKey);
    const mask = deps.crypto.hkdfSha256(
      shared,
      new Uint8Array([...ephemeralKey, ...bob.device.identityKey.publicKey]),
      LABEL_SEALED_MULTI,
      32,
    );
    const messageKey = bobEnvelope.subarray(2, 34).map((b, i) => b ^ (mask[i] as number));
    const keys = deps.crypto.hkdfSha256(messageKey, ephemeralKey, LABEL_SEALED_MULTI_PAYLOAD, 44);
    const ad = new Uint8Array([PROTOCOL_VERSION, SEALED_MULTI_TYPE, ...ephemeralKey]);
    // Bob's recovered key really opens the payload (so the forgery below is the strongest he can make).
    const inner = deps.crypto.aeadDecrypt(keys.subarray(0, 32), keys.subarray(32), payload.subarray(32), ad);
    expect(inner).not.toBeNull();
    const forgedInner = new Uint8Array([...(inner as Uint8Array).subarray(0, 173), ...utf8("pay 99 to bob!!")]);
    const forgedPayload = new Uint8Array([
      ...ephemeralKey,
      ...deps.crypto.aeadEncrypt(keys.subarray(0, 32), keys.subarray(32), forgedInner, ad),
    ]);
    const forCarol = multiEnvelope(headers[1] as Uint8Array, forgedPayload);
    expect(code(() => openEnvelope(deps, carol.device.identityKey, forCarol))).toBe(ErrorCode.DecryptFailed);
    // Flipping bits of Carol's tag, or of her masked key, fails the same way.
    const original = multiEnvelope(headers[1] as Uint8Array, payload);
    for (const at of [2, 33, 34, 49]) {
      const tampered = original.slice();
      tampered[at] = (tampered[at] as number) ^ 1;
      expect(code(() => openEnvelope(deps, carol.device.identityKey, tampered))).toBe(ErrorCode.DecryptFailed);
    }
  });

  test("ATTACK: a co-recipient cannot mint a new envelope as Alice for another recipient, even with her certificate", () => {
    // Bob seals with Alice's (public) certificate but his own identity key: the tag key needs DH(IK_Alice, IK_Carol).
    const forger = { certificate: alice.device.certificate, identityKey: bob.device.identityKey };
    const { payload, headers } = sealMulti(deps, forger, [{ identityKey: carol.device.identityKey.publicKey }], utf8("i am alice"));
    expect(code(() => openEnvelope(deps, carol.device.identityKey, multiEnvelope(headers[0] as Uint8Array, payload)))).toBe(
      ErrorCode.DecryptFailed,
    );
    // And a fresh identity key under Alice's certificate fails alike.
    const stranger = { certificate: alice.device.certificate, identityKey: SecretKeyPair.from(deps.crypto.x25519GenerateKeyPair()) };
    const again = sealMulti(deps, stranger, [{ identityKey: carol.device.identityKey.publicKey }], utf8("i am alice"));
    expect(code(() => openEnvelope(deps, carol.device.identityKey, multiEnvelope(again.headers[0] as Uint8Array, again.payload)))).toBe(
      ErrorCode.DecryptFailed,
    );
  });

  test("a header given to the wrong device, or a header of another message, does not open (VAL-072)", () => {
    const first = sealMulti(deps, alice.device, identities, utf8("first"));
    const second = sealMulti(deps, alice.device, identities, utf8("second"));
    expect(code(() => openEnvelope(deps, carol.device.identityKey, multiEnvelope(first.headers[0] as Uint8Array, first.payload)))).toBe(
      ErrorCode.DecryptFailed,
    );
    expect(code(() => openEnvelope(deps, bob.device.identityKey, multiEnvelope(second.headers[0] as Uint8Array, first.payload)))).toBe(
      ErrorCode.DecryptFailed,
    );
  });

  test("a low-order ephemeral key is a decrypt failure, not an invalid-DH error (VAL-071)", () => {
    const { payload, headers } = sealMulti(deps, alice.device, identities, utf8("x"));
    const envelope = multiEnvelope(headers[0] as Uint8Array, payload);
    envelope.fill(0, 2 + MULTI_HEADER_LENGTH, 2 + MULTI_HEADER_LENGTH + 32);
    expect(code(() => openEnvelope(deps, bob.device.identityKey, envelope))).toBe(ErrorCode.DecryptFailed);
  });

  test("malformed envelopes are typed errors (VAL-070): short, wrong version, wrong type", () => {
    const { payload, headers } = sealMulti(deps, alice.device, identities, new Uint8Array(0));
    const envelope = multiEnvelope(headers[0] as Uint8Array, payload);
    expect(envelope.length).toBe(MIN_MULTI_ENVELOPE_LENGTH);
    expect(text(openEnvelope(deps, bob.device.identityKey, envelope).message)).toBe("");
    expect(code(() => openMultiEnvelope(deps, bob.device.identityKey, envelope.subarray(0, MIN_MULTI_ENVELOPE_LENGTH - 1)))).toBe(
      ErrorCode.InvalidEncoding,
    );
    expect(code(() => openEnvelope(deps, bob.device.identityKey, envelope.subarray(0, MIN_MULTI_ENVELOPE_LENGTH - 1)))).toBe(
      ErrorCode.InvalidEncoding,
    );
    const version = envelope.slice();
    version[0] = 2;
    expect(code(() => openMultiEnvelope(deps, bob.device.identityKey, version))).toBe(ErrorCode.UnsupportedVersion);
    const type = envelope.slice();
    type[1] = 3;
    expect(code(() => openMultiEnvelope(deps, bob.device.identityKey, type))).toBe(ErrorCode.InvalidEncoding);
  });

  test("a tampered certificate inside the payload fails before the tag: Alice's account signature (VAL-073)", () => {
    // Only a co-recipient can re-encrypt the payload; it swaps Alice's certificate for a broken one.
    const cert = alice.device.certificate.slice();
    cert[cert.length - 1] = (cert[cert.length - 1] as number) ^ 1;
    const { payload, headers } = sealMulti(deps, { certificate: cert, identityKey: alice.device.identityKey }, identities, utf8("x"));
    expect(code(() => openEnvelope(deps, bob.device.identityKey, multiEnvelope(headers[0] as Uint8Array, payload)))).toBe(
      ErrorCode.InvalidSignature,
    );
  });

  test("with agreement caches on both sides the results are the same, and a forged envelope is not remembered", () => {
    const sending = { ...deps, agreements: new StaticAgreementCache() };
    const receiving = { ...deps, agreements: new StaticAgreementCache() };
    const { payload, headers } = sealMulti(sending, alice.device, identities, utf8("cached"));
    expect(sending.agreements.size).toBe(3);
    const forger = { certificate: alice.device.certificate, identityKey: carol.device.identityKey };
    const forged = sealMulti(deps, forger, identities, utf8("forged"));
    expect(
      code(() => openEnvelope(receiving, bob.device.identityKey, multiEnvelope(forged.headers[0] as Uint8Array, forged.payload))),
    ).toBe(ErrorCode.DecryptFailed);
    expect(receiving.agreements.size).toBe(0);
    for (let i = 0; i < 2; i++) {
      expect(text(openEnvelope(receiving, bob.device.identityKey, multiEnvelope(headers[0] as Uint8Array, payload)).message)).toBe(
        "cached",
      );
    }
    expect(receiving.agreements.size).toBe(1);
  });

  test("a multi envelope's message is never taken for a session message: ERR_INVALID_ENCODING, which asks no repair (VAL-076)", () => {
    const { payload, headers } = sealMulti(deps, alice.device, identities, utf8("group"));
    const opened = openEnvelope(deps, bob.device.identityKey, multiEnvelope(headers[0] as Uint8Array, payload));
    expect(code(() => decryptFromSender(deps, bob.device, opened, undefined, bob.lookup))).toBe(ErrorCode.InvalidEncoding);
    expect(new TextDecoder().decode(LABEL_SEALED_MULTI_AUTH)).toBe("Parley/v1/sealed-multi-auth");
  });
});
