// Sender keys (spec/groups.md) on every provider: the steps a group member takes, each
// validation rule (VAL-080…VAL-086) and each attack they stop, limits at N and N+1.
import { inspect } from "node:util";
import { describe, expect, test } from "vitest";
import { allDeps, seededRandom, text, utf8 } from "../../test/fixtures.js";
import { concatBytes, bytesToHex as hex } from "../crypto/bytes.js";
import type { Deps } from "../deps.js";
import { ErrorCode, ParleyError } from "../errors.js";
import { LABEL_GROUP_MESSAGE } from "../labels.js";
import { MAX_CHAIN_INDEX, MAX_GROUP_SKIP, MAX_GROUP_SKIPPED_KEYS } from "../limits.js";
import {
  acceptSenderKeyDistribution,
  createSenderKey,
  decodeGroupMessage,
  decodeSenderKeyDistribution,
  decodeSenderKeyState,
  encodeSenderKeyDistribution,
  encodeSenderKeyState,
  GROUP_MESSAGE_OVERHEAD,
  groupDecrypt,
  groupEncrypt,
  kdfSenderKey,
  parseGroupMessageHeader,
  SENDER_KEY_DISTRIBUTION_LENGTH,
  type SenderKeyState,
  senderKeyFromDistribution,
} from "./sender-key.js";
import { senderKeyState } from "./sender-key-state.js";

function codeOf(fn: () => unknown): string {
  try {
    fn();
  } catch (error) {
    if (error instanceof ParleyError) return error.code;
    throw error;
  }
  return "none";
}

const groupId = new Uint8Array(16).fill(7);
const otherGroup = new Uint8Array(16).fill(8);

/** Alice's own key and Bob's receiving copy of it. */
function pair(deps: Deps): { alice: SenderKeyState; bob: SenderKeyState } {
  const alice = createSenderKey(deps);
  return { alice, bob: senderKeyFromDistribution(decodeSenderKeyDistribution(encodeSenderKeyDistribution(alice))) };
}

/** Alice sends `n` messages; returns her state after and the messages. */
function sendMany(deps: Deps, state: SenderKeyState, n: number): { state: SenderKeyState; messages: Uint8Array[] } {
  const messages: Uint8Array[] = [];
  for (let i = 0; i < n; i++) {
    const out = groupEncrypt(deps, state, groupId, utf8(`m${i}`));
    state = out.state;
    messages.push(out.message);
  }
  return { state, messages };
}

