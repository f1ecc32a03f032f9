// Handshake + Double Ratchet through the session-record API, on every provider: the protocol
// steps a chat app takes, and each rule of spec/handshake.md and spec/ratchet.md it relies on.
import { describe, expect, test } from "vitest";
import type { Deps } from "../src/deps.js";
import { ErrorCode, ParleyError } from "../src/errors.js";
import { generateDevice } from "../src/keys/device-certificate.js";
import { MAX_SKIP_PER_CHAIN, MAX_SKIPPED_KEYS } from "../src/limits.js";
import { decodeRatchetMessage } from "../src/ratchet/message.js";
import { compareAddresses, decryptMessage, encryptMessage, initiateSession, type SessionRecord } from "../src/session/record.js";
import { decodeSessionRecord, encodeSessionRecord } from "../src/session/serialize.js";
import { allDeps, bundleOf, consume, makeDevice, type TestDevice, text, utf8 } from "./fixtures.js";

function expectCode(fn: () => unknown, code: ErrorCode): void {
  try {
    fn();
  } catch (error) {
    expect(ParleyError.is(error)).toBe(true);
    expect((error as ParleyError).code).toBe(code);
    return;
  }
  throw new Error(`expected ${code}, nothing was thrown`);
}

/** Alice starts a session with Bob and both exchange one message, so the session is acknowledged. */
function establish(deps: Deps, alice: TestDevice, bob: TestDevice) {
  let a = initiateSession(deps, alice.device, undefined, bundleOf(bob), { accountKey: bob.account.publicKey }).record;
  const first = encryptMessage(deps, a, utf8("hello bob"));
  a = first.record;
  const received = decryptMessage(deps, bob.device, undefined, first.message, bob.lookup);
  consume(bob, received.consumedPreKeys);
  expect(text(received.plaintext)).toBe("hello bob");
  let b = received.record;
  const reply = encryptMessage(deps, b, utf8("hello alice"));
  b = reply.record;
  const back = decryptMessage(deps, alice.device, a, reply.message, alice.lookup);
  a = back.record;
  expect(text(back.plaintext)).toBe("hello alice");
  return { a, b };
}

function send(deps: Deps, record: SessionRecord, message: string) {
  return encryptMessage(deps, record, utf8(message));
}

