// test-vectors/ is checked two ways with every provider: the committed generator reproduces
// every file byte for byte (so code, spec and vectors cannot drift apart), and the vectors are
// consumed independently from their listed keys alone, as another implementation would.
import { readFileSync } from "node:fs";
import { describe, expect, test } from "vitest";
import { decodeAttachmentPointer, encodeAttachmentPointer } from "../src/attachment/pointer.js";
import { AttachmentDecryptor } from "../src/attachment/stream.js";
import { decodeContent } from "../src/content/content.js";
import { hexToBytes as bytes, concatBytes, bytesToHex as toHex } from "../src/crypto/bytes.js";
import { openEnvelope } from "../src/envelope/sealed.js";
import { ParleyError } from "../src/errors.js";
import { applyChange } from "../src/group/apply.js";
import { decodeGroupChange } from "../src/group/change.js";
import { resolveFork } from "../src/group/fork.js";
import {
  decodeGroupMessage,
  decodeSenderKeyDistribution,
  decodeSenderKeyState,
  encodeSenderKeyState,
  groupDecrypt,
  parseGroupMessageHeader,
  senderKeyFromDistribution,
} from "../src/group/sender-key.js";
import { decodeGroupState } from "../src/group/state.js";
import { DeviceKeys, decodeDeviceCertificate, verifyDeviceCertificate } from "../src/keys/device-certificate.js";
import { deriveUserId } from "../src/keys/identity.js";
import { decodeKemPreKey, KemPreKeySecret, PreKeySecret } from "../src/keys/prekeys.js";
import {
  LABEL_GROUP_CHANGE,
  LABEL_GROUP_MESSAGE,
  LABEL_GROUP_MESSAGE_KEY,
  LABEL_SEALED,
  LABEL_SEALED_MULTI,
  LABEL_SEALED_MULTI_AUTH,
  LABEL_SEALED_MULTI_PAYLOAD,
  LABEL_SEALED_SENDER,
} from "../src/labels.js";
import { decodePreKeyMessage, decodeRatchetMessage } from "../src/ratchet/message.js";
import { fingerprint, safetyNumber } from "../src/safety-number.js";
import { SecretKeyPair } from "../src/secrets.js";
import { decryptMessage } from "../src/session/record.js";
import { decodeSessionRecord, encodeSessionRecord } from "../src/session/serialize.js";
import { decodeFrame } from "../src/wire/codec.js";
import { multiEnvelope, multiMessageId } from "../src/wire/multi-envelope.js";
import { allDeps } from "./fixtures.js";
import { generateVectors } from "./vectors/generate.js";

const load = (name: string) => JSON.parse(readFileSync(new URL(`../../../test-vectors/${name}`, import.meta.url), "utf8"));
const FILES = [
  "keys.json",
  "handshake.json",
  "ratchet.json",
  "sealed-envelope.json",
  "session-record.json",
  "content.json",
  "safety-numbers.json",
  "failures.json",
  "sender-keys.json",
  "group-state.json",
  "sealed-multi.json",
  "attachments.json",
  "backup.json",
];

