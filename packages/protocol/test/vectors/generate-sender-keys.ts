// Generator of test-vectors/sender-keys.json (spec/groups.md), hooked into generate.ts. Its own
// seed string keeps the other vector files unchanged. Every random value drawn is listed by name,
// and every derived value (chain keys, message seeds and keys, signatures, whole messages) is
// recomputed here from the spec's formulas with the bare primitives and asserted against what the
// implementation produced, so the generator refuses to write vectors that disagree with the spec.
import { concatBytes, bytesToHex as hex } from "../../src/crypto/bytes.js";
import type { CryptoProvider } from "../../src/crypto/provider.js";
import type { Deps } from "../../src/deps.js";
import { ParleyError } from "../../src/errors.js";
import {
  createSenderKey,
  decodeGroupMessage,
  decodeSenderKeyDistribution,
  decodeSenderKeyState,
  encodeSenderKeyDistribution,
  encodeSenderKeyState,
  groupDecrypt,
  groupEncrypt,
  type SenderKeyState,
  senderKeyFromDistribution,
} from "../../src/group/sender-key.js";
import { senderKeyState } from "../../src/group/sender-key-state.js";
import { LABEL_GROUP_MESSAGE, LABEL_GROUP_MESSAGE_KEY } from "../../src/labels.js";
import { MAX_GROUP_SKIP } from "../../src/limits.js";
import { seededStream } from "./seeded.js";

const SEED = "parley sender-key vectors v1";

const utf8 = (s: string) => new TextEncoder().encode(s);
const text = (b: Uint8Array) => new TextDecoder().decode(b);

function check(condition: boolean, what: string): void {
  if (!condition) throw new Error(`sender-key vector generator: ${what} disagrees with the specification`);
}

function errorCode(fn: () => unknown): string {
  try {
    fn();
  } catch (error) {
    if (error instanceof ParleyError) return error.code;
    throw error;
  }
  return "none";
}

const flip = (b: Uint8Array, at: number) => {
  const c = b.slice();
  c[at] = (c[at] as number) ^ 1;
  return c;
};

