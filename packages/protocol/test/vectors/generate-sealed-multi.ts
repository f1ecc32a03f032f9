// Vectors of multi-recipient sealed envelopes (spec/sealed-envelope.md §6) and of the relay's
// side of a `multi_send` (spec/relay.md §7.8): one sender, three recipient devices of two users,
// every random value drawn (M, E), every intermediate value recomputed here from the spec's
// formulas and checked against the implementation, the envelope each device receives, the message
// id the relay derives for it, the encoded frame, and inputs that must fail (a co-recipient's
// forgery among them). Its own seed, so the other vector files do not change.
import { concatBytes, bytesToHex as hex } from "../../src/crypto/bytes.js";
import type { CryptoProvider, KeyPair } from "../../src/crypto/provider.js";
import type { Deps } from "../../src/deps.js";
import { openEnvelope } from "../../src/envelope/sealed.js";
import { sealMulti } from "../../src/envelope/sealed-multi.js";
import { ParleyError } from "../../src/errors.js";
import { type DeviceKeys, generateDevice } from "../../src/keys/device-certificate.js";
import { generateAccount } from "../../src/keys/identity.js";
import { LABEL_SEALED_MULTI, LABEL_SEALED_MULTI_AUTH, LABEL_SEALED_MULTI_PAYLOAD, PROTOCOL_VERSION } from "../../src/labels.js";
import { encodeFrame } from "../../src/wire/codec.js";
import { multiEnvelope, multiMessageId, SEALED_MULTI_TYPE } from "../../src/wire/multi-envelope.js";
import { seededStream } from "./seeded.js";

const SEED = "parley sealed-multi vectors v1";
/** Fixed clock (certificates' issuedAt): 2026-01-01T00:00:00Z, as the other vectors. */
const VECTOR_TIME = 1_767_225_600_000;