describe.each(allDeps)("test vectors with the %s provider", (_name, deps) => {
  test("the generator reproduces every committed vector file exactly", () => {
    const generated = generateVectors(deps.crypto);
    expect(Object.keys(generated).sort()).toEqual([...FILES].sort());
    for (const name of FILES) expect(JSON.parse(JSON.stringify(generated[name])), name).toEqual(load(name));
  });

  test("keys.json: the certificate verifies and derives the listed user id", () => {
    const v = load("keys.json");
    const cert = verifyDeviceCertificate(deps, bytes(v.device.certificate));
    expect(cert.address.userId).toEqual(bytes(v.account.userId));
    expect(deriveUserId(deps, bytes(v.account.publicKey))).toEqual(bytes(v.account.userId));
    expect(deps.crypto.ed25519PublicKey(bytes(v.account.seed))).toEqual(bytes(v.account.publicKey));
    expect(deps.crypto.x25519PublicKey(bytes(v.device.identityPrivateKey))).toEqual(bytes(v.device.identityPublicKey));
    expect(deps.crypto.sha256(decodeKemPreKey(bytes(v.kemPreKey.encoded)).publicKey)).toEqual(bytes(v.kemPreKey.publicKeySha256));
    // The 64-byte seed is d ‖ z (FIPS 203 ML-KEM.KeyGen_internal): it regenerates both halves.
    const fromSeed = deps.crypto.mlkemKeyPairFromSeed(bytes(v.kemPreKey.seed));
    expect(fromSeed.publicKey).toEqual(decodeKemPreKey(bytes(v.kemPreKey.encoded)).publicKey);
    expect(fromSeed.secretKey).toEqual(bytes(v.kemPreKey.secretKey));
    expect(decodeKemPreKey(bytes(v.kemPreKey.encoded)).createdAt).toBe(v.kemPreKey.createdAt);
  });

  test("handshake.json: Bob, rebuilt from the listed keys, decrypts Alice's prekey message and every DH value matches", () => {
    const v = load("handshake.json");
    const b = v.bob;
    const cert = decodeDeviceCertificate(bytes(b.device.certificate));
    const bob = new DeviceKeys(
      { userId: bytes(b.account.userId), deviceId: cert.deviceId },
      new SecretKeyPair(bytes(b.device.signingPublicKey), bytes(b.device.signingSeed)),
      new SecretKeyPair(bytes(b.device.identityPublicKey), bytes(b.device.identityPrivateKey)),
      bytes(b.device.certificate),
    );
    const x = (priv: string) => new SecretKeyPair(deps.crypto.x25519PublicKey(bytes(priv)), bytes(priv));
    const kemRecord = decodeKemPreKey(bytes(b.kemPreKey.encoded));
    const lookup = {
      signedPreKey: (id: number) =>
        id === 1 ? new PreKeySecret(1, x(b.signedPreKey.privateKey), bytes(b.signedPreKey.encoded)) : undefined,
      oneTimePreKey: (id: number) =>
        id === 1 ? new PreKeySecret(1, x(b.oneTimePreKey.privateKey), bytes(b.oneTimePreKey.encoded)) : undefined,
      kemPreKey: (id: number) =>
        id === 1
          ? new KemPreKeySecret(
              1,
              "one-time",
              { publicKey: kemRecord.publicKey, secretKey: bytes(b.kemPreKey.secretKey) },
              bytes(b.kemPreKey.encoded),
            )
          : undefined,
    };
    const message = bytes(v.firstMessage.prekeyMessage);
    const result = decryptMessage(deps, bob, undefined, message, lookup);
    expect(new TextDecoder().decode(result.plaintext)).toBe(v.firstMessage.plaintext);
    const i = v.initiator;
    const base = x(i.baseKeyPrivate);
    expect(base.publicKey).toEqual(bytes(i.baseKey));
    expect(deps.crypto.x25519(base, bytes(b.device.identityPublicKey))).toEqual(bytes(i.dh2));
    expect(deps.crypto.x25519(x(b.signedPreKey.privateKey), bytes(v.alice.device.identityPublicKey))).toEqual(bytes(i.dh1));
    const encaps = deps.crypto.mlkemEncapsulate(kemRecord.publicKey, bytes(i.kemEncapsulationRandomness));
    expect(encaps?.ciphertext).toEqual(bytes(i.kemCiphertext));
    expect(encaps?.sharedSecret).toEqual(bytes(i.kemSharedSecret));
    expect(decodePreKeyMessage(message).kemCiphertext).toEqual(bytes(i.kemCiphertext));
    // The first message's AEAD key and nonce decrypt the inner ciphertext directly.
    const inner = decodeRatchetMessage(decodePreKeyMessage(message).message);
    const plaintext = deps.crypto.aeadDecrypt(
      bytes(i.firstAeadKey),
      bytes(i.firstAeadNonce),
      inner.ciphertext,
      Uint8Array.of(...bytes(i.associatedData), ...inner.header),
    );
    expect(plaintext && new TextDecoder().decode(plaintext)).toBe(v.firstMessage.plaintext);
  });

  test("sealed-envelope.json: the envelope opens with the listed key to the listed sender and message", () => {
    const v = load("sealed-envelope.json");
    const opened = openEnvelope(
      deps,
      { publicKey: bytes(v.recipientIdentityKey), privateKey: bytes(v.recipientIdentityPrivateKey) },
      bytes(v.envelope),
    );
    expect(opened.sender).toEqual({ userId: bytes(v.sender.userId), deviceId: v.sender.deviceId });
    expect(opened.message).toEqual(bytes(v.message));
    // Every layer recomputes from the listed keys alone.
    const recipient = { publicKey: bytes(v.recipientIdentityKey), privateKey: bytes(v.recipientIdentityPrivateKey) };
    const ephemeral = { publicKey: bytes(v.ephemeralKey), privateKey: bytes(v.ephemeralPrivateKey) };
    expect(deps.crypto.x25519PublicKey(ephemeral.privateKey)).toEqual(ephemeral.publicKey);
    expect(deps.crypto.x25519(ephemeral, recipient.publicKey)).toEqual(bytes(v.sharedSecret));
    const layer1 = deps.crypto.hkdfSha256(
      bytes(v.sharedSecret),
      Uint8Array.of(...ephemeral.publicKey, ...recipient.publicKey),
      LABEL_SEALED,
      76,
    );
    expect(layer1).toEqual(Uint8Array.of(...bytes(v.chainKey), ...bytes(v.senderKey), ...bytes(v.senderNonce)));
    const sender = { publicKey: bytes(v.senderIdentityKey), privateKey: bytes(v.senderIdentityPrivateKey) };
    expect(deps.crypto.x25519(sender, recipient.publicKey)).toEqual(bytes(v.staticSharedSecret));
    const info = Uint8Array.of(...LABEL_SEALED_SENDER, ...sender.publicKey, ...recipient.publicKey);
    const layer2 = deps.crypto.hkdfSha256(bytes(v.staticSharedSecret), bytes(v.chainKey), info, 44);
    expect(layer2).toEqual(Uint8Array.of(...bytes(v.messageKey), ...bytes(v.messageNonce)));
    const envelope = bytes(v.envelope);
    const certificate = deps.crypto.aeadDecrypt(
      bytes(v.senderKey),
      bytes(v.senderNonce),
      envelope.subarray(34, 34 + 189),
      envelope.subarray(0, 34),
    );
    expect(certificate).toEqual(bytes(v.senderCertificate));
    const message = deps.crypto.aeadDecrypt(
      bytes(v.messageKey),
      bytes(v.messageNonce),
      envelope.subarray(34 + 189),
      envelope.subarray(0, 34 + 189),
    );
    expect(message).toEqual(bytes(v.message));
  });

  test("session-record.json: the record loads to the listed fields and re-encodes to the same bytes", () => {
    const v = load("session-record.json");
    const loaded = decodeSessionRecord(bytes(v.encoded));
    const s = loaded.current;
    expect(encodeSessionRecord(loaded)).toEqual(bytes(v.encoded));
    expect(s?.baseKey).toEqual(bytes(v.current.baseKey));
    expect(s?.rootKey).toEqual(bytes(v.current.rootKey));
    expect(s?.sendingRatchetKey.privateKey).toEqual(bytes(v.current.sendingRatchetKeyPrivate));
    expect(s?.sendingChain.index).toBe(v.current.sendingChainIndex);
    expect(s?.previousCounter).toBe(v.current.previousCounter);
    expect(s?.receivingChain?.index ?? null).toBe(v.current.receivingChainIndex);
    expect(s?.skippedKeys.length).toBe(v.current.skippedKeys.length);
    expect(s?.retiredChains.length).toBe(v.current.retiredChains.length);
    expect(loaded.archived.length).toBe(v.archivedCount);
  });

  test("ratchet.json: every sent message opens with its listed message key and nonce; DH-step keys are the next ratchet keys", () => {
    const ad = bytes(load("handshake.json").initiator.associatedData);
    const events = load("ratchet.json").events;
    const stepKey: Record<string, Uint8Array> = {};
    for (const e of events) {
      if (e.op === "receive" && e.ratchetStepKeyPrivate) stepKey[e.to] = deps.crypto.x25519PublicKey(bytes(e.ratchetStepKeyPrivate));
      if (e.op !== "send") continue;
      const wire = bytes(e.message);
      const inner = decodeRatchetMessage(wire[1] === 2 ? decodePreKeyMessage(wire).message : wire);
      expect(inner.nonce).toEqual(bytes(e.nonce));
      const plaintext = deps.crypto.aeadDecrypt(bytes(e.messageKey), inner.nonce, inner.ciphertext, Uint8Array.of(...ad, ...inner.header));
      expect(plaintext && new TextDecoder().decode(plaintext)).toBe(e.plaintext);
      // A party's first send after a DH step uses the key that step drew.
      const drawn = stepKey[e.from];
      if (drawn) expect(inner.ratchetKey).toEqual(drawn);
      delete stepKey[e.from];
    }
  });

  test("sealed-multi.json: every device opens its envelope to the listed sender and message; every value recomputes from the listed keys", () => {
    const v = load("sealed-multi.json");
    const prefix = Uint8Array.of(1, 4);
    const ephemeral = { publicKey: bytes(v.ephemeralKey), privateKey: bytes(v.ephemeralPrivateKey) };
    const sender = { publicKey: bytes(v.sender.identityKey), privateKey: bytes(v.sender.identityPrivateKey) };
    expect(deps.crypto.x25519PublicKey(ephemeral.privateKey)).toEqual(ephemeral.publicKey);
    // The payload from M, E and the sender's certificate alone.
    const keys = deps.crypto.hkdfSha256(bytes(v.messageKey), ephemeral.publicKey, LABEL_SEALED_MULTI_PAYLOAD, 44);
    expect(keys.subarray(0, 32)).toEqual(bytes(v.payloadKey));
    expect(keys.subarray(32)).toEqual(bytes(v.payloadNonce));
    const plaintext = new Uint8Array([...bytes(v.sender.certificate), ...bytes(v.message)]);
    const ciphertext = deps.crypto.aeadEncrypt(
      keys.subarray(0, 32),
      keys.subarray(32),
      plaintext,
      new Uint8Array([...prefix, ...ephemeral.publicKey]),
    );
    expect(new Uint8Array([...ephemeral.publicKey, ...ciphertext])).toEqual(bytes(v.payload));
    expect(deps.crypto.sha256(bytes(v.payload))).toEqual(bytes(v.payloadSha256));
    for (const r of v.recipients) {
      const recipient = { publicKey: bytes(r.identityKey), privateKey: bytes(r.identityPrivateKey) };
      const opened = openEnvelope(deps, recipient, bytes(r.envelope));
      expect(opened.multi).toBe(true);
      expect(opened.sender).toEqual({ userId: bytes(v.sender.userId), deviceId: v.sender.deviceId });
      expect(opened.message).toEqual(bytes(v.message));
      // Header: M ⊕ mask ‖ tag, each from the listed keys.
      expect(deps.crypto.x25519(recipient, ephemeral.publicKey)).toEqual(bytes(r.ephemeralShared));
      const mask = deps.crypto.hkdfSha256(
        bytes(r.ephemeralShared),
        new Uint8Array([...ephemeral.publicKey, ...recipient.publicKey]),
        LABEL_SEALED_MULTI,
        32,
      );
      expect(mask).toEqual(bytes(r.mask));
      const maskedKey = bytes(v.messageKey).map((x, i) => x ^ (mask[i] as number));
      expect(deps.crypto.x25519(sender, recipient.publicKey)).toEqual(bytes(r.staticShared));
      const authKey = deps.crypto.hkdfSha256(
        bytes(r.staticShared),
        new Uint8Array(32),
        new Uint8Array([...LABEL_SEALED_MULTI_AUTH, ...sender.publicKey, ...recipient.publicKey]),
        32,
      );
      expect(authKey).toEqual(bytes(r.authKey));
      const tag = deps.crypto
        .hmacSha256(
          authKey,
          new Uint8Array([...prefix, ...maskedKey, ...ephemeral.publicKey, ...bytes(v.payloadSha256), ...recipient.publicKey]),
        )
        .subarray(0, 16);
      expect(new Uint8Array([...maskedKey, ...tag])).toEqual(bytes(r.header));
      // The relay's side: concatenation, and the derived message id.
      expect(multiEnvelope(bytes(r.header), bytes(v.payload))).toEqual(bytes(r.envelope));
      expect(multiMessageId(deps.crypto, bytes(v.payloadSha256), bytes(r.userId), r.deviceId, bytes(r.header))).toEqual(
        bytes(r.relayMessageId),
      );
    }
    const frame = decodeFrame(bytes(v.multiSendFrame));
    if (frame.t !== "multi_send") throw new Error("not a multi_send");
    expect(frame.payload).toEqual(bytes(v.payload));
    expect(frame.recipients.flatMap((r) => r.devices.map((d) => [r.userId, d.deviceId, d.header]))).toEqual(
      v.recipients.map((r: { userId: string; deviceId: number; header: string }) => [bytes(r.userId), r.deviceId, bytes(r.header)]),
    );
    const victim = v.recipients[1];
    for (const c of v.failures) {
      const code = (() => {
        try {
          openEnvelope(deps, { publicKey: bytes(victim.identityKey), privateKey: bytes(victim.identityPrivateKey) }, bytes(c.input));
          return "none";
        } catch (e) {
          return e instanceof ParleyError ? e.code : String(e);
        }
      })();
      expect(code, c.name).toBe(c.expectedError);
    }
  });

  test("content.json: every encoding decodes to the listed content", () => {
    for (const c of load("content.json").cases) {
      const decoded = decodeContent(bytes(c.encoded));
      expect(decoded.kind).toBe(c.content.kind);
      expect(decoded.id).toEqual(bytes(c.content.id));
    }
  });

  test("safety-numbers.json: fingerprints, digits and QR payload recompute", () => {
    const v = load("safety-numbers.json");
    const pa = { accountKey: bytes(v.alice.accountKey), userId: bytes(v.alice.userId) };
    const pb = { accountKey: bytes(v.bob.accountKey), userId: bytes(v.bob.userId) };
    expect(fingerprint(deps, pa)).toEqual(bytes(v.alice.fingerprint));
    const sn = safetyNumber(deps, pa, pb);
    expect(sn.digits).toBe(v.safetyNumber);
    expect(sn.qrPayload).toEqual(bytes(v.qrPayloadAtAlice));
  });

  test("failures.json: every input is rejected with the expected code", () => {
    const sealed = load("sealed-envelope.json");
    const bobIdentity = { publicKey: bytes(sealed.recipientIdentityKey), privateKey: bytes(sealed.recipientIdentityPrivateKey) };
    const operations: Record<string, (input: Uint8Array) => unknown> = {
      decodeDeviceCertificate,
      verifyDeviceCertificate: (input) => verifyDeviceCertificate(deps, input),
      decodeRatchetMessage,
      decodePreKeyMessage,
      decodeContent,
      openEnvelope: (input) => openEnvelope(deps, bobIdentity, input),
      decodeSessionRecord,
    };
    for (const c of load("failures.json").cases) {
      const operation = operations[c.operation];
      expect(operation, c.operation).toBeDefined();
      let code = "none";
      try {
        operation?.(bytes(c.input));
      } catch (error) {
        code = error instanceof ParleyError ? error.code : String(error);
      }
      expect(code, c.name).toBe(c.expectedError);
    }
  });
  test("group-state.json: each change verifies from the listed keys, chains to the previous state and yields the listed state", () => {
    const v = load("group-state.json");
    const hexOf = (b: Uint8Array) => Buffer.from(b).toString("hex");
    const keyOf: Record<string, string> = Object.fromEntries(
      Object.entries(v.accounts).map(([n, a]) => [n, (a as { publicKey: string }).publicKey]),
    );
    for (const a of Object.values(v.accounts) as { seed: string; publicKey: string; userId: string }[]) {
      expect(hexOf(deps.crypto.ed25519PublicKey(bytes(a.seed)))).toBe(a.publicKey);
      expect(hexOf(deriveUserId(deps, bytes(a.publicKey)))).toBe(a.userId);
    }
    let previous: Uint8Array | undefined;
    for (const step of v.steps) {
      const change = bytes(step.change);
      // Signature (label ‖ 0x00 ‖ body) and previous hash recomputed from the bytes alone.
      const parsed = decodeGroupChange(change);
      expect(hexOf(parsed.authorAccountKey), step.name).toBe(keyOf[step.author]);
      const signed = Uint8Array.of(...LABEL_GROUP_CHANGE, 0, ...change.subarray(0, change.length - 64));
      expect(deps.crypto.ed25519Verify(parsed.authorAccountKey, signed, change.subarray(change.length - 64))).toBe(true);
      expect(parsed.previousHash).toEqual(previous ? deps.crypto.sha256(previous) : new Uint8Array(32));
      expect(hexOf(deps.crypto.sha256(change))).toBe(step.changeHash);
      expect(hexOf(deps.crypto.sha256(bytes(step.state)))).toBe(step.stateHash);
      expect(parsed.actions.map((a) => a.type)).toEqual(step.actions.map((a: { type: string }) => a.type));
      const next = applyChange(deps, previous && decodeGroupState(previous), change);
      expect(next.version).toBe(step.decoded.groupVersion);
      expect(next.name).toBe(step.decoded.name);
      expect(next.settings).toEqual(step.decoded.settings);
      expect(next.members.map((m) => [hexOf(m.userId), m.role, m.deliveryToken ? hexOf(m.deliveryToken) : null])).toEqual(
        step.decoded.members.map((m: { userId: string; role: string; deliveryToken: string | null }) => [
          m.userId,
          m.role,
          m.deliveryToken,
        ]),
      );
      expect(decodeGroupState(bytes(step.state))).toEqual(next);
      previous = bytes(step.state);
    }
    const base = decodeGroupState(bytes(v.steps[v.fork.base].state));
    const [a, b] = v.fork.changes.map((c: string) => decodeGroupChange(bytes(c)));
    const winner = v.fork.winner === 0 ? a : b;
    expect(Buffer.compare(bytes(v.fork.changeHashes[v.fork.winner]), bytes(v.fork.changeHashes[1 - v.fork.winner]))).toBe(-1);
    for (const [applied, incoming] of [
      [a, b],
      [b, a],
    ]) {
      const r = resolveFork(deps, base, applied, incoming);
      expect(r.winner === "incoming" ? r.change.encoded : applied.encoded).toEqual(winner.encoded);
    }
    const member = decodeGroupChange(bytes(v.fork.memberChange));
    expect(resolveFork(deps, base, member, a).winner).toBe("incoming");
    for (const f of v.failures) {
      const state = f.state === null ? undefined : decodeGroupState(bytes(v.steps[f.state].state));
      let code = "none";
      try {
        applyChange(deps, state, bytes(f.change));
      } catch (error) {
        code = error instanceof ParleyError ? (error.reason ? `${error.code}:${error.reason}` : error.code) : String(error);
      }
      expect(code, f.name).toBe(f.expectedError);
    }
  });
});