/** The content of test-vectors/sender-keys.json. */
export function generateSenderKeyVectors(crypto: CryptoProvider): Record<string, unknown> {
  const stream = seededStream(crypto, SEED);
  let recording: Uint8Array[] | undefined;
  const random = (n: number) => {
    const out = stream(n);
    recording?.push(out.slice());
    return out;
  };
  const deps: Deps = { crypto, random };
  const record = <T>(step: () => T): [T, Uint8Array[]] => {
    recording = [];
    const drawn = recording;
    try {
      return [step(), drawn];
    } finally {
      recording = undefined;
    }
  };
  // spec/groups.md §3, with the bare primitives.
  const kdf = (ck: Uint8Array) => {
    const seed = crypto.hmacSha256(ck, Uint8Array.of(1));
    return {
      seed,
      messageKey: crypto.hkdfSha256(seed, new Uint8Array(0), LABEL_GROUP_MESSAGE_KEY, 32),
      next: crypto.hmacSha256(ck, Uint8Array.of(2)),
    };
  };
  const signedPart = (bytes: Uint8Array) => concatBytes(LABEL_GROUP_MESSAGE, new Uint8Array(1), bytes);

  // §2: createSenderKey draws the key id, the chain key and the signing seed, in that order.
  const [created, [keyIdBytes, chainKey0, signingSeed]] = record(() => createSenderKey(deps)) as [
    SenderKeyState,
    [Uint8Array, Uint8Array, Uint8Array],
  ];
  check(created.keyId === new DataView(keyIdBytes.buffer).getUint32(0), "key id");
  check(hex(created.chainKey) === hex(chainKey0), "chain key");
  check(hex(created.signingPublicKey) === hex(crypto.ed25519PublicKey(signingSeed)), "signing key");
  const [groupId] = record(() => random(16)) as [Uint8Array, Uint8Array[]];
  const distribution = encodeSenderKeyDistribution(created);

  // Alice sends five messages; each is recomputed from the formulas.
  let alice = created;
  let chainKey = chainKey0;
  const plaintexts = ["Hello group", "second", "third", "fourth", "after Carol joined"];
  const messages: Uint8Array[] = [];
  const sends: Record<string, unknown>[] = [];
  let carolDistribution: Uint8Array = new Uint8Array(0);
  for (const [i, plaintext] of plaintexts.entries()) {
    if (i === 4) carolDistribution = encodeSenderKeyDistribution(alice);
    const [out, [nonce]] = record(() => groupEncrypt(deps, alice, groupId, utf8(plaintext))) as [
      { state: SenderKeyState; message: Uint8Array },
      [Uint8Array],
    ];
    const k = kdf(chainKey);
    const header = concatBytes(Uint8Array.of(1, 0x10), groupId, u32(created.keyId), u32(i), nonce);
    const ciphertext = crypto.aeadEncrypt(k.messageKey, nonce, utf8(plaintext), header);
    const signature = crypto.ed25519Sign(
      { publicKey: created.signingPublicKey, privateKey: signingSeed },
      signedPart(concatBytes(header, ciphertext)),
    );
    check(hex(out.message) === hex(concatBytes(header, ciphertext, signature)), `message ${i}`);
    sends.push({
      iteration: i,
      plaintext,
      chainKey: hex(chainKey),
      messageSeed: hex(k.seed),
      messageKey: hex(k.messageKey),
      nextChainKey: hex(k.next),
      nonce: hex(nonce),
      header: hex(header),
      signature: hex(signature),
      message: hex(out.message),
    });
    messages.push(out.message);
    alice = out.state;
    chainKey = k.next;
  }

  // Bob, from the first distribution, receives out of order, a duplicate and a forgery.
  let bob = senderKeyFromDistribution(decodeSenderKeyDistribution(distribution));
  const bobInitial = bob;
  let bobWithSkipped: Uint8Array = new Uint8Array(0);
  const events: Record<string, unknown>[] = [];
  const receive = (index: number, bytes = messages[index] as Uint8Array, note?: string) => {
    const entry: Record<string, unknown> = { index, ...(note ? { note, input: hex(bytes) } : {}) };
    try {
      const result = groupDecrypt(deps, bob, groupId, bytes);
      bob = result.state;
      events.push({
        ...entry,
        plaintext: text(result.plaintext),
        iterationAfter: bob.iteration,
        skippedAfter: [...bob.skippedKeys.keys()],
      });
    } catch (error) {
      if (!(error instanceof ParleyError)) throw error;
      events.push({ ...entry, expectedError: error.code });
    }
  };
  receive(0);
  receive(3); // skips 1 and 2
  bobWithSkipped = encodeSenderKeyState(bob);
  receive(1);
  receive(1); // duplicate
  receive(2, flip(messages[2] as Uint8Array, (messages[2] as Uint8Array).length - 1), "signature's last byte XOR 0x01");
  receive(2);
  receive(4);

  // Carol joins after four messages: her distribution carries iteration 4.
  const carol = senderKeyFromDistribution(decodeSenderKeyDistribution(carolDistribution));
  check(carol.iteration === 4, "joiner's iteration");
  const carolEvents = [0, 3, 4].map((index) => {
    const code = errorCode(() => groupDecrypt(deps, carol, groupId, messages[index] as Uint8Array));
    return code === "none"
      ? { index, plaintext: text(groupDecrypt(deps, carol, groupId, messages[index] as Uint8Array).plaintext) }
      : { index, expectedError: code };
  });

  // A validly signed message whose AEAD fails (only the sender can make one).
  const m0 = decodeGroupMessage(messages[0] as Uint8Array);
  const badAead = concatBytes(m0.header, flip(m0.ciphertext, 0));
  const badAeadMessage = concatBytes(
    badAead,
    crypto.ed25519Sign({ publicKey: created.signingPublicKey, privateKey: signingSeed }, signedPart(badAead)),
  );
  // Messages MAX_GROUP_SKIP and MAX_GROUP_SKIP + 1 keys ahead of Bob's initial state.
  const ahead = (skip: number) => {
    let ck = chainKey0;
    for (let i = 0; i < skip; i++) ck = kdf(ck).next;
    return groupEncrypt(deps, senderKeyState({ ...created, iteration: skip, chainKey: ck }), groupId, utf8(`skip ${skip}`)).message;
  };
  const atLimit = ahead(MAX_GROUP_SKIP);
  const beyondLimit = ahead(MAX_GROUP_SKIP + 1);
  const atLimitResult = groupDecrypt(deps, bobInitial, groupId, atLimit);
  check(atLimitResult.state.skippedKeys.size === MAX_GROUP_SKIP, "skip at the limit");

  const ownState = encodeSenderKeyState(created);
  check(hex(encodeSenderKeyState(decodeSenderKeyState(ownState))) === hex(ownState), "own state round trip");
  check(hex(encodeSenderKeyState(decodeSenderKeyState(bobWithSkipped))) === hex(bobWithSkipped), "received state round trip");
  const otherGroup = flip(groupId, 0);
  const iterationMax = (messages[0] as Uint8Array).slice();
  iterationMax.set(u32(0xffff_ffff), 22);

  const failures = [
    { name: "distribution version 2", operation: "decodeSenderKeyDistribution", input: Uint8Array.of(2, ...distribution.subarray(1)) },
    {
      name: "distribution of type 0x10",
      operation: "decodeSenderKeyDistribution",
      input: Uint8Array.of(1, 0x10, ...distribution.subarray(2)),
    },
    { name: "distribution truncated", operation: "decodeSenderKeyDistribution", input: distribution.subarray(0, 73) },
    { name: "distribution with a trailing byte", operation: "decodeSenderKeyDistribution", input: Uint8Array.of(...distribution, 0) },
    {
      name: "group message version 2",
      operation: "decodeGroupMessage",
      input: Uint8Array.of(2, ...(messages[0] as Uint8Array).subarray(1)),
    },
    {
      name: "group message of type 0x11",
      operation: "decodeGroupMessage",
      input: Uint8Array.of(1, 0x11, ...(messages[0] as Uint8Array).subarray(2)),
    },
    {
      name: "group message shorter than header + tag + signature",
      operation: "decodeGroupMessage",
      input: (messages[0] as Uint8Array).subarray(0, 38 + 16 + 63),
    },
    { name: "group message with iteration 0xffffffff", operation: "decodeGroupMessage", input: iterationMax },
    {
      name: "group message for another group (first group id byte XOR 0x01)",
      operation: "groupDecryptOtherGroup",
      input: messages[0] as Uint8Array,
    },
    { name: "group message with another key id", operation: "groupDecrypt", input: (messages[0] as Uint8Array).slice().fill(0xff, 18, 22) },
    {
      name: "group message signature byte 0 XOR 0x01",
      operation: "groupDecrypt",
      input: flip(messages[0] as Uint8Array, (messages[0] as Uint8Array).length - 64),
    },
    {
      name: "group message ciphertext byte 0 XOR 0x01 (signature no longer matches)",
      operation: "groupDecrypt",
      input: flip(messages[0] as Uint8Array, 38),
    },
    {
      name: "group message validly signed over a ciphertext whose byte 0 is XORed with 0x01",
      operation: "groupDecrypt",
      input: badAeadMessage,
    },
    { name: `group message ${MAX_GROUP_SKIP + 1} keys ahead`, operation: "groupDecrypt", input: beyondLimit },
    { name: "sender key state of format 2", operation: "decodeSenderKeyState", input: Uint8Array.of(2, ...ownState.subarray(1)) },
    { name: "sender key state with unknown flags", operation: "decodeSenderKeyState", input: Uint8Array.of(1, 2, ...ownState.subarray(2)) },
    { name: "sender key state truncated", operation: "decodeSenderKeyState", input: bobWithSkipped.subarray(0, bobWithSkipped.length - 1) },
    {
      name: "sender key state with skipped keys out of order",
      operation: "decodeSenderKeyState",
      input: concatBytes(bobWithSkipped.subarray(0, 76), bobWithSkipped.subarray(76 + 36, 76 + 72), bobWithSkipped.subarray(76, 76 + 36)),
    },
  ].map((c) => {
    const run: Record<string, () => unknown> = {
      decodeSenderKeyDistribution: () => decodeSenderKeyDistribution(c.input),
      decodeGroupMessage: () => decodeGroupMessage(c.input),
      groupDecrypt: () => groupDecrypt(deps, bobInitial, groupId, c.input),
      groupDecryptOtherGroup: () => groupDecrypt(deps, bobInitial, otherGroup, c.input),
      decodeSenderKeyState: () => decodeSenderKeyState(c.input),
    };
    const operation = run[c.operation];
    if (!operation) throw new Error(`unknown operation ${c.operation}`);
    return { name: c.name, operation: c.operation, input: hex(c.input), expectedError: errorCode(operation) };
  });
  check(
    failures.every((c) => c.expectedError !== "none"),
    "every failure case fails",
  );

  return {
    "sender-keys.json": {
      description:
        "Sender keys (spec/groups.md). Alice makes a sender key (drawing keyIdBytes, chainKey, signingSeed in that order) and sends five group messages; 'sends' lists each message's chain key, message seed HMAC(ck, 0x01), message key HKDF(seed, '', 'Parley/v1/group-message-key', 32), next chain key, random nonce and signature. Bob, from 'distribution', receives in the order of 'bobEvents' ('skippedAfter' lists the iterations of his skipped keys); Carol receives 'carolDistribution' (iteration 4) after four messages. Failures are applied to Bob's state from 'distribution' (operation groupDecrypt) with 'groupId', or with the group id whose first byte is XORed with 0x01 (groupDecryptOtherGroup).",
      groupId: hex(groupId),
      sender: {
        keyIdBytes: hex(keyIdBytes),
        keyId: created.keyId,
        chainKey: hex(chainKey0),
        signingSeed: hex(signingSeed),
        signingPublicKey: hex(created.signingPublicKey),
        encodedState: hex(ownState),
      },
      distribution: hex(distribution),
      sends,
      bobEvents: events,
      bobStateWithSkipped: {
        encoded: hex(bobWithSkipped),
        iteration: 4,
        skipped: [1, 2].map((i) => ({ iteration: i, messageKey: (sends[i] as { messageKey: string }).messageKey })),
      },
      carolDistribution: hex(carolDistribution),
      carolEvents,
      skipLimit: {
        maxGroupSkip: MAX_GROUP_SKIP,
        atLimit: { message: hex(atLimit), plaintext: text(atLimitResult.plaintext), skippedAfter: atLimitResult.state.skippedKeys.size },
      },
      failures,
    },
  };
}

function u32(n: number): Uint8Array {
  const out = new Uint8Array(4);
  new DataView(out.buffer).setUint32(0, n);
  return out;
}
