// The test-vector generator. `npm run vectors` writes its output to test-vectors/*.json; the
// tests run it again with every provider and require byte-identical results. All randomness
// comes from a seeded counter-mode SHA-256 stream, and every random value used is written into
// the vectors by name, so another implementation can check each step without reproducing the
// stream. Intermediate values (DH outputs, session key, message keys) are recomputed here from
// the spec's formulas and asserted against what the implementation did.
import { type Content, decodeContent, encodeContent } from "../../src/content/content.js";
import { unpad } from "../../src/content/padding.js";
import { concatBytes, bytesToHex as hex } from "../../src/crypto/bytes.js";
import type { CryptoProvider } from "../../src/crypto/provider.js";
import type { Deps } from "../../src/deps.js";
import { openEnvelope, sealEnvelope } from "../../src/envelope/sealed.js";
import { ParleyError } from "../../src/errors.js";
import { ASSOCIATED_DATA_LENGTH, associatedData } from "../../src/handshake/pqxdh.js";
import { type DeviceKeys, decodeDeviceCertificate, generateDevice, verifyDeviceCertificate } from "../../src/keys/device-certificate.js";
import { signDeviceList } from "../../src/keys/device-list.js";
import { type AccountKeys, generateAccount } from "../../src/keys/identity.js";
import {
  decodeKemPreKey,
  decodeSignedPreKey,
  generateKemPreKey,
  generateOneTimePreKeys,
  generateSignedPreKey,
  type KemPreKeySecret,
  type PreKeySecret,
} from "../../src/keys/prekeys.js";
import { LABEL_PQXDH, LABEL_SEALED, LABEL_SEALED_SENDER, PQXDH_PREFIX } from "../../src/labels.js";
import { kdfChain, kdfRoot } from "../../src/ratchet/kdf.js";
import { decodePreKeyMessage, decodeRatchetMessage } from "../../src/ratchet/message.js";
import { fingerprint, fingerprintDigits, safetyNumber } from "../../src/safety-number.js";
import { decryptMessage, encryptMessage, initiateSession, type SessionRecord } from "../../src/session/record.js";
import { decodeSessionRecord, encodeSessionRecord } from "../../src/session/serialize.js";
import { generateAttachmentVectors } from "./generate-attachments.js";
import { generateBackupVectors } from "./generate-backup.js";
import { generateGroupStateVectors } from "./generate-group-state.js";
import { generateSealedMultiVectors } from "./generate-sealed-multi.js";
import { generateSenderKeyVectors } from "./generate-sender-keys.js";
import { seededStream } from "./seeded.js";

/** Fixed clock of the vectors: 2026-01-01T00:00:00Z. */
export const VECTOR_TIME = 1_767_225_600_000;
const SEED = "parley test vectors v1";

const utf8 = (s: string) => new TextEncoder().encode(s);
const text = (b: Uint8Array) => new TextDecoder().decode(b);

function check(condition: boolean, what: string): void {
  if (!condition) throw new Error(`vector generator: ${what} disagrees with the specification`);
}

function describeAccount(a: AccountKeys) {
  return { seed: hex(a.signingKey.privateKey), publicKey: hex(a.publicKey), userId: hex(a.userId) };
}

function describeDevice(d: DeviceKeys) {
  const cert = decodeDeviceCertificate(d.certificate);
  return {
    deviceId: d.deviceId,
    signingSeed: hex(d.signingKey.privateKey),
    signingPublicKey: hex(d.signingKey.publicKey),
    identityPrivateKey: hex(d.identityKey.privateKey),
    identityPublicKey: hex(d.identityKey.publicKey),
    issuedAt: cert.issuedAt,
    certificate: hex(d.certificate),
  };
}

interface Party {
  account: AccountKeys;
  device: DeviceKeys;
  signed: PreKeySecret;
  oneTime: PreKeySecret;
  kem: KemPreKeySecret;
  /** The 64-byte seed `d ‖ z` the one-time ML-KEM prekey was generated from (FIPS 203 KeyGen). */
  kemSeed: Uint8Array;
  lastResort: KemPreKeySecret;
}

