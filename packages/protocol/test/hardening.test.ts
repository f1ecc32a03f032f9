// Defects found by the outside review (issue 12) that live in the protocol core: each test here
// failed on the code before its fix. Nonce reuse from a rolled-back state (item 2b), the silent
// wrap of ByteWriter.u32, bounded trial decryption, and lost messages reported by the core (item 9).
import { describe, expect, test } from "vitest";
import { equalBytes } from "../src/crypto/bytes.js";
import type { Deps } from "../src/deps.js";
import { ByteWriter } from "../src/encoding/writer.js";
import { ErrorCode } from "../src/errors.js";
import { MAX_ARCHIVED_SESSIONS, MAX_RATCHET_STEP_TRIALS, MAX_SKIP_PER_CHAIN, MAX_SKIPPED_KEYS } from "../src/limits.js";
import { decodePreKeyMessage, RATCHET_HEADER_LENGTH } from "../src/ratchet/message.js";
import { decryptMessage, encryptMessage, initiateSession, SessionRecord } from "../src/session/record.js";
import { decodeSessionRecord, encodeSessionRecord } from "../src/session/serialize.js";
import { allDeps, bundleOf, consume, makeDevice, type TestDevice, text, utf8 } from "./fixtures.js";

/** Alice starts a session with Bob and both exchange one message, so the session is acknowledged. */
function establish(deps: Deps, alice: TestDevice, bob: TestDevice): { a: SessionRecord; b: SessionRecord } {
  let a = initiateSession(deps, alice.device, undefined, bundleOf(bob)).record;
  const first = encryptMessage(deps, a, utf8("hello bob"));
  a = first.record;
  const received = decryptMessage(deps, bob.device, undefined, first.message, bob.lookup);
  consume(bob, received.consumedPreKeys);
  const reply = encryptMessage(deps, received.record, utf8("hello alice"));
  a = decryptMessage(deps, alice.device, a, reply.message, alice.lookup).record;
  return { a, b: reply.record };
}

const xor = (x: Uint8Array, y: Uint8Array) => x.map((v, i) => v ^ (y[i] ?? 0));

describe("ByteWriter", () => {
  test("u32 accepts 0 and 2^32 − 1 and throws RangeError at 2^32, −1 and fractions instead of wrapping", () => {
    expect(new ByteWriter(4).u32(0xffff_ffff).finish()).toEqual(new Uint8Array([255, 255, 255, 255]));
    expect(new ByteWriter(4).u32(0).finish()).toEqual(new Uint8Array(4));
    expect(() => new ByteWriter(4).u32(0x1_0000_0000)).toThrow(RangeError);
    expect(() => new ByteWriter(4).u32(-1)).toThrow(RangeError);
    expect(() => new ByteWriter(4).u32(1.5)).toThrow(RangeError);
  });

  test("u8 and u16 throw RangeError one past their range", () => {
    expect(new ByteWriter(1).u8(255).finish()).toEqual(new Uint8Array([255]));
    expect(() => new ByteWriter(1).u8(256)).toThrow(RangeError);
    expect(new ByteWriter(2).u16(0xffff).finish()).toEqual(new Uint8Array([255, 255]));
    expect(() => new ByteWriter(2).u16(0x1_0000)).toThrow(RangeError);
  });
});

describe.each(allDeps)("rolled-back state with the %s provider (item 2b)", (_name, deps) => {
  test("two encryptions from the same stored state give unrelated ciphertexts; each decrypts", () => {
    const alice = makeDevice(deps);
    const bob = makeDevice(deps);
    const { a, b } = establish(deps, alice, bob);
    const saved = encodeSessionRecord(a);
    const p1 = utf8("attack at dawn, bring the maps");
    const p2 = utf8("retreat at noon, burn the maps");
    const m1 = encryptMessage(deps, a, p1).message;
    // A second tab, a restored backup or a rolled-back file: the same state encrypts again.
    const m2 = encryptMessage(deps, decodeSessionRecord(saved), p2).message;
    expect(m1.length).toBe(m2.length);
    expect(m1).not.toEqual(m2);
    const tail = (m: Uint8Array) => m.subarray(m.length - 16 - p1.length, m.length - 16);
    // With a repeated (key, nonce) the ciphertext XOR equals the plaintext XOR: nothing hides it.
    expect(xor(tail(m1), tail(m2))).not.toEqual(xor(p1, p2));
    expect(text(decryptMessage(deps, bob.device, b, m1, bob.lookup).plaintext)).toBe(text(p1));
    expect(text(decryptMessage(deps, bob.device, b, m2, bob.lookup).plaintext)).toBe(text(p2));
  });
});

/** `deps` with a counter of X25519 agreements and key generations (the costly steps of a trial). */
function counting(deps: Deps) {
  const counts = { x25519: 0 };
  const crypto = {
    ...deps.crypto,
    x25519: (ours: Parameters<Deps["crypto"]["x25519"]>[0], theirs: Uint8Array) => {
      counts.x25519++;
      return deps.crypto.x25519(ours, theirs);
    },
  };
  return { deps: { ...deps, crypto } as Deps, counts };
}

