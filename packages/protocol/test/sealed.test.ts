// Sealed envelopes (spec/sealed-envelope.md): only the recipient learns the sender, the sender
// is authenticated by the session, and tampering or a false sender claim is a typed error.
import { describe, expect, test } from "vitest";
import { encryptSealed, openAndDecrypt, openEnvelope, SEALED_OVERHEAD, sealEnvelope } from "../src/envelope/sealed.js";
import { ErrorCode, ParleyError } from "../src/errors.js";
import type { Address } from "../src/keys/identity.js";
import { addressKey } from "../src/keys/identity.js";
import { initiateSession, type SessionRecord } from "../src/session/record.js";
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

  test("a sender claiming to be someone else is ERR_SENDER_MISMATCH, and nothing is returned to store", () => {
    const { recordFor } = conversation();
    const m = initiateSession(deps, mallory.device, undefined, bundleOf(bob)).record;
    const { envelope: honest } = encryptSealed(deps, mallory.device, m, utf8("i am alice"));
    const opened = openEnvelope(deps, bob.device.identityKey, honest);
    const forged = sealEnvelope(deps, alice.device.address, bob.device.identityKey.publicKey, opened.message);
    expect(() => openAndDecrypt(deps, bob.device, forged, recordFor, bob.lookup)).toThrow(
      expect.objectContaining({ code: ErrorCode.SenderMismatch }),
    );
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
    const envelope = sealEnvelope(deps, alice.device.address, bob.device.identityKey.publicKey, new Uint8Array(100));
    expect(envelope.length).toBe(100 + SEALED_OVERHEAD);
  });
});