/** `record` runs a step and returns what it drew from the random stream, in order. */
function party(deps: Deps, record: <T>(step: () => T) => [T, Uint8Array[]]): Party {
  const account = generateAccount(deps);
  const device = generateDevice(deps, account, 1);
  const signed = generateSignedPreKey(deps, device, 1);
  const oneTime = generateOneTimePreKeys(deps, 1, 1)[0] as PreKeySecret;
  const [kem, [kemSeed]] = record(() => generateKemPreKey(deps, device, 1, "one-time"));
  return {
    account,
    device,
    signed,
    oneTime,
    kem,
    kemSeed: kemSeed as Uint8Array,
    lastResort: generateKemPreKey(deps, device, 2, "last-resort"),
  };
}

const lookupFor = (p: Party) => ({
  signedPreKey: (id: number) => (id === p.signed.id ? p.signed : undefined),
  oneTimePreKey: (id: number) => (id === p.oneTime.id ? p.oneTime : undefined),
  kemPreKey: (id: number) => [p.kem, p.lastResort].find((k) => k.id === id),
});

function errorCode(fn: () => unknown): string {
  try {
    fn();
  } catch (error) {
    if (error instanceof ParleyError) return error.code;
    throw error;
  }
  return "none";
}

/** Every vector file's content, keyed by file name. */
export function generateVectors(crypto: CryptoProvider): Record<string, unknown> {
  const stream = seededStream(crypto, SEED);
  let recording: Uint8Array[] | undefined;
  const random = (n: number) => {
    const out = stream(n);
    recording?.push(out.slice());
    return out;
  };
  const deps: Deps = { crypto, random, now: () => VECTOR_TIME };
  const record = <T>(step: () => T): [T, Uint8Array[]] => {
    const outer = recording;
    recording = [];
    const drawn = recording;
    try {
      return [step(), drawn];
    } finally {
      recording = outer;
      outer?.push(...drawn);
    }
  };
  const alice = party(deps, record);
  const bob = party(deps, record);

  // keys.json
  const kemRecord = decodeKemPreKey(alice.kem.record);
  const keys = {
    description: "Accounts, device certificates, device lists and prekeys (spec/keys.md). All signatures are Ed25519 and deterministic.",
    account: describeAccount(alice.account),
    device: describeDevice(alice.device),
    deviceList: { sequence: 7, deviceIds: [1, 5], encoded: hex(signDeviceList(deps, alice.account, 7, [5, 1])) },
    signedPreKey: {
      id: 1,
      privateKey: hex(alice.signed.keyPair.privateKey),
      publicKey: hex(alice.signed.keyPair.publicKey),
      createdAt: decodeSignedPreKey(alice.signed.record).createdAt,
      encoded: hex(alice.signed.record),
    },
    oneTimePreKey: { id: 1, privateKey: hex(alice.oneTime.keyPair.privateKey), encoded: hex(alice.oneTime.record) },
    kemPreKey: {
      id: 1,
      kind: "one-time",
      seed: hex(alice.kemSeed),
      createdAt: kemRecord.createdAt,
      secretKey: hex(alice.kem.keyPair.secretKey),
      publicKeySha256: hex(crypto.sha256(kemRecord.publicKey)),
      encoded: hex(alice.kem.record),
    },
  };

  // handshake.json: Alice initiates to Bob with a one-time prekey and a one-time ML-KEM prekey.
  const bundle = {
    deviceCertificate: bob.device.certificate,
    signedPreKey: bob.signed.record,
    oneTimePreKey: bob.oneTime.record,
    kemPreKey: bob.kem.record,
  };
  // initiateSession draws, in this order: the base key, the ML-KEM encapsulation randomness m,
  // and the first ratchet key (handshake.md §3 steps 2, 4 and 6).
  recording = [];
  let aliceRecord: SessionRecord = initiateSession(deps, alice.device, undefined, bundle, { accountKey: bob.account.publicKey }).record;
  const [baseKeyPrivate, kemRandomness] = recording as [Uint8Array, Uint8Array, Uint8Array];
  recording = undefined;
  const aliceSession = aliceRecord.current;
  if (!aliceSession?.pendingPreKey) throw new Error("no pending session");
  const firstPlaintext = "Hello Bob, this is Alice.";
  const first = encryptMessage(deps, aliceRecord, utf8(firstPlaintext));
  aliceRecord = first.record;
  const prekeyMessage = decodePreKeyMessage(first.message);
  // Recompute the handshake from the spec's formulas with the keys the implementation drew.
  const baseKey = aliceSession.baseKey;
  const dh = (priv: Uint8Array, pub: Uint8Array) => crypto.x25519({ privateKey: priv, publicKey: crypto.x25519PublicKey(priv) }, pub);
  const dhBob = (priv: Uint8Array) => dh(priv, baseKey);
  const dh1 = dh(bob.signed.keyPair.privateKey, alice.device.identityKey.publicKey);
  const dh2 = dhBob(bob.device.identityKey.privateKey);
  const dh3 = dhBob(bob.signed.keyPair.privateKey);
  const dh4 = dhBob(bob.oneTime.keyPair.privateKey);
  check(hex(dh(baseKeyPrivate, bob.device.identityKey.publicKey)) === hex(dh2), "DH2 from both sides");
  const kemSecret = crypto.mlkemDecapsulate(bob.kem.keyPair.secretKey, prekeyMessage.kemCiphertext);
  const ad = associatedData(alice.device.address, alice.device.identityKey.publicKey, bob.device.address, bob.device.identityKey.publicKey);
  check(ad.length === ASSOCIATED_DATA_LENGTH, "AD length");
  const info = concatBytes(
    LABEL_PQXDH,
    new Uint8Array([0]),
    ad,
    crypto.sha256(concatBytes(decodeKemPreKey(bob.kem.record).publicKey, prekeyMessage.kemCiphertext)),
  );
  const sk = crypto.hkdfSha256(concatBytes(PQXDH_PREFIX, dh1, dh2, dh3, dh4, kemSecret), new Uint8Array(32), info, 32);
  const firstRatchet = aliceSession.sendingRatchetKey;
  const init = kdfRoot(deps, sk, dh(firstRatchet.privateKey, bob.signed.keyPair.publicKey));
  check(
    hex(init.rootKey) === hex(aliceSession.rootKey) && hex(init.chainKey) === hex(aliceSession.sendingChain.key),
    "session key derivation",
  );
  const firstMessageKey = kdfChain(deps, init.chainKey).messageKey;
  const firstInner = decodeRatchetMessage(prekeyMessage.message);
  const bobReceived = decryptMessage(deps, bob.device, undefined, first.message, lookupFor(bob));
  check(text(bobReceived.plaintext) === firstPlaintext, "responder decryption");
  const handshake = {
    description:
      "PQXDH-style handshake (spec/handshake.md) and the first prekey message. Private keys are the 32 bytes drawn for each key.",
    alice: { account: describeAccount(alice.account), device: describeDevice(alice.device) },
    bob: {
      account: describeAccount(bob.account),
      device: describeDevice(bob.device),
      signedPreKey: { id: 1, privateKey: hex(bob.signed.keyPair.privateKey), encoded: hex(bob.signed.record) },
      oneTimePreKey: { id: 1, privateKey: hex(bob.oneTime.keyPair.privateKey), encoded: hex(bob.oneTime.record) },
      kemPreKey: { id: 1, seed: hex(bob.kemSeed), secretKey: hex(bob.kem.keyPair.secretKey), encoded: hex(bob.kem.record) },
    },
    initiator: {
      baseKeyPrivate: hex(baseKeyPrivate),
      baseKey: hex(baseKey),
      kemEncapsulationRandomness: hex(kemRandomness),
      kemCiphertext: hex(prekeyMessage.kemCiphertext),
      kemSharedSecret: hex(kemSecret),
      dh1: hex(dh1),
      dh2: hex(dh2),
      dh3: hex(dh3),
      dh4: hex(dh4),
      associatedData: hex(ad),
      sessionKey: hex(sk),
      firstRatchetKeyPrivate: hex(firstRatchet.privateKey),
      firstRatchetKey: hex(firstRatchet.publicKey),
      rootKey: hex(init.rootKey),
      sendingChainKey: hex(init.chainKey),
      firstMessageKey: hex(firstMessageKey),
      firstAeadKey: hex(firstMessageKey),
      firstAeadNonce: hex(firstInner.nonce),
    },
    firstMessage: { plaintext: firstPlaintext, prekeyMessage: hex(first.message) },
    responder: { plaintext: text(bobReceived.plaintext), consumedPreKeys: bobReceived.consumedPreKeys },
  };

  // ratchet.json: a scripted conversation with out-of-order delivery, skipped keys, a duplicate
  // and a tampered message, continuing the session above.
  let bobRecord = bobReceived.record;
  const events: Record<string, unknown>[] = [];
  const sent: Uint8Array[] = [];
  const send = (from: "alice" | "bob", plaintext: string) => {
    const current = from === "alice" ? aliceRecord : bobRecord;
    const session = current.current;
    if (!session) throw new Error("no session");
    const messageKey = kdfChain(deps, session.sendingChain.key).messageKey;
    const [out, [nonce]] = record(() => encryptMessage(deps, current, utf8(plaintext)));
    if (from === "alice") aliceRecord = out.record;
    else bobRecord = out.record;
    sent.push(out.message);
    const ratchetKeyPrivate = out.record.current?.sendingRatchetKey.privateKey;
    events.push({
      op: "send",
      index: sent.length - 1,
      from,
      plaintext,
      messageKey: hex(messageKey),
      nonce: hex(nonce as Uint8Array),
      ratchetKeyPrivate: hex(ratchetKeyPrivate ?? new Uint8Array()),
      message: hex(out.message),
    });
  };
  const receive = (to: "alice" | "bob", index: number, tamper = false) => {
    const device = to === "alice" ? alice : bob;
    const current = to === "alice" ? aliceRecord : bobRecord;
    const message = (sent[index] as Uint8Array).slice();
    // Tampering flips the low bit of the last byte (in the AEAD tag).
    const tampering = tamper ? { tamperedAt: message.length - 1, tamperedMessage: "" } : {};
    if (tamper) {
      message[message.length - 1] = (message[message.length - 1] as number) ^ 1;
      tampering.tamperedMessage = hex(message);
    }
    try {
      const [result, drawn] = record(() => decryptMessage(deps, device.device, current, message, lookupFor(device)));
      if (to === "alice") aliceRecord = result.record;
      else bobRecord = result.record;
      // A DH ratchet step draws the receiver's next ratchet key (ratchet.md §5 step 4).
      const step = drawn[0] ? { ratchetStepKeyPrivate: hex(drawn[0]) } : {};
      events.push({ op: "receive", to, index, tampered: tamper, ...tampering, ...step, plaintext: text(result.plaintext) });
    } catch (error) {
      if (!(error instanceof ParleyError)) throw error;
      events.push({ op: "receive", to, index, tampered: tamper, ...tampering, expectedError: error.code });
    }
  };
  send("bob", "Hi Alice!"); // 0: Bob's first message, a DH ratchet step
  receive("alice", 0);
  send("alice", "one"); // 1
  send("alice", "two"); // 2
  send("alice", "three"); // 3
  receive("bob", 3); // skips 1 and 2
  receive("bob", 1);
  send("bob", "ping"); // 4: new chain for Bob
  receive("alice", 4);
  send("alice", "pong"); // 5: new chain for Alice
  receive("bob", 5);
  receive("bob", 2); // the last skipped key of Alice's old chain
  receive("bob", 2); // duplicate
  send("alice", "tamper me"); // 6
  receive("bob", 6, true); // tampered: fails, changes nothing
  receive("bob", 6); // the intact one still decrypts
  const ratchet = {
    description:
      "A conversation continuing the handshake vector (spec/ratchet.md). Events run in order; 'index' names a sent message. ratchetKeyPrivate is the sender's current ratchet private key after sending (new when the send followed a DH step).",
    events,
    aliceRecordAfter: "see session-record.json",
  };

  // session-record.json: Alice's record after the conversation, serialized (ratchet.md §8).
  const aliceSessionAfter = aliceRecord.current;
  if (!aliceSessionAfter) throw new Error("no session");
  const encodedRecord = encodeSessionRecord(aliceRecord);
  check(hex(encodeSessionRecord(decodeSessionRecord(encodedRecord))) === hex(encodedRecord), "session record round trip");
  const sessionRecord = {
    description:
      "Alice's session record after ratchet.json's events, in the serialized form of spec/ratchet.md §8, with the fields a loader must recover. Contains secret keys (vectors only).",
    encoded: hex(encodedRecord),
    current: {
      initiator: aliceSessionAfter.initiator,
      baseKey: hex(aliceSessionAfter.baseKey),
      rootKey: hex(aliceSessionAfter.rootKey),
      sendingRatchetKeyPrivate: hex(aliceSessionAfter.sendingRatchetKey.privateKey),
      sendingChainIndex: aliceSessionAfter.sendingChain.index,
      previousCounter: aliceSessionAfter.previousCounter,
      receivingRatchetKey: hex(aliceSessionAfter.receivingRatchetKey ?? new Uint8Array()),
      receivingChainIndex: aliceSessionAfter.receivingChain?.index ?? null,
      skippedKeys: aliceSessionAfter.skippedKeys.map((k) => ({
        ratchetKey: hex(k.ratchetKey),
        index: k.index,
        messageKey: hex(k.messageKey),
      })),
      retiredChains: aliceSessionAfter.retiredChains.map((c) => ({ ratchetKey: hex(c.ratchetKey), nextIndex: c.nextIndex })),
      pending: aliceSessionAfter.pendingPreKey !== undefined,
    },
    archivedCount: aliceRecord.archived.length,
  };

  // sealed-envelope.json
  const [envelope, [ephemeralPrivate]] = record(() =>
    sealEnvelope(deps, alice.device, bob.device.identityKey.publicKey, sent[6] as Uint8Array),
  );
  const ephemeral = envelope.slice(2, 34);
  check(hex(crypto.x25519PublicKey(ephemeralPrivate as Uint8Array)) === hex(ephemeral), "envelope ephemeral key");
  const shared = dh(bob.device.identityKey.privateKey, ephemeral);
  const layer1 = crypto.hkdfSha256(shared, concatBytes(ephemeral, bob.device.identityKey.publicKey), LABEL_SEALED, 76);
  const staticShared = dh(bob.device.identityKey.privateKey, alice.device.identityKey.publicKey);
  check(hex(staticShared) === hex(dh(alice.device.identityKey.privateKey, bob.device.identityKey.publicKey)), "static agreement");
  const layer2 = crypto.hkdfSha256(
    staticShared,
    layer1.subarray(0, 32),
    concatBytes(LABEL_SEALED_SENDER, alice.device.identityKey.publicKey, bob.device.identityKey.publicKey),
    44,
  );
  const senderPart = crypto.aeadEncrypt(
    layer1.subarray(32, 64),
    layer1.subarray(64, 76),
    alice.device.certificate,
    envelope.subarray(0, 34),
  );
  const messagePart = crypto.aeadEncrypt(
    layer2.subarray(0, 32),
    layer2.subarray(32, 44),
    sent[6] as Uint8Array,
    concatBytes(envelope.subarray(0, 34), senderPart),
  );
  check(hex(concatBytes(envelope.subarray(0, 34), senderPart, messagePart)) === hex(envelope), "envelope layers");
  const opened = openEnvelope(deps, bob.device.identityKey, envelope);
  check(hex(opened.message) === hex(sent[6] as Uint8Array), "envelope round trip");
  const sealed = {
    description:
      "A sealed envelope from Alice's device to Bob's (spec/sealed-envelope.md §3): layer 1 (ephemeral–static) seals Alice's certificate, layer 2 (static–static, salted with layer 1's chain key) seals the message.",
    recipientIdentityPrivateKey: hex(bob.device.identityKey.privateKey),
    recipientIdentityKey: hex(bob.device.identityKey.publicKey),
    senderIdentityPrivateKey: hex(alice.device.identityKey.privateKey),
    senderIdentityKey: hex(alice.device.identityKey.publicKey),
    senderCertificate: hex(alice.device.certificate),
    sender: { userId: hex(alice.device.address.userId), deviceId: alice.device.deviceId },
    message: hex(sent[6] as Uint8Array),
    ephemeralPrivateKey: hex(ephemeralPrivate as Uint8Array),
    ephemeralKey: hex(ephemeral),
    sharedSecret: hex(shared),
    chainKey: hex(layer1.subarray(0, 32)),
    senderKey: hex(layer1.subarray(32, 64)),
    senderNonce: hex(layer1.subarray(64, 76)),
    staticSharedSecret: hex(staticShared),
    messageKey: hex(layer2.subarray(0, 32)),
    messageNonce: hex(layer2.subarray(32, 44)),
    envelope: hex(envelope),
  };
  const lowOrderEnvelope = envelope.slice();
  lowOrderEnvelope.fill(0, 2, 34); // u = 0, a low-order point: X25519 outputs all zeros
  const impostor = sealEnvelope(
    deps,
    { certificate: alice.device.certificate, identityKey: bob.oneTime.keyPair },
    bob.device.identityKey.publicKey,
    sent[6] as Uint8Array,
  );

  // content.json
  const id = (n: number) => new Uint8Array(16).fill(n);
  const contents: Content[] = [
    { kind: "text", id: id(1), sentAt: VECTOR_TIME, text: "Hello 👋" },
    { kind: "reply", id: id(2), sentAt: VECTOR_TIME, target: id(1), text: "Hi!" },
    { kind: "reaction", id: id(3), sentAt: VECTOR_TIME, target: id(1), emoji: "❤️", remove: false },
    { kind: "edit", id: id(4), sentAt: VECTOR_TIME, target: id(1), text: "Hello there 👋" },
    { kind: "delete", id: id(5), sentAt: VECTOR_TIME, target: id(2) },
    { kind: "receipt", id: id(6), sentAt: VECTOR_TIME, receipt: "read", targets: [id(1), id(2)] },
    { kind: "typing", id: id(7), sentAt: VECTOR_TIME, typing: true },
    { kind: "presence", id: id(8), sentAt: VECTOR_TIME, presence: "online" },
    {
      kind: "attachment",
      id: id(9),
      sentAt: VECTOR_TIME,
      blobId: "blob-1",
      key: new Uint8Array(32).fill(0x11),
      digest: new Uint8Array(32).fill(0x22),
      size: 1234,
      contentType: "image/jpeg",
      fileName: "photo.jpg",
      caption: "sunset",
    },
    { kind: "groupChange", id: id(11), sentAt: VECTOR_TIME, groupId: id(12), change: Uint8Array.of(1, 2, 3, 4) },
    { kind: "callSignal", id: id(13), sentAt: VECTOR_TIME, callId: id(14), signal: "offer", payload: "v=0" },
    { kind: "sessionReset", id: id(15), sentAt: VECTOR_TIME },
    { kind: "profile", id: id(17), sentAt: VECTOR_TIME, displayName: "Alice", deliveryToken: new Uint8Array(32).fill(0x33) },
    {
      kind: "sync",
      id: id(18),
      sentAt: VECTOR_TIME,
      peer: id(19),
      peerAccountKey: new Uint8Array(32).fill(0x44),
      content: { kind: "text", id: id(20), sentAt: VECTOR_TIME, text: "sent from my phone" },
    },
    { kind: "text", id: id(16), sentAt: VECTOR_TIME, text: "x".repeat(1000) },
    // Call signals with their JSON payloads (spec/calls.md §4): a device ringing, a group participant joining.
    { kind: "callSignal", id: id(21), sentAt: VECTOR_TIME, callId: id(14), signal: "ringing", payload: '{"to":1}' },
    { kind: "callSignal", id: id(22), sentAt: VECTOR_TIME, callId: id(14), signal: "join", payload: "{}" },
  ];
  const content = {
    description:
      "Content encodings with padding (spec/content.md). Each case: 'content' is the content as JSON — kind, id, sentAt, then the body's fields in name order, named as in spec/content.md §3 (byte fields as hex, nested contents likewise); 'unpaddedLength' is the encoded length before padding; 'encoded' is the padded encoding (hex).",
    cases: contents.map((c) => {
      const encoded = encodeContent(c);
      check(JSON.stringify(jsonContent(decodeContent(encoded))) === JSON.stringify(jsonContent(c)), "content round trip");
      return { content: jsonContent(c), unpaddedLength: unpad(encoded).length, encoded: hex(encoded) };
    }),
  };

  // safety-numbers.json
  const pa = { accountKey: alice.account.publicKey, userId: alice.account.userId };
  const pb = { accountKey: bob.account.publicKey, userId: bob.account.userId };
  const sn = safetyNumber(deps, pa, pb);
  const safety = {
    description: "Safety number between the handshake vector's Alice and Bob (spec/safety-numbers.md), computed on Alice's side.",
    alice: {
      accountKey: hex(pa.accountKey),
      userId: hex(pa.userId),
      fingerprint: hex(fingerprint(deps, pa)),
      digits: fingerprintDigits(fingerprint(deps, pa)),
    },
    bob: {
      accountKey: hex(pb.accountKey),
      userId: hex(pb.userId),
      fingerprint: hex(fingerprint(deps, pb)),
      digits: fingerprintDigits(fingerprint(deps, pb)),
    },
    safetyNumber: sn.digits,
    display: sn.display,
    qrPayloadAtAlice: hex(sn.qrPayload),
  };

  // failures.json: inputs each decoder must reject, with the expected code.
  const cert = alice.device.certificate;
  const flip = (b: Uint8Array, at: number) => {
    const c = b.slice();
    c[at] = (c[at] as number) ^ 1;
    return c;
  };
  const badPadding = encodeContent(contents[0] as Content);
  const failures = {
    description:
      "Inputs that must be rejected, with the expected error code (spec/errors.md). 'operation' names the step applied to 'input'; sealed envelopes are opened with sealed-envelope.json's recipient key. A 'flipped' or 'tampered' case is a valid input with one byte XORed with 0x01 (certificate: byte 150 in the signature, byte 60 in the body; envelope: byte 40, in layer 1).",
    cases: [
      { name: "certificate truncated", operation: "decodeDeviceCertificate", input: hex(cert.subarray(0, 172)) },
      { name: "certificate with trailing byte", operation: "decodeDeviceCertificate", input: hex(Uint8Array.of(...cert, 0)) },
      { name: "certificate version 2", operation: "decodeDeviceCertificate", input: hex(Uint8Array.of(2, ...cert.subarray(1))) },
      {
        name: "certificate device id 0",
        operation: "decodeDeviceCertificate",
        input: hex(concatBytes(cert.subarray(0, 33), new Uint8Array(4), cert.subarray(37))),
      },
      { name: "certificate signature flipped", operation: "verifyDeviceCertificate", input: hex(flip(cert, 150)) },
      { name: "certificate body flipped", operation: "verifyDeviceCertificate", input: hex(flip(cert, 60)) },
      {
        name: "ratchet message shorter than its tag",
        operation: "decodeRatchetMessage",
        input: hex((sent[1] as Uint8Array).subarray(0, 54 + 15)),
      },
      {
        name: "ratchet message of type 2",
        operation: "decodeRatchetMessage",
        input: hex(Uint8Array.of(1, 2, ...(sent[1] as Uint8Array).subarray(2))),
      },
      {
        name: "prekey message naming signed prekey 0",
        operation: "decodePreKeyMessage",
        input: hex(concatBytes(first.message.subarray(0, 175), new Uint8Array(4), first.message.subarray(179))),
      },
      {
        name: "content of unknown kind 99",
        operation: "decodeContent",
        input: hex(Uint8Array.of(1, 99, ...unpad(badPadding).subarray(2), 0x80)),
      },
      { name: "content padding without 0x80", operation: "decodeContent", input: hex(new Uint8Array(64)) },
      {
        name: "content with invalid UTF-8",
        operation: "decodeContent",
        input: hex(Uint8Array.of(1, 1, ...new Uint8Array(16), ...new Uint8Array(8), 0, 0, 0, 1, 0xff, 0x80)),
      },
      {
        name: "sealed envelope tampered (opened with handshake.json Bob's identity key)",
        operation: "openEnvelope",
        input: hex(flip(envelope, 40)),
      },
      { name: "sealed envelope truncated", operation: "openEnvelope", input: hex(envelope.subarray(0, 40)) },
      { name: "sealed envelope with a low-order ephemeral key (u = 0)", operation: "openEnvelope", input: hex(lowOrderEnvelope) },
      {
        name: "sealed envelope with Alice's certificate, sealed with another identity key",
        operation: "openEnvelope",
        input: hex(impostor),
      },
      { name: "sealed envelope version 2", operation: "openEnvelope", input: hex(Uint8Array.of(2, ...envelope.subarray(1))) },
      {
        name: "ratchet message version 2",
        operation: "decodeRatchetMessage",
        input: hex(Uint8Array.of(2, ...(sent[1] as Uint8Array).subarray(1))),
      },
      { name: "prekey message version 2", operation: "decodePreKeyMessage", input: hex(Uint8Array.of(2, ...first.message.subarray(1))) },
      {
        name: "content version 2",
        operation: "decodeContent",
        input: hex(Uint8Array.of(2, ...encodeContent(contents[0] as Content).subarray(1))),
      },
      {
        name: "session record of format 2",
        operation: "decodeSessionRecord",
        input: hex(Uint8Array.of(2, ...encodeSessionRecord(aliceRecord).subarray(1))),
      },
      { name: "session record of unknown format", operation: "decodeSessionRecord", input: hex(Uint8Array.of(9, 0, 0)) },
    ].map((c) => {
      const input = Uint8Array.from(Buffer.from(c.input, "hex"));
      const run: Record<string, () => unknown> = {
        decodeDeviceCertificate: () => decodeDeviceCertificate(input),
        verifyDeviceCertificate: () => verifyDeviceCertificate(deps, input),
        decodeRatchetMessage: () => decodeRatchetMessage(input),
        decodePreKeyMessage: () => decodePreKeyMessage(input),
        decodeContent: () => decodeContent(input),
        openEnvelope: () => openEnvelope(deps, bob.device.identityKey, input),
        decodeSessionRecord: () => decodeSessionRecord(input),
      };
      const operation = run[c.operation];
      if (!operation) throw new Error(`unknown operation ${c.operation}`);
      return { ...c, expectedError: errorCode(operation) };
    }),
  };
  check(
    failures.cases.every((c) => c.expectedError !== "none"),
    "every failure case fails",
  );

  return {
    "keys.json": keys,
    "handshake.json": handshake,
    "ratchet.json": ratchet,
    "sealed-envelope.json": sealed,
    "session-record.json": sessionRecord,
    "content.json": content,
    "safety-numbers.json": safety,
    "failures.json": failures,
    ...generateSenderKeyVectors(crypto),
    ...generateGroupStateVectors(crypto),
    ...generateSealedMultiVectors(crypto),
    ...generateAttachmentVectors(crypto),
    ...generateBackupVectors(crypto),
  };
}

/** JSON form of a content: kind, id, sentAt, then the body's fields in name order; bytes as hex. */
function jsonContent(c: Content): Record<string, unknown> {
  const { kind, id, sentAt, ...body } = c as Content & Record<string, unknown>;
  const value = (v: unknown): unknown =>
    v instanceof Uint8Array ? hex(v) : Array.isArray(v) ? v.map(value) : v && typeof v === "object" ? jsonContent(v as Content) : v;
  const fields = Object.keys(body)
    .sort()
    .map((k) => [k, value(body[k])]);
  return { kind, id: hex(id), sentAt, ...Object.fromEntries(fields) };
}
