// Every decoder, fed arbitrary bytes and mutations of valid encodings, either succeeds or
// throws a ParleyError — never another exception, never a hang (spec/conventions.md §Decoding).
import { fc, test } from "@fast-check/vitest";
import { describe, expect } from "vitest";
import { decodeContent, encodeContent } from "../src/content/content.js";
import { unpad } from "../src/content/padding.js";
import { openEnvelope, sealEnvelope } from "../src/envelope/sealed.js";
import { decodeDeviceCertificate, verifyDeviceCertificate } from "../src/keys/device-certificate.js";
import { decodeDeviceList, signDeviceList } from "../src/keys/device-list.js";
import { decodeKemPreKey, decodeOneTimePreKey, decodeSignedPreKey } from "../src/keys/prekeys.js";
import { decodePreKeyMessage, decodeRatchetMessage } from "../src/ratchet/message.js";
import { compareSafetyQr, safetyNumber } from "../src/safety-number.js";
import { decryptMessage, encryptMessage, initiateSession } from "../src/session/record.js";
import { decodeSessionRecord, encodeSessionRecord } from "../src/session/serialize.js";
import { allDeps, bundleOf, makeDevice, utf8 } from "./fixtures.js";
import { mutated, onlyParleyErrors } from "./fuzz.js";

const RUNS = Number(process.env.PARLEY_FUZZ_RUNS ?? 300);
const [, deps] = allDeps[0] as [string, (typeof allDeps)[number][1]];

const alice = makeDevice(deps);
const bob = makeDevice(deps);
const session = initiateSession(deps, alice.device, undefined, bundleOf(bob)).record;
const prekeyMessage = encryptMessage(deps, session, utf8("fuzz")).message;
const received = decryptMessage(deps, bob.device, undefined, prekeyMessage, bob.lookup);
const ratchetMessage = encryptMessage(deps, received.record, utf8("reply")).message;
const content = encodeContent({ kind: "reply", id: new Uint8Array(16), sentAt: 1, target: new Uint8Array(16).fill(1), text: "hi" });
const sn = safetyNumber(
  deps,
  { accountKey: alice.account.publicKey, userId: alice.account.userId },
  { accountKey: bob.account.publicKey, userId: bob.account.userId },
);

/** name → [decoder, a valid input]. */
const decoders: Record<string, [(bytes: Uint8Array) => unknown, Uint8Array]> = {
  "device certificate": [decodeDeviceCertificate, alice.device.certificate],
  "verified device certificate": [(b) => verifyDeviceCertificate(deps, b), alice.device.certificate],
  "device list": [decodeDeviceList, signDeviceList(deps, alice.account, 1, [1, 2])],
  "signed prekey": [decodeSignedPreKey, (bob.signed.get(1) as { record: Uint8Array }).record],
  "one-time prekey": [decodeOneTimePreKey, (bob.oneTime.get(2) as { record: Uint8Array }).record],
  "ML-KEM prekey": [decodeKemPreKey, (bob.kem.get(2) as { record: Uint8Array }).record],
  "ratchet message": [decodeRatchetMessage, ratchetMessage],
  "prekey message": [decodePreKeyMessage, prekeyMessage],
  content: [decodeContent, content],
  padding: [unpad, content],
  "session record": [decodeSessionRecord, encodeSessionRecord(received.record)],
  "sealed envelope": [
    (b) => openEnvelope(deps, bob.device.identityKey, b),
    sealEnvelope(deps, alice.device, bob.device.identityKey.publicKey, ratchetMessage),
  ],
  "safety number QR": [(b) => compareSafetyQr(sn, b), sn.qrPayload],
  "decrypt (no session)": [(b) => decryptMessage(deps, bob.device, undefined, b, bob.lookup), prekeyMessage],
  "decrypt (with session)": [(b) => decryptMessage(deps, alice.device, session, b, alice.lookup), ratchetMessage],
};

describe.each(Object.entries(decoders))("%s decoder", (_name, [decode, valid]) => {
  test.prop([fc.uint8Array({ maxLength: 4096 })], { numRuns: RUNS })("arbitrary bytes give a ParleyError or a value", (bytes) => {
    onlyParleyErrors(decode, bytes);
  });

  test.prop([mutated(valid)], { numRuns: RUNS })("mutations of a valid input give a ParleyError or a value", (bytes) => {
    onlyParleyErrors(decode, bytes);
  });

  test.prop([fc.uint8Array({ minLength: 2, maxLength: 8 })], { numRuns: 50 })(
    "a version prefix followed by garbage is rejected quickly",
    (bytes) => {
      const start = performance.now();
      onlyParleyErrors(decode, Uint8Array.of(1, ...bytes));
      expect(performance.now() - start).toBeLessThan(1000);
    },
  );
});