function check(condition: boolean, what: string): void {
  if (!condition) throw new Error(`sealed-multi vector generator: ${what} disagrees with the specification`);
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

const TYPE_PREFIX = Uint8Array.of(PROTOCOL_VERSION, SEALED_MULTI_TYPE);

/** `sealed-multi.json`, keyed by file name (spread into generate.ts's result). */
export function generateSealedMultiVectors(crypto: CryptoProvider): Record<string, unknown> {
  const stream = seededStream(crypto, SEED);
  const drawn: Uint8Array[] = [];
  const deps: Deps = {
    crypto,
    random: (n) => {
      const out = stream(n);
      drawn.push(out.slice());
      return out;
    },
    now: () => VECTOR_TIME,
  };
  const dh = (ours: KeyPair, theirs: Uint8Array) => crypto.x25519(ours, theirs);

  const senderAccount = generateAccount(deps);
  const sender = generateDevice(deps, senderAccount, 1);
  const bobAccount = generateAccount(deps);
  const carolAccount = generateAccount(deps);
  const recipients: DeviceKeys[] = [
    generateDevice(deps, bobAccount, 1),
    generateDevice(deps, bobAccount, 2),
    generateDevice(deps, carolAccount, 7),
  ];
  const message = new TextEncoder().encode("a group message (sender-key ciphertext in practice)");

  drawn.length = 0;
  const { payload, headers } = sealMulti(
    deps,
    sender,
    recipients.map((r) => ({ identityKey: r.identityKey.publicKey })),
    message,
  );
  // sealMulti draws M, then E's private key, and nothing else.
  check(drawn.length === 2, "sealMulti draws M then E");
  const [messageKey, ephemeralPrivateKey] = drawn as [Uint8Array, Uint8Array];
  const ephemeral = { publicKey: crypto.x25519PublicKey(ephemeralPrivateKey), privateKey: ephemeralPrivateKey };

  // §6.1, recomputed.
  const payloadKeys = crypto.hkdfSha256(messageKey, ephemeral.publicKey, LABEL_SEALED_MULTI_PAYLOAD, 44);
  const ciphertext = crypto.aeadEncrypt(
    payloadKeys.subarray(0, 32),
    payloadKeys.subarray(32, 44),
    concatBytes(sender.certificate, message),
    concatBytes(TYPE_PREFIX, ephemeral.publicKey),
  );
  check(hex(concatBytes(ephemeral.publicKey, ciphertext)) === hex(payload), "payload");
  const payloadHash = crypto.sha256(payload);
  const payloadSha256 = hex(payloadHash);

  const devices = recipients.map((r, i) => {
    const header = headers[i] as Uint8Array;
    const ephemeralShared = dh(ephemeral, r.identityKey.publicKey);
    check(hex(ephemeralShared) === hex(dh(r.identityKey, ephemeral.publicKey)), "ephemeral agreement");
    const mask = crypto.hkdfSha256(ephemeralShared, concatBytes(ephemeral.publicKey, r.identityKey.publicKey), LABEL_SEALED_MULTI, 32);
    const maskedKey = messageKey.map((b, j) => b ^ (mask[j] as number));
    const staticShared = dh(sender.identityKey, r.identityKey.publicKey);
    check(hex(staticShared) === hex(dh(r.identityKey, sender.identityKey.publicKey)), "static agreement");
    const authKey = crypto.hkdfSha256(
      staticShared,
      new Uint8Array(32),
      concatBytes(LABEL_SEALED_MULTI_AUTH, sender.identityKey.publicKey, r.identityKey.publicKey),
      32,
    );
    const tag = crypto
      .hmacSha256(authKey, concatBytes(TYPE_PREFIX, maskedKey, ephemeral.publicKey, payloadHash, r.identityKey.publicKey))
      .subarray(0, 16);
    check(hex(concatBytes(maskedKey, tag)) === hex(header), "header");
    const envelope = multiEnvelope(header, payload);
    const opened = openEnvelope(deps, r.identityKey, envelope);
    check(opened.multi && hex(opened.message) === hex(message) && opened.sender.deviceId === sender.deviceId, "round trip");
    return {
      userId: hex(r.address.userId),
      deviceId: r.deviceId,
      identityPrivateKey: hex(r.identityKey.privateKey),
      identityKey: hex(r.identityKey.publicKey),
      ephemeralShared: hex(ephemeralShared),
      mask: hex(mask),
      staticShared: hex(staticShared),
      authKey: hex(authKey),
      header: hex(header),
      envelope: hex(envelope),
      relayMessageId: hex(multiMessageId(crypto, payloadHash, r.address.userId, r.deviceId, header)),
    };
  });

  // The upload: one payload, recipients grouped by user (Bob's two devices, then Carol's).
  const token = (n: number) => new Uint8Array(32).fill(n);
  const frame = encodeFrame({
    t: "multi_send",
    id: 1,
    payload,
    recipients: [
      {
        userId: bobAccount.userId,
        token: token(0xb0),
        devices: [0, 1].map((i) => ({ deviceId: (recipients[i] as DeviceKeys).deviceId, header: headers[i] as Uint8Array })),
      },
      { userId: carolAccount.userId, token: token(0xca), devices: [{ deviceId: 7, header: headers[2] as Uint8Array }] },
    ],
  });

  // Failures, all opened by recipient 1 (Bob's second device) unless noted.
  const bob2 = recipients[1] as DeviceKeys;
  const valid = multiEnvelope(headers[1] as Uint8Array, payload);
  // Bob's first device, a co-recipient, recovered M: it re-encrypts another message under the same key and E.
  const forgedPayload = concatBytes(
    ephemeral.publicKey,
    crypto.aeadEncrypt(
      payloadKeys.subarray(0, 32),
      payloadKeys.subarray(32, 44),
      concatBytes(sender.certificate, new TextEncoder().encode("a forged group message")),
      concatBytes(TYPE_PREFIX, ephemeral.publicKey),
    ),
  );
  const flip = (b: Uint8Array, at: number) => {
    const c = b.slice();
    c[at] = (c[at] as number) ^ 1;
    return c;
  };
  const lowOrder = valid.slice();
  lowOrder.fill(0, 50, 82);
  const cases = [
    {
      name: "a co-recipient's re-encryption under the shared message key, with the victim's real header",
      input: multiEnvelope(headers[1] as Uint8Array, forgedPayload),
    },
    { name: "another device's header (Carol's) on this payload", input: multiEnvelope(headers[2] as Uint8Array, payload) },
    { name: "tag flipped (byte 40)", input: flip(valid, 40) },
    { name: "masked key flipped (byte 2)", input: flip(valid, 2) },
    { name: "payload ciphertext flipped (byte 200)", input: flip(valid, 200) },
    { name: "low-order ephemeral key (u = 0)", input: lowOrder },
    { name: "truncated below 271 bytes", input: valid.subarray(0, 270) },
    { name: "version 2", input: Uint8Array.of(2, ...valid.subarray(1)) },
  ].map((c) => ({ name: c.name, input: hex(c.input), expectedError: errorCode(() => openEnvelope(deps, bob2.identityKey, c.input)) }));
  check(
    cases.every((c) => c.expectedError !== "none"),
    "every failure case fails",
  );

  return {
    "sealed-multi.json": {
      description:
        "A multi-recipient sealed envelope (spec/sealed-envelope.md §6) from one device to three devices of two users, and the relay's side of its multi_send (spec/relay.md §7.8). Each device's envelope is 0x01 ‖ 0x04 ‖ header ‖ payload; relayMessageId is the id the relay derives when the frame names none. Failure cases are opened with recipients[1]'s key.",
      sender: {
        userId: hex(sender.address.userId),
        deviceId: sender.deviceId,
        accountKey: hex(senderAccount.publicKey),
        certificate: hex(sender.certificate),
        identityPrivateKey: hex(sender.identityKey.privateKey),
        identityKey: hex(sender.identityKey.publicKey),
      },
      message: hex(message),
      messageKey: hex(messageKey),
      ephemeralPrivateKey: hex(ephemeral.privateKey),
      ephemeralKey: hex(ephemeral.publicKey),
      payloadKey: hex(payloadKeys.subarray(0, 32)),
      payloadNonce: hex(payloadKeys.subarray(32, 44)),
      payload: hex(payload),
      payloadSha256,
      recipients: devices,
      tokens: { bob: hex(token(0xb0)), carol: hex(token(0xca)) },
      multiSendFrame: hex(frame),
      failures: cases,
    },
  };
}