describe.each(allDeps)("sessions with the %s provider", (_name, deps) => {
  test("a first message is a prekey message; the responder learns the sender's verified certificate", () => {
    const alice = makeDevice(deps);
    const bob = makeDevice(deps);
    const { record } = initiateSession(deps, alice.device, undefined, bundleOf(bob));
    const first = encryptMessage(deps, record, utf8("hi"));
    expect(first.message[1]).toBe(2);
    const received = decryptMessage(deps, bob.device, undefined, first.message, bob.lookup);
    expect(received.newSession).toBe(true);
    expect(received.senderCertificate?.address.deviceId).toBe(1);
    expect(received.senderCertificate?.identityKey).toEqual(alice.device.identityKey.publicKey);
    expect(received.consumedPreKeys).toEqual({ oneTimePreKeyId: 1, kemPreKeyId: 1 });
  });

  test("the initiator keeps sending prekey messages until the first reply, then plain ratchet messages", () => {
    const alice = makeDevice(deps);
    const bob = makeDevice(deps);
    let a = initiateSession(deps, alice.device, undefined, bundleOf(bob)).record;
    const m1 = send(deps, a, "one");
    a = m1.record;
    const m2 = send(deps, a, "two");
    a = m2.record;
    expect(m2.message[1]).toBe(2);
    let b = decryptMessage(deps, bob.device, undefined, m2.message, bob.lookup).record;
    consume(bob, { oneTimePreKeyId: 1, kemPreKeyId: 1 });
    // The earlier prekey message of the same handshake still decrypts, on the same session.
    const late = decryptMessage(deps, bob.device, b, m1.message, bob.lookup);
    expect(text(late.plaintext)).toBe("one");
    expect(late.newSession).toBe(false);
    b = late.record;
    const reply = send(deps, b, "ack");
    a = decryptMessage(deps, alice.device, a, reply.message, alice.lookup).record;
    expect(send(deps, a, "three").message[1]).toBe(1);
  });

  test("works without a one-time prekey and with the last-resort ML-KEM prekey, which is not consumed", () => {
    const alice = makeDevice(deps);
    const bob = makeDevice(deps);
    const { record } = initiateSession(deps, alice.device, undefined, bundleOf(bob, { oneTime: false, kemId: 2 }));
    const first = send(deps, record, "no one-time keys left");
    const received = decryptMessage(deps, bob.device, undefined, first.message, bob.lookup);
    expect(text(received.plaintext)).toBe("no one-time keys left");
    expect(received.consumedPreKeys).toEqual({});
  });

  test("a replayed prekey message is a duplicate once the session exists, and PREKEY_NOT_FOUND once it is gone", () => {
    const alice = makeDevice(deps);
    const bob = makeDevice(deps);
    const first = send(deps, initiateSession(deps, alice.device, undefined, bundleOf(bob)).record, "once");
    const received = decryptMessage(deps, bob.device, undefined, first.message, bob.lookup);
    consume(bob, received.consumedPreKeys);
    expectCode(() => decryptMessage(deps, bob.device, received.record, first.message, bob.lookup), ErrorCode.DuplicateMessage);
    // Without the session (e.g. a reinstalled device), the consumed one-time prekey is gone.
    expectCode(() => decryptMessage(deps, bob.device, undefined, first.message, bob.lookup), ErrorCode.PreKeyNotFound);
  });

  test("bundle checks: wrong account, bad signed-prekey signature, bad ML-KEM prekey signature, bad certificate", () => {
    const alice = makeDevice(deps);
    const bob = makeDevice(deps);
    const mallory = makeDevice(deps);
    const bundle = bundleOf(bob);
    expectCode(
      () => initiateSession(deps, alice.device, undefined, bundle, { accountKey: mallory.account.publicKey }),
      ErrorCode.IdentityMismatch,
    );
    expectCode(() => initiateSession(deps, alice.device, undefined, bundle, { deviceId: 2 }), ErrorCode.IdentityMismatch);
    const flip = (bytes: Uint8Array, at: number) => {
      const copy = bytes.slice();
      copy[at] = (copy[at] ?? 0) ^ 1;
      return copy;
    };
    expectCode(
      () => initiateSession(deps, alice.device, undefined, { ...bundle, signedPreKey: flip(bundle.signedPreKey, 10) }),
      ErrorCode.InvalidSignature,
    );
    expectCode(
      () => initiateSession(deps, alice.device, undefined, { ...bundle, kemPreKey: flip(bundle.kemPreKey, 100) }),
      ErrorCode.InvalidSignature,
    );
    expectCode(
      () => initiateSession(deps, alice.device, undefined, { ...bundle, deviceCertificate: flip(bundle.deviceCertificate, 40) }),
      ErrorCode.InvalidSignature,
    );
    // A signed prekey from another device of the same account is not signed by this device's key.
    const bob2 = makeDevice(deps, { account: bob.account, deviceId: 2 });
    expectCode(
      () => initiateSession(deps, alice.device, undefined, { ...bundle, signedPreKey: bundleOf(bob2).signedPreKey }),
      ErrorCode.InvalidSignature,
    );
  });

  test("a low-order point as prekey is rejected with ERR_INVALID_DH_OUTPUT", () => {
    const alice = makeDevice(deps);
    const bob = makeDevice(deps);
    const bundle = bundleOf(bob);
    // A one-time prekey is unsigned, so a relay could substitute the all-zero point.
    const zeroKey = new Uint8Array(37);
    zeroKey[0] = 1;
    zeroKey[4] = 9;
    expectCode(() => initiateSession(deps, alice.device, undefined, { ...bundle, oneTimePreKey: zeroKey }), ErrorCode.InvalidDhOutput);
  });

  test("a missing signed or ML-KEM prekey gives PREKEY_NOT_FOUND and consumes nothing", () => {
    const alice = makeDevice(deps);
    const bob = makeDevice(deps);
    const first = send(deps, initiateSession(deps, alice.device, undefined, bundleOf(bob)).record, "x");
    const noKem = { ...bob.lookup, kemPreKey: () => undefined };
    expectCode(() => decryptMessage(deps, bob.device, undefined, first.message, noKem), ErrorCode.PreKeyNotFound);
    expect(bob.oneTime.size).toBe(2);
  });

  test("out-of-order delivery within one chain and across ratchet steps", () => {
    const alice = makeDevice(deps);
    const bob = makeDevice(deps);
    let { a, b } = establish(deps, alice, bob);
    const sent: Uint8Array[] = [];
    for (let i = 0; i < 5; i++) {
      const m = send(deps, a, `m${i}`);
      a = m.record;
      sent.push(m.message);
    }
    // Bob replies (a ratchet step), Alice steps too, and sends on a new chain.
    const r = send(deps, b, "reply");
    b = r.record;
    a = decryptMessage(deps, alice.device, a, r.message, alice.lookup).record;
    const next = send(deps, a, "new chain");
    a = next.record;
    for (const i of [4, 0]) {
      const got = decryptMessage(deps, bob.device, b, sent[i] as Uint8Array, bob.lookup);
      expect(text(got.plaintext)).toBe(`m${i}`);
      b = got.record;
    }
    const got = decryptMessage(deps, bob.device, b, next.message, bob.lookup);
    expect(text(got.plaintext)).toBe("new chain");
    b = got.record;
    for (const i of [2, 1, 3]) {
      const late = decryptMessage(deps, bob.device, b, sent[i] as Uint8Array, bob.lookup);
      expect(text(late.plaintext)).toBe(`m${i}`);
      b = late.record;
    }
    expect(b.current?.skippedKeys.length).toBe(0);
  });

  test("duplicates are rejected with ERR_DUPLICATE_MESSAGE and leave state unchanged", () => {
    const alice = makeDevice(deps);
    const bob = makeDevice(deps);
    let { a, b } = establish(deps, alice, bob);
    const m0 = send(deps, a, "zero");
    a = m0.record;
    const m1 = send(deps, a, "one");
    b = decryptMessage(deps, bob.device, b, m1.message, bob.lookup).record;
    b = decryptMessage(deps, bob.device, b, m0.message, bob.lookup).record;
    const before = encodeSessionRecord(b);
    expectCode(() => decryptMessage(deps, bob.device, b, m1.message, bob.lookup), ErrorCode.DuplicateMessage);
    expectCode(() => decryptMessage(deps, bob.device, b, m0.message, bob.lookup), ErrorCode.DuplicateMessage);
    expect(encodeSessionRecord(b)).toEqual(before);
  });

  test("a tampered message fails with ERR_DECRYPT_FAILED and the same message then still decrypts", () => {
    const alice = makeDevice(deps);
    const bob = makeDevice(deps);
    let { a, b } = establish(deps, alice, bob);
    const m = send(deps, a, "intact");
    a = m.record;
    const before = encodeSessionRecord(b);
    for (const at of [5, 40, m.message.length - 1]) {
      const bad = m.message.slice();
      bad[at] = (bad[at] ?? 0) ^ 0x40;
      expect(() => decryptMessage(deps, bob.device, b, bad, bob.lookup)).toThrow(ParleyError);
      expect(encodeSessionRecord(b)).toEqual(before);
    }
    expect(text(decryptMessage(deps, bob.device, b, m.message, bob.lookup).plaintext)).toBe("intact");
  });

  test(`skipping exactly ${MAX_SKIP_PER_CHAIN} keys in a chain works; ${MAX_SKIP_PER_CHAIN + 1} is ERR_TOO_MANY_SKIPPED`, () => {
    const alice = makeDevice(deps);
    const bob = makeDevice(deps);
    let { a, b } = establish(deps, alice, bob);
    // Advance Alice's sending chain without delivering: message N skips N keys.
    let lastWithin: Uint8Array | undefined;
    let beyond: Uint8Array | undefined;
    for (let i = 0; i <= MAX_SKIP_PER_CHAIN + 1; i++) {
      const m = send(deps, a, `n${i}`);
      a = m.record;
      if (i === MAX_SKIP_PER_CHAIN) lastWithin = m.message;
      if (i === MAX_SKIP_PER_CHAIN + 1) beyond = m.message;
    }
    const snapshot = b;
    expectCode(() => decryptMessage(deps, bob.device, snapshot, beyond as Uint8Array, bob.lookup), ErrorCode.TooManySkipped);
    const got = decryptMessage(deps, bob.device, snapshot, lastWithin as Uint8Array, bob.lookup);
    expect(text(got.plaintext)).toBe(`n${MAX_SKIP_PER_CHAIN}`);
    expect(got.record.current?.skippedKeys.length).toBe(MAX_SKIP_PER_CHAIN);
    b = got.record;
  });

  test(`at most ${MAX_SKIPPED_KEYS} skipped keys are kept; the oldest is discarded and then reads as a duplicate`, () => {
    const alice = makeDevice(deps);
    const bob = makeDevice(deps);
    let { a, b } = establish(deps, alice, bob);
    const firstOfChain: Uint8Array[] = [];
    // Three chains each skipping MAX_SKIP_PER_CHAIN keys: 3 × 1000 > 2000 stored.
    for (let chain = 0; chain < 3; chain++) {
      let last: Uint8Array | undefined;
      for (let i = 0; i <= MAX_SKIP_PER_CHAIN; i++) {
        const m = send(deps, a, `c${chain}m${i}`);
        a = m.record;
        if (i === 0) firstOfChain.push(m.message);
        last = m.message;
      }
      b = decryptMessage(deps, bob.device, b, last as Uint8Array, bob.lookup).record;
      const r = send(deps, b, "step");
      b = r.record;
      a = decryptMessage(deps, alice.device, a, r.message, alice.lookup).record;
      expect(b.current?.skippedKeys.length).toBe(Math.min(MAX_SKIPPED_KEYS, (chain + 1) * MAX_SKIP_PER_CHAIN));
    }
    // Chain 0's keys were the oldest, so they were discarded; chains 1 and 2 still decrypt.
    expectCode(() => decryptMessage(deps, bob.device, b, firstOfChain[0] as Uint8Array, bob.lookup), ErrorCode.DuplicateMessage);
    expect(text(decryptMessage(deps, bob.device, b, firstOfChain[1] as Uint8Array, bob.lookup).plaintext)).toBe("c1m0");
    expect(text(decryptMessage(deps, bob.device, b, firstOfChain[2] as Uint8Array, bob.lookup).plaintext)).toBe("c2m0");
  });

  test("state serializes and reloads mid-conversation, with skipped keys and pending prekey data", () => {
    const alice = makeDevice(deps);
    const bob = makeDevice(deps);
    let a = initiateSession(deps, alice.device, undefined, bundleOf(bob)).record;
    a = decodeSessionRecord(encodeSessionRecord(a));
    const m0 = send(deps, a, "zero");
    a = decodeSessionRecord(encodeSessionRecord(m0.record));
    const m1 = send(deps, a, "one");
    a = decodeSessionRecord(encodeSessionRecord(m1.record));
    let b = decryptMessage(deps, bob.device, undefined, m1.message, bob.lookup).record;
    b = decodeSessionRecord(encodeSessionRecord(b));
    expect(b.current?.skippedKeys.length).toBe(1);
    b = decryptMessage(deps, bob.device, b, m0.message, bob.lookup).record;
    const r = send(deps, decodeSessionRecord(encodeSessionRecord(b)), "back");
    expect(text(decryptMessage(deps, alice.device, a, r.message, alice.lookup).plaintext)).toBe("back");
  });

  test("a new session from the same peer (reinstall) becomes current; messages on the old one still decrypt", () => {
    const alice = makeDevice(deps);
    const bob = makeDevice(deps, { oneTimeCount: 3 });
    let { a, b } = establish(deps, alice, bob);
    const old = send(deps, a, "on the old session");
    a = old.record;
    // Alice's device loses its sessions and starts over with a fresh bundle.
    const restarted = send(deps, initiateSession(deps, alice.device, undefined, bundleOf(bob)).record, "fresh start");
    const got = decryptMessage(deps, bob.device, b, restarted.message, bob.lookup);
    expect(got.newSession).toBe(true);
    b = got.record;
    expect(b.archived.length).toBe(1);
    const late = decryptMessage(deps, bob.device, b, old.message, bob.lookup);
    expect(text(late.plaintext)).toBe("on the old session");
    // Trial decryption found it on the archived session and promoted it.
    expect(late.record.current?.baseKey).toEqual(b.archived[0]?.baseKey);
  });

  test("simultaneous initiation: both sides converge on the session started by the lower address", () => {
    const alice = makeDevice(deps);
    const bob = makeDevice(deps);
    let a = initiateSession(deps, alice.device, undefined, bundleOf(bob)).record;
    let b = initiateSession(deps, bob.device, undefined, bundleOf(alice)).record;
    const fromA = send(deps, a, "a first");
    a = fromA.record;
    const fromB = send(deps, b, "b first");
    b = fromB.record;
    const atB = decryptMessage(deps, bob.device, b, fromA.message, bob.lookup);
    const atA = decryptMessage(deps, alice.device, a, fromB.message, alice.lookup);
    expect(text(atB.plaintext)).toBe("a first");
    expect(text(atA.plaintext)).toBe("b first");
    a = atA.record;
    b = atB.record;
    expect(a.current?.baseKey).toEqual(b.current?.baseKey);
    const aliceIsLower = compareAddresses(alice.device.address, bob.device.address) < 0;
    expect(a.current?.initiator).toBe(aliceIsLower);
    expect(b.current?.initiator).toBe(!aliceIsLower);
    // And they keep talking on it in both directions.
    for (let i = 0; i < 3; i++) {
      const x = send(deps, a, `a${i}`);
      a = x.record;
      const y = decryptMessage(deps, bob.device, b, x.message, bob.lookup);
      b = y.record;
      expect(text(y.plaintext)).toBe(`a${i}`);
      const z = send(deps, b, `b${i}`);
      b = z.record;
      const w = decryptMessage(deps, alice.device, a, z.message, alice.lookup);
      a = w.record;
      expect(text(w.plaintext)).toBe(`b${i}`);
    }
    expect(a.current?.baseKey).toEqual(b.current?.baseKey);
  });

  test("messages carry a header bound into the AEAD: changing the counter fails", () => {
    const alice = makeDevice(deps);
    const bob = makeDevice(deps);
    let { a, b } = establish(deps, alice, bob);
    const m = send(deps, a, "counter bound");
    a = m.record;
    const decoded = decodeRatchetMessage(m.message);
    const bad = m.message.slice();
    bad[41] = decoded.counter + 1;
    expectCode(() => decryptMessage(deps, bob.device, b, bad, bob.lookup), ErrorCode.DecryptFailed);
    b = decryptMessage(deps, bob.device, b, m.message, bob.lookup).record;
  });

  test("a device of another account cannot impersonate: a prekey message with a forged certificate fails", () => {
    const alice = makeDevice(deps);
    const bob = makeDevice(deps);
    const mallory = makeDevice(deps);
    const first = send(deps, initiateSession(deps, mallory.device, undefined, bundleOf(bob)).record, "I am alice");
    // Swap in Alice's certificate: the handshake then disagrees with Mallory's identity key.
    const forged = first.message.slice();
    forged.set(alice.device.certificate, 2);
    expectCode(() => decryptMessage(deps, bob.device, undefined, forged, bob.lookup), ErrorCode.DecryptFailed);
    expect(bob.oneTime.size).toBe(2);
  });
});

test("devices of one account get distinct certificates that verify", async () => {
  const [, deps] = allDeps[0] as [string, Deps];
  const owner = makeDevice(deps);
  const second = generateDevice(deps, owner.account, 2);
  expect(second.address.userId).toEqual(owner.device.address.userId);
  expect(second.certificate).not.toEqual(owner.device.certificate);
});