describe.each(allDeps)("trial decryption with the %s provider (item 9)", (_name, deps) => {
  /** Bob's record with Alice holding `n` sessions (Alice reinstalled n − 1 times), each used once. */
  function manySessions(n: number) {
    const alice = makeDevice(deps, { oneTimeCount: 0 });
    const bob = makeDevice(deps, { oneTimeCount: 0 });
    let b: SessionRecord | undefined;
    const alices: SessionRecord[] = [];
    for (let i = 0; i < n; i++) {
      const a = initiateSession(deps, alice.device, undefined, bundleOf(bob, { oneTime: false, kemId: 2 })).record;
      const first = encryptMessage(deps, a, utf8(`session ${i}`));
      const got = decryptMessage(deps, bob.device, b, first.message, bob.lookup);
      b = got.record;
      alices.push(first.record);
    }
    return { alice, bob, b: b as SessionRecord, alices };
  }

  test(`a message with an unknown ratchet key is tried on at most ${MAX_RATCHET_STEP_TRIALS} of 11 sessions`, () => {
    const { bob, b } = manySessions(11);
    expect(b.archived.length).toBe(MAX_ARCHIVED_SESSIONS);
    const forged = new Uint8Array(RATCHET_HEADER_LENGTH + 40);
    forged.set([1, 1]);
    forged.set(deps.crypto.x25519GenerateKeyPair().publicKey, 2);
    const { deps: counted, counts } = counting(deps);
    expect(() => decryptMessage(counted, bob.device, b, forged, bob.lookup)).toThrow(
      expect.objectContaining({ code: ErrorCode.DecryptFailed }),
    );
    // Each DH-step trial is two agreements.
    expect(counts.x25519).toBe(2 * MAX_RATCHET_STEP_TRIALS);
  });

  test(`a new ratchet key on the ${MAX_RATCHET_STEP_TRIALS}th-newest session decrypts; on the next older one it does not`, () => {
    const { alice, bob, b, alices } = manySessions(MAX_RATCHET_STEP_TRIALS + 1);
    /** Alice's reply on her session `i` after a message from Bob on it: a DH ratchet step for Bob. */
    const stepOn = (i: number) => {
      const a = alices[i] as SessionRecord;
      const bobSide = [b.current, ...b.archived].find((s) => s && equalBytes(s.baseKey, a.current?.baseKey ?? new Uint8Array()));
      const ping = encryptMessage(deps, new SessionRecord(bobSide), utf8("ping"));
      const acked = decryptMessage(deps, alice.device, a, ping.message, alice.lookup).record;
      return encryptMessage(deps, acked, utf8(`pong ${i}`)).message;
    };
    // Sessions newest first: index MAX is current, 0 is the oldest archived.
    const lastTried = stepOn(1);
    expect(text(decryptMessage(deps, bob.device, b, lastTried, bob.lookup).plaintext)).toBe("pong 1");
    expect(() => decryptMessage(deps, bob.device, b, stepOn(0), bob.lookup)).toThrow(
      expect.objectContaining({ code: ErrorCode.DecryptFailed }),
    );
  });

  test("a message on a chain an old archived session knows goes straight to that session", () => {
    const { bob, b, alices } = manySessions(11);
    // The oldest session (index 0) is archived last; its next message is on a chain Bob knows.
    const old = encryptMessage(deps, alices[0] as SessionRecord, utf8("late, on the oldest session"));
    // The inner ratchet message (as if Alice's session were acknowledged): found by trial, not by base key.
    const inner = decodePreKeyMessage(old.message).message;
    const { deps: counted, counts } = counting(deps);
    const got = decryptMessage(counted, bob.device, b, inner, bob.lookup);
    expect(text(got.plaintext)).toBe("late, on the oldest session");
    expect(counts.x25519).toBe(0);
  });

  test(`keys evicted beyond ${MAX_SKIPPED_KEYS} are reported as lost messages`, () => {
    const alice = makeDevice(deps);
    const bob = makeDevice(deps);
    let { a, b } = establish(deps, alice, bob);
    // Three chains of MAX_SKIP_PER_CHAIN skipped keys each: the third pushes the total past the cap.
    let lost = 0;
    for (let chain = 0; chain < 3; chain++) {
      for (let i = 0; i < MAX_SKIP_PER_CHAIN; i++) a = encryptMessage(deps, a, utf8("never delivered")).record;
      const last = encryptMessage(deps, a, utf8("delivered"));
      a = last.record;
      const got = decryptMessage(deps, bob.device, b, last.message, bob.lookup);
      lost += got.lostMessages;
      b = got.record;
      const reply = encryptMessage(deps, b, utf8("ack"));
      b = reply.record;
      a = decryptMessage(deps, alice.device, a, reply.message, alice.lookup).record;
    }
    expect(lost).toBe(3 * MAX_SKIP_PER_CHAIN - MAX_SKIPPED_KEYS);
  });
});