describe.each(allDeps)("sender keys with the %s provider", (_name, deps) => {
  test("a member's distribution lets another member decrypt every later message in order", () => {
    let { alice, bob } = pair(deps);
    for (const word of ["hello", "group", ""]) {
      const out = groupEncrypt(deps, alice, groupId, utf8(word));
      alice = out.state;
      expect(out.message.length).toBe(word.length + GROUP_MESSAGE_OVERHEAD);
      const got = groupDecrypt(deps, bob, groupId, out.message);
      bob = got.state;
      expect(text(got.plaintext)).toBe(word);
      expect(got.lost).toBe(0);
    }
    expect(bob.iteration).toBe(3);
    expect(hex(bob.chainKey)).toBe(hex(alice.chainKey));
  });

  test("a replayed older distribution of a held key does not wind the chain back", () => {
    let { alice, bob } = pair(deps);
    const old = decodeSenderKeyDistribution(encodeSenderKeyDistribution(alice));
    const sent = sendMany(deps, alice, 2);
    alice = sent.state;
    bob = groupDecrypt(deps, bob, groupId, sent.messages[1] as Uint8Array).state;
    bob = groupDecrypt(deps, bob, groupId, sent.messages[0] as Uint8Array).state;
    const kept = acceptSenderKeyDistribution(bob, old);
    expect(kept).toBe(bob);
    expect(codeOf(() => groupDecrypt(deps, kept, groupId, sent.messages[0] as Uint8Array))).toBe(ErrorCode.DuplicateMessage);
    // A new key (rotation) or nothing held: the distribution is taken.
    const rotated = decodeSenderKeyDistribution(encodeSenderKeyDistribution(createSenderKey(deps)));
    expect(acceptSenderKeyDistribution(bob, rotated).keyId).toBe(rotated.keyId);
    expect(acceptSenderKeyDistribution(undefined, old).iteration).toBe(0);
  });

  test("the header parses without keys and names the group, key id and iteration", () => {
    const { alice } = pair(deps);
    const { messages } = sendMany(deps, alice, 2);
    const header = parseGroupMessageHeader(messages[1] as Uint8Array);
    expect(header).toEqual({ groupId, keyId: alice.keyId, iteration: 1 });
  });

  test("out-of-order delivery uses skipped keys, each once", () => {
    const { alice, bob } = pair(deps);
    const { messages } = sendMany(deps, alice, 4);
    let state = bob;
    for (const i of [3, 0, 2, 1]) {
      const got = groupDecrypt(deps, state, groupId, messages[i] as Uint8Array);
      expect(text(got.plaintext)).toBe(`m${i}`);
      state = got.state;
    }
    expect(state.skippedKeys.size).toBe(0);
    expect(state.iteration).toBe(4);
  });

  test("a duplicate is ERR_DUPLICATE_MESSAGE and changes nothing (VAL-086)", () => {
    const { alice, bob } = pair(deps);
    const { messages } = sendMany(deps, alice, 3);
    const after = groupDecrypt(deps, bob, groupId, messages[2] as Uint8Array).state;
    const again = groupDecrypt(deps, after, groupId, messages[0] as Uint8Array).state;
    expect(codeOf(() => groupDecrypt(deps, again, groupId, messages[0] as Uint8Array))).toBe(ErrorCode.DuplicateMessage);
    expect(codeOf(() => groupDecrypt(deps, after, groupId, messages[2] as Uint8Array))).toBe(ErrorCode.DuplicateMessage);
    expect(encodeSenderKeyState(again)).toEqual(encodeSenderKeyState(groupDecrypt(deps, after, groupId, messages[0] as Uint8Array).state));
  });

  test("a later member cannot read messages sent before its distribution", () => {
    let { alice } = pair(deps);
    const before = sendMany(deps, alice, 3);
    alice = before.state;
    const late = senderKeyFromDistribution(decodeSenderKeyDistribution(encodeSenderKeyDistribution(alice)));
    expect(late.iteration).toBe(3);
    for (const m of before.messages) expect(codeOf(() => groupDecrypt(deps, late, groupId, m))).toBe(ErrorCode.DuplicateMessage);
    // Not even by running the chain by hand: the chain only goes forward.
    for (const m of before.messages) expect(openWithChain(deps, late.chainKey, late.iteration, m)).toBeUndefined();
    const next = groupEncrypt(deps, alice, groupId, utf8("now"));
    expect(text(groupDecrypt(deps, late, groupId, next.message).plaintext)).toBe("now");
  });

  test("a removed member keeping its keys cannot read anything sent with the rotated key", () => {
    let { alice, bob: removed } = pair(deps);
    alice = sendMany(deps, alice, 2).state;
    const rotated = createSenderKey(deps);
    const after = sendMany(deps, rotated, 3).messages;
    for (const m of after) {
      expect(codeOf(() => groupDecrypt(deps, removed, groupId, m))).toBe(ErrorCode.NoSession);
      // Pretend the key id matches: the signature is another key's.
      expect(codeOf(() => groupDecrypt(deps, senderKeyState({ ...removed, keyId: rotated.keyId }), groupId, m))).toBe(
        ErrorCode.InvalidSignature,
      );
      expect(openWithChain(deps, removed.chainKey, removed.iteration, m)).toBeUndefined();
      expect(openWithChain(deps, alice.chainKey, alice.iteration, m)).toBeUndefined();
    }
  });

  test("a member holding the chain key cannot forge the sender's messages (VAL-083)", () => {
    const { alice, bob } = pair(deps);
    const carol = senderKeyFromDistribution(decodeSenderKeyDistribution(encodeSenderKeyDistribution(alice)));
    // Carol, a member, builds a message with the right key but signs with her own signing key.
    const forger = senderKeyState({ ...carol, signingPrivateKey: createSenderKey(deps).signingPrivateKey });
    const forged = groupEncrypt(deps, forger, groupId, utf8("pay Carol")).message;
    expect(codeOf(() => groupDecrypt(deps, bob, groupId, forged))).toBe(ErrorCode.InvalidSignature);
    // The AEAD alone would have accepted it: the signature is what stops the insider.
    const m = decodeGroupMessage(forged);
    const key = kdfSenderKey(deps, bob.chainKey).messageKey;
    expect(deps.crypto.aeadDecrypt(key, m.nonce, m.ciphertext, m.header)).not.toBeNull();
  });

  test("a forged message is refused before any key is derived: it costs one signature check", () => {
    const { alice, bob } = pair(deps);
    // An insider (or the relay) claims a message far ahead, which would make Bob derive keys.
    const forger = senderKeyState({ ...alice, signingPrivateKey: createSenderKey(deps).signingPrivateKey });
    const far = senderKeyState({ ...forger, iteration: MAX_GROUP_SKIP });
    const forged = groupEncrypt(deps, far, groupId, utf8("x")).message;
    const calls = { hmac: 0, hkdf: 0, verify: 0, aead: 0 };
    const counting: Deps = {
      ...deps,
      crypto: {
        ...deps.crypto,
        name: deps.crypto.name,
        hmacSha256: (k, d) => {
          calls.hmac++;
          return deps.crypto.hmacSha256(k, d);
        },
        hkdfSha256: (i, salt, info, l) => {
          calls.hkdf++;
          return deps.crypto.hkdfSha256(i, salt, info, l);
        },
        ed25519Verify: (p, m, g) => {
          calls.verify++;
          return deps.crypto.ed25519Verify(p, m, g);
        },
        aeadDecrypt: (k, n, c, a) => {
          calls.aead++;
          return deps.crypto.aeadDecrypt(k, n, c, a);
        },
      },
    };
    expect(codeOf(() => groupDecrypt(counting, bob, groupId, forged))).toBe(ErrorCode.InvalidSignature);
    expect(calls).toEqual({ hmac: 0, hkdf: 0, verify: 1, aead: 0 });
    // The genuine message at the same distance does derive (and is accepted).
    const genuine = senderKeyState({ ...alice, iteration: MAX_GROUP_SKIP, chainKey: chainAt(deps, alice.chainKey, MAX_GROUP_SKIP) });
    expect(text(groupDecrypt(counting, bob, groupId, groupEncrypt(deps, genuine, groupId, utf8("y")).message).plaintext)).toBe("y");
    expect(calls.verify).toBe(2);
    expect(calls.aead).toBe(1);
  });

  test("every byte of a message is covered: a flipped bit anywhere is refused and changes nothing", () => {
    const { alice, bob } = pair(deps);
    const message = groupEncrypt(deps, alice, groupId, utf8("integrity")).message;
    const before = encodeSenderKeyState(bob);
    for (let at = 0; at < message.length; at++) {
      const copy = message.slice();
      copy[at] = (copy[at] as number) ^ 1;
      const code = codeOf(() => groupDecrypt(deps, bob, groupId, copy));
      expect(code).not.toBe("none");
      expect([ErrorCode.UnsupportedVersion, ErrorCode.InvalidEncoding, ErrorCode.NoSession, ErrorCode.InvalidSignature]).toContain(code);
    }
    expect(encodeSenderKeyState(bob)).toEqual(before);
  });

  test("a message for another group or key id is ERR_NO_SESSION (VAL-082)", () => {
    const { alice, bob } = pair(deps);
    const message = groupEncrypt(deps, alice, groupId, utf8("x")).message;
    expect(codeOf(() => groupDecrypt(deps, bob, otherGroup, message))).toBe(ErrorCode.NoSession);
    expect(codeOf(() => groupDecrypt(deps, { ...bob, keyId: (bob.keyId + 1) >>> 0 }, groupId, message))).toBe(ErrorCode.NoSession);
  });

  test("a validly signed message whose AEAD fails is ERR_DECRYPT_FAILED", () => {
    const { alice, bob } = pair(deps);
    const m = decodeGroupMessage(groupEncrypt(deps, alice, groupId, utf8("x")).message);
    const ciphertext = m.ciphertext.slice();
    ciphertext[0] = (ciphertext[0] as number) ^ 1;
    const signed = concatBytes(m.header, ciphertext);
    const key = { publicKey: alice.signingPublicKey, privateKey: alice.signingPrivateKey as Uint8Array };
    const signature = deps.crypto.ed25519Sign(key, concatBytes(LABEL_GROUP_MESSAGE, new Uint8Array(1), signed));
    expect(codeOf(() => groupDecrypt(deps, bob, groupId, concatBytes(signed, signature)))).toBe(ErrorCode.DecryptFailed);
  });

  test(`a skip of MAX_GROUP_SKIP (${MAX_GROUP_SKIP}) keys is accepted, one more is ERR_TOO_MANY_SKIPPED (VAL-084)`, () => {
    const { alice, bob } = pair(deps);
    const ahead = senderKeyState({ ...alice, iteration: MAX_GROUP_SKIP, chainKey: chainAt(deps, alice.chainKey, MAX_GROUP_SKIP) });
    const atLimit = groupEncrypt(deps, ahead, groupId, utf8("N")).message;
    const got = groupDecrypt(deps, bob, groupId, atLimit);
    expect(text(got.plaintext)).toBe("N");
    expect(got.state.skippedKeys.size).toBe(MAX_GROUP_SKIP);
    const beyond = senderKeyState({ ...ahead, iteration: MAX_GROUP_SKIP + 1, chainKey: kdfSenderKey(deps, ahead.chainKey).nextChainKey });
    expect(codeOf(() => groupDecrypt(deps, bob, groupId, groupEncrypt(deps, beyond, groupId, utf8("N+1")).message))).toBe(
      ErrorCode.TooManySkipped,
    );
  });

  test(`skipped keys are capped at MAX_GROUP_SKIPPED_KEYS (${MAX_GROUP_SKIPPED_KEYS}), oldest evicted and counted (VAL-085)`, () => {
    const { alice, bob } = pair(deps);
    const jump = (from: SenderKeyState, to: number) =>
      senderKeyState({ ...from, iteration: to, chainKey: chainAt(deps, alice.chainKey, to) });
    const first = groupDecrypt(deps, bob, groupId, groupEncrypt(deps, jump(alice, MAX_GROUP_SKIPPED_KEYS), groupId, utf8("a")).message);
    expect(first.state.skippedKeys.size).toBe(MAX_GROUP_SKIPPED_KEYS);
    expect(first.lost).toBe(0);
    const second = groupDecrypt(
      deps,
      first.state,
      groupId,
      groupEncrypt(deps, jump(alice, MAX_GROUP_SKIPPED_KEYS + 2), groupId, utf8("b")).message,
    );
    expect(second.state.skippedKeys.size).toBe(MAX_GROUP_SKIPPED_KEYS);
    expect(second.lost).toBe(1);
    expect(second.state.skippedKeys.has(0)).toBe(false);
    const zero = groupEncrypt(deps, alice, groupId, utf8("0")).message;
    expect(codeOf(() => groupDecrypt(deps, second.state, groupId, zero))).toBe(ErrorCode.DuplicateMessage);
    const one = groupEncrypt(deps, jump(alice, 1), groupId, utf8("1")).message;
    expect(text(groupDecrypt(deps, second.state, groupId, one).plaintext)).toBe("1");
  });

  test("the last message number is MAX_CHAIN_INDEX: encryption refuses the next and decoding refuses beyond it", () => {
    const { alice } = pair(deps);
    const last = groupEncrypt(deps, senderKeyState({ ...alice, iteration: MAX_CHAIN_INDEX }), groupId, utf8("last"));
    expect(parseGroupMessageHeader(last.message).iteration).toBe(MAX_CHAIN_INDEX);
    expect(codeOf(() => groupEncrypt(deps, last.state, groupId, utf8("x")))).toBe(ErrorCode.LimitExceeded);
    const beyond = last.message.slice();
    new DataView(beyond.buffer).setUint32(22, MAX_CHAIN_INDEX + 1);
    expect(codeOf(() => parseGroupMessageHeader(beyond))).toBe(ErrorCode.InvalidEncoding);
    expect(decodeSenderKeyState(encodeSenderKeyState(last.state)).iteration).toBe(MAX_CHAIN_INDEX + 1);
  });

  test("misuse throws TypeError / RangeError, not a protocol error", () => {
    const { alice, bob } = pair(deps);
    expect(() => groupEncrypt(deps, bob, groupId, utf8("x"))).toThrow(TypeError);
    expect(() => groupEncrypt(deps, alice, new Uint8Array(15), utf8("x"))).toThrow(RangeError);
  });

  test("states round-trip through the serialized form, own and received, with skipped keys", () => {
    const { alice, bob } = pair(deps);
    const sent = sendMany(deps, alice, 5);
    const bobAfter = groupDecrypt(deps, bob, groupId, sent.messages[4] as Uint8Array).state;
    for (const s of [alice, sent.state, bob, bobAfter]) {
      const encoded = encodeSenderKeyState(s);
      const loaded = decodeSenderKeyState(encoded);
      expect(encodeSenderKeyState(loaded)).toEqual(encoded);
      expect(loaded.signingPrivateKey).toEqual(s.signingPrivateKey);
      expect([...loaded.skippedKeys.keys()]).toEqual([...s.skippedKeys.keys()]);
    }
    const reloaded = decodeSenderKeyState(encodeSenderKeyState(bobAfter));
    expect(text(groupDecrypt(deps, reloaded, groupId, sent.messages[2] as Uint8Array).plaintext)).toBe("m2");
    const aliceReloaded = decodeSenderKeyState(encodeSenderKeyState(sent.state));
    expect(text(groupDecrypt(deps, bobAfter, groupId, groupEncrypt(deps, aliceReloaded, groupId, utf8("go")).message).plaintext)).toBe(
      "go",
    );
  });

  test("deterministic with a seeded random source, fresh otherwise", () => {
    const a = createSenderKey({ ...deps, random: seededRandom(5) });
    const b = createSenderKey({ ...deps, random: seededRandom(5) });
    expect(encodeSenderKeyState(a)).toEqual(encodeSenderKeyState(b));
    expect(encodeSenderKeyState(createSenderKey(deps))).not.toEqual(encodeSenderKeyState(createSenderKey(deps)));
  });

  test("two messages from one state (a rolled-back store) still use different nonces", () => {
    const { alice } = pair(deps);
    const one = decodeGroupMessage(groupEncrypt(deps, alice, groupId, utf8("one")).message);
    const two = decodeGroupMessage(groupEncrypt(deps, alice, groupId, utf8("two")).message);
    expect(one.iteration).toBe(two.iteration);
    expect(hex(one.nonce)).not.toBe(hex(two.nonce));
  });
});