describe.each(allDeps)("sender-key vectors with the %s provider", (_name, deps) => {
  const v = load("sender-keys.json");
  const groupId = bytes(v.groupId);
  const c = deps.crypto;

  test("sender-keys.json: keys, chain steps, message keys, signatures and ciphertexts recompute from the listed values", () => {
    expect(c.ed25519PublicKey(bytes(v.sender.signingSeed))).toEqual(bytes(v.sender.signingPublicKey));
    expect(new DataView(bytes(v.sender.keyIdBytes).buffer).getUint32(0)).toBe(v.sender.keyId);
    const d = decodeSenderKeyDistribution(bytes(v.distribution));
    expect([d.keyId, d.iteration, d.chainKey, d.signingPublicKey]).toEqual([
      v.sender.keyId,
      0,
      bytes(v.sender.chainKey),
      bytes(v.sender.signingPublicKey),
    ]);
    let chainKey = bytes(v.sender.chainKey);
    for (const s of v.sends) {
      expect(bytes(s.chainKey)).toEqual(chainKey);
      const seed = c.hmacSha256(chainKey, Uint8Array.of(1));
      expect(seed).toEqual(bytes(s.messageSeed));
      expect(c.hkdfSha256(seed, new Uint8Array(0), LABEL_GROUP_MESSAGE_KEY, 32)).toEqual(bytes(s.messageKey));
      chainKey = c.hmacSha256(chainKey, Uint8Array.of(2));
      expect(chainKey).toEqual(bytes(s.nextChainKey));
      const message = bytes(s.message);
      const header = message.subarray(0, 38);
      expect(header).toEqual(bytes(s.header));
      expect(header.subarray(26)).toEqual(bytes(s.nonce));
      const signed = message.subarray(0, message.length - 64);
      expect(message.subarray(message.length - 64)).toEqual(bytes(s.signature));
      expect(
        c.ed25519Verify(bytes(v.sender.signingPublicKey), Uint8Array.of(...LABEL_GROUP_MESSAGE, 0, ...signed), bytes(s.signature)),
      ).toBe(true);
      const plaintext = c.aeadDecrypt(bytes(s.messageKey), bytes(s.nonce), signed.subarray(38), header);
      expect(plaintext && new TextDecoder().decode(plaintext)).toBe(s.plaintext);
      expect(parseGroupMessageHeader(message)).toEqual({ groupId, keyId: v.sender.keyId, iteration: s.iteration });
    }
  });

  test("sender-keys.json: Bob's and Carol's receptions give the listed plaintexts and errors", () => {
    const messages = v.sends.map((s: { message: string }) => bytes(s.message));
    let bob = senderKeyFromDistribution(decodeSenderKeyDistribution(bytes(v.distribution)));
    for (const e of v.bobEvents) {
      const input = e.input ? bytes(e.input) : messages[e.index];
      let code = "none";
      try {
        const result = groupDecrypt(deps, bob, groupId, input);
        expect(new TextDecoder().decode(result.plaintext)).toBe(e.plaintext);
        bob = result.state;
        expect(bob.iteration).toBe(e.iterationAfter);
        expect([...bob.skippedKeys.keys()]).toEqual(e.skippedAfter);
      } catch (error) {
        code = error instanceof ParleyError ? error.code : String(error);
      }
      expect(code).toBe(e.expectedError ?? "none");
    }
    const carol = senderKeyFromDistribution(decodeSenderKeyDistribution(bytes(v.carolDistribution)));
    expect(carol.iteration).toBe(4);
    for (const e of v.carolEvents) {
      let code = "none";
      try {
        expect(new TextDecoder().decode(groupDecrypt(deps, carol, groupId, messages[e.index]).plaintext)).toBe(e.plaintext);
      } catch (error) {
        code = error instanceof ParleyError ? error.code : String(error);
      }
      expect(code).toBe(e.expectedError ?? "none");
    }
    const atLimit = groupDecrypt(
      deps,
      senderKeyFromDistribution(decodeSenderKeyDistribution(bytes(v.distribution))),
      groupId,
      bytes(v.skipLimit.atLimit.message),
    );
    expect(new TextDecoder().decode(atLimit.plaintext)).toBe(v.skipLimit.atLimit.plaintext);
    expect(atLimit.state.skippedKeys.size).toBe(v.skipLimit.maxGroupSkip);
  });

  test("sender-keys.json: serialized states load to the listed fields and re-encode to the same bytes", () => {
    const own = decodeSenderKeyState(bytes(v.sender.encodedState));
    expect(encodeSenderKeyState(own)).toEqual(bytes(v.sender.encodedState));
    expect(own.signingPrivateKey).toEqual(bytes(v.sender.signingSeed));
    expect(own.chainKey).toEqual(bytes(v.sender.chainKey));
    const received = decodeSenderKeyState(bytes(v.bobStateWithSkipped.encoded));
    expect(encodeSenderKeyState(received)).toEqual(bytes(v.bobStateWithSkipped.encoded));
    expect(received.signingPrivateKey).toBeUndefined();
    expect(received.iteration).toBe(v.bobStateWithSkipped.iteration);
    expect([...received.skippedKeys].map(([iteration, key]) => ({ iteration, messageKey: toHex(key) }))).toEqual(
      v.bobStateWithSkipped.skipped,
    );
  });

  test("sender-keys.json: every failure case is rejected with the expected code", () => {
    const bob = () => senderKeyFromDistribution(decodeSenderKeyDistribution(bytes(v.distribution)));
    const otherGroup = groupId.slice();
    otherGroup[0] = (otherGroup[0] as number) ^ 1;
    const operations: Record<string, (input: Uint8Array) => unknown> = {
      decodeSenderKeyDistribution,
      decodeGroupMessage,
      decodeSenderKeyState,
      groupDecrypt: (input) => groupDecrypt(deps, bob(), groupId, input),
      groupDecryptOtherGroup: (input) => groupDecrypt(deps, bob(), otherGroup, input),
    };
    for (const f of v.failures) {
      const operation = operations[f.operation];
      expect(operation, f.operation).toBeDefined();
      let code = "none";
      try {
        operation?.(bytes(f.input));
      } catch (error) {
        code = error instanceof ParleyError ? error.code : String(error);
      }
      expect(code, f.name).toBe(f.expectedError);
    }
  });

  test("attachments.json: blobs rebuilt from the listed key with bare HKDF and AEAD, decrypted, pointers and failures", () => {
    const v = load("attachments.json");
    const c = deps.crypto;
    const padme = (l: number) => {
      const e = Math.floor(Math.log2(l));
      const step = 2 ** Math.max(e - (e === 0 ? 0 : Math.floor(Math.log2(e)) + 1), 0);
      return Math.ceil(l / step) * step;
    };
    for (const l of v.layouts.filter((x: { size: number }) => x.size < 2 ** 31)) {
      expect(l.paddedSize).toBe(padme(Math.max(l.size, v.minPaddedBytes)));
      expect(l.encryptedSize).toBe(l.paddedSize + 16 * Math.ceil(l.paddedSize / v.chunkBytes));
    }
    const blobs: Uint8Array[] = [];
    for (const f of v.files) {
      const key = bytes(f.key);
      const okm = c.hkdfSha256(key, new Uint8Array(0), new TextEncoder().encode(v.label), 39);
      expect(okm).toEqual(bytes(f.chunkKey + f.noncePrefix));
      const padded = new Uint8Array(f.paddedSize);
      padded.set(Uint8Array.from({ length: f.size }, (_, i) => i % 251));
      const parts: Uint8Array[] = [];
      for (let i = 0; i < f.chunkCount; i++) {
        const nonce = new Uint8Array(12);
        nonce.set(okm.subarray(32));
        new DataView(nonce.buffer).setUint32(7, i);
        nonce[11] = i === f.chunkCount - 1 ? 1 : 0;
        expect(nonce).toEqual(bytes(f.chunks[i].nonce));
        parts.push(c.aeadEncrypt(okm.subarray(0, 32), nonce, padded.subarray(i * v.chunkBytes, (i + 1) * v.chunkBytes), new Uint8Array(0)));
      }
      const blob = concatBytes(...parts);
      if (f.blob) expect(blob).toEqual(bytes(f.blob));
      else expect(parts.at(-1)).toEqual(bytes(f.lastChunk));
      expect(blob.length).toBe(f.encryptedSize);
      expect(c.sha256(blob)).toEqual(bytes(f.digest));
      const dec = new AttachmentDecryptor(deps, { key, digest: bytes(f.digest), size: f.size });
      const out = dec.update(blob);
      dec.finish();
      expect(out.reduce((n, p) => n + p.length, 0)).toBe(f.size);
      blobs.push(blob);
    }
    for (const failure of v.streamFailures) {
      const f = v.files[failure.file];
      let blob = (blobs[failure.file] as Uint8Array).slice();
      if (failure.tamperedAt !== undefined) blob[failure.tamperedAt] = (blob[failure.tamperedAt] as number) ^ 1;
      if (failure.truncateTo !== undefined) blob = blob.slice(0, failure.truncateTo);
      if (failure.append !== undefined) blob = new Uint8Array([...blob, ...bytes(failure.append)]);
      const run = () => {
        const dec = new AttachmentDecryptor(deps, {
          key: bytes(f.key),
          digest: bytes(failure.digest ?? f.digest),
          size: failure.size ?? f.size,
        });
        dec.update(blob);
        dec.finish();
      };
      expect(run, failure.description).toThrow(expect.objectContaining({ code: failure.expectedError }));
    }
    for (const p of v.pointers) {
      const decoded = decodeAttachmentPointer(bytes(p.encoded));
      expect(
        Object.fromEntries(Object.entries(decoded).map(([k, x]) => [k, x instanceof Uint8Array ? Buffer.from(x).toString("hex") : x])),
      ).toEqual(p.pointer);
      expect(encodeAttachmentPointer(decoded)).toEqual(bytes(p.encoded));
    }
    const content = decodeContent(bytes(v.content.encoded));
    expect(content.kind === "attachment" && content.width).toBe(v.pointers[v.content.pointer].pointer.width);
    for (const failure of v.decodeFailures) {
      expect(() => decodeAttachmentPointer(bytes(failure.encoded)), failure.description).toThrow(
        expect.objectContaining({ code: failure.expectedError }),
      );
    }
  });
});