describe("sender key encodings", () => {
  const deps = (allDeps[0] as [string, Deps])[1];

  test("a distribution is 74 bytes and round-trips", () => {
    const alice = createSenderKey(deps);
    const encoded = encodeSenderKeyDistribution(alice);
    expect(encoded.length).toBe(SENDER_KEY_DISTRIBUTION_LENGTH);
    expect(SENDER_KEY_DISTRIBUTION_LENGTH).toBe(74);
    const d = decodeSenderKeyDistribution(encoded);
    expect([d.keyId, d.iteration, hex(d.chainKey), hex(d.signingPublicKey)]).toEqual([
      alice.keyId,
      0,
      hex(alice.chainKey),
      hex(alice.signingPublicKey),
    ]);
    expect(senderKeyFromDistribution(d).signingPrivateKey).toBeUndefined();
  });

  test("distribution decoding rejects wrong version, type, length and iteration (VAL-080)", () => {
    const good = encodeSenderKeyDistribution(createSenderKey(deps));
    const withByte = (at: number, v: number) => {
      const c = good.slice();
      c[at] = v;
      return c;
    };
    expect(codeOf(() => decodeSenderKeyDistribution(withByte(0, 2)))).toBe(ErrorCode.UnsupportedVersion);
    expect(codeOf(() => decodeSenderKeyDistribution(withByte(1, 0x10)))).toBe(ErrorCode.InvalidEncoding);
    expect(codeOf(() => decodeSenderKeyDistribution(good.subarray(0, 73)))).toBe(ErrorCode.InvalidEncoding);
    expect(codeOf(() => decodeSenderKeyDistribution(Uint8Array.of(...good, 0)))).toBe(ErrorCode.InvalidEncoding);
    const maxIteration = good.slice();
    new DataView(maxIteration.buffer).setUint32(6, 0xffff_ffff);
    expect(decodeSenderKeyDistribution(maxIteration).iteration).toBe(0xffff_ffff);
  });

  test("group message decoding: minimum length is header + tag + signature (VAL-081)", () => {
    const alice = createSenderKey(deps);
    const empty = groupEncrypt(deps, alice, groupId, new Uint8Array(0)).message;
    expect(empty.length).toBe(GROUP_MESSAGE_OVERHEAD);
    expect(GROUP_MESSAGE_OVERHEAD).toBe(38 + 16 + 64);
    expect(decodeGroupMessage(empty).ciphertext.length).toBe(16);
    expect(codeOf(() => decodeGroupMessage(empty.subarray(0, empty.length - 1)))).toBe(ErrorCode.InvalidEncoding);
    expect(codeOf(() => decodeGroupMessage(Uint8Array.of(1, 0x11, ...empty.subarray(2))))).toBe(ErrorCode.InvalidEncoding);
    expect(codeOf(() => decodeGroupMessage(Uint8Array.of(2, ...empty.subarray(1))))).toBe(ErrorCode.UnsupportedVersion);
  });

  test("state loading rejects corrupt input with ERR_INVALID_STATE only", () => {
    const alice = createSenderKey(deps);
    const own = encodeSenderKeyState(alice);
    expect(codeOf(() => decodeSenderKeyState(Uint8Array.of(2, ...own.subarray(1))))).toBe(ErrorCode.InvalidState);
    expect(codeOf(() => decodeSenderKeyState(Uint8Array.of(1, 2, ...own.subarray(2))))).toBe(ErrorCode.InvalidState);
    expect(codeOf(() => decodeSenderKeyState(own.subarray(0, own.length - 1)))).toBe(ErrorCode.InvalidState);
    expect(codeOf(() => decodeSenderKeyState(Uint8Array.of(...own, 0)))).toBe(ErrorCode.InvalidState);
    // A skipped key at or above the next iteration, or out of order, cannot have been written by us.
    const skipped = (iteration: number, keys: number[]) =>
      encodeSenderKeyState(senderKeyState({ ...alice, iteration, skippedKeys: new Map(keys.map((k) => [k, new Uint8Array(32)])) }));
    expect(decodeSenderKeyState(skipped(5, [1, 4])).skippedKeys.size).toBe(2);
    expect(codeOf(() => decodeSenderKeyState(skipped(5, [1, 5])))).toBe(ErrorCode.InvalidState);
    expect(codeOf(() => decodeSenderKeyState(skipped(5, [3, 1])))).toBe(ErrorCode.InvalidState);
  });

  test(`state loading accepts MAX_GROUP_SKIPPED_KEYS (${MAX_GROUP_SKIPPED_KEYS}) skipped keys and refuses one more`, () => {
    const alice = createSenderKey(deps);
    const withSkipped = (n: number) =>
      encodeSenderKeyState(
        senderKeyState({ ...alice, iteration: n, skippedKeys: new Map(Array.from({ length: n }, (_, i) => [i, new Uint8Array(32)])) }),
      );
    expect(decodeSenderKeyState(withSkipped(MAX_GROUP_SKIPPED_KEYS)).skippedKeys.size).toBe(MAX_GROUP_SKIPPED_KEYS);
    expect(codeOf(() => decodeSenderKeyState(withSkipped(MAX_GROUP_SKIPPED_KEYS + 1)))).toBe(ErrorCode.InvalidState);
  });

  test("states and distributions never print their secrets", () => {
    const alice = createSenderKey(deps);
    const d = decodeSenderKeyDistribution(encodeSenderKeyDistribution(alice));
    const loaded = decodeSenderKeyState(encodeSenderKeyState(alice));
    for (const value of [alice, d, loaded]) {
      const printed = [JSON.stringify(value), inspect(value), String(value), inspect({ nested: value })].join("\n");
      expect(printed).not.toContain(hex(alice.chainKey));
      expect(printed).not.toContain(hex(alice.signingPrivateKey as Uint8Array));
      expect(printed).toContain(hex(alice.signingPublicKey));
    }
  });
});

/** The chain key `n` steps after `chainKey`. */
function chainAt(deps: Deps, chainKey: Uint8Array, n: number): Uint8Array {
  let key = chainKey;
  for (let i = 0; i < n; i++) key = kdfSenderKey(deps, key).nextChainKey;
  return key;
}

/**
 * An attacker's try at a message without the API's checks: run the chain forward from a held
 * chain key to the message's iteration and try the AEAD. Undefined when it does not open.
 */
function openWithChain(deps: Deps, chainKey: Uint8Array, iteration: number, message: Uint8Array): Uint8Array | undefined {
  const m = decodeGroupMessage(message);
  if (m.iteration < iteration) return undefined;
  const key = kdfSenderKey(deps, chainAt(deps, chainKey, m.iteration - iteration)).messageKey;
  return deps.crypto.aeadDecrypt(key, m.nonce, m.ciphertext, m.header) ?? undefined;
}
