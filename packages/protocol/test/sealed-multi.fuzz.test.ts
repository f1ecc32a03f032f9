// Property tests of multi-recipient envelopes: arbitrary bytes and mutations of a valid envelope
// either open — and then only to the sender's exact message — or throw a ParleyError, never
// another exception; and for any recipient set and message, every recipient opens it, while a
// co-recipient's re-encryption of any other message under the shared key never opens for another.
import { fc, test } from "@fast-check/vitest";
import { describe, expect } from "vitest";
import { equalBytes } from "../src/crypto/bytes.js";
import { openEnvelope } from "../src/envelope/sealed.js";
import { sealMulti } from "../src/envelope/sealed-multi.js";
import { ParleyError } from "../src/errors.js";
import { agree } from "../src/handshake/agreement.js";
import { LABEL_SEALED_MULTI, LABEL_SEALED_MULTI_PAYLOAD, PROTOCOL_VERSION } from "../src/labels.js";
import { MULTI_HEADER_LENGTH, multiEnvelope, SEALED_MULTI_TYPE } from "../src/wire/multi-envelope.js";
import { allDeps, makeDevice, utf8 } from "./fixtures.js";

const RUNS = Number(process.env.PARLEY_FUZZ_RUNS ?? 300);
const [, deps] = allDeps[0] as [string, (typeof allDeps)[number][1]];

const alice = makeDevice(deps);
const devices = Array.from({ length: 6 }, (_, i) => makeDevice(deps, { deviceId: i + 1 }));
const message = utf8("the group's message");
const sealed = sealMulti(
  deps,
  alice.device,
  devices.map((d) => ({ identityKey: d.device.identityKey.publicKey })),
  message,
);
const valid = multiEnvelope(sealed.headers[0] as Uint8Array, sealed.payload);
const bob = devices[0] as (typeof devices)[number];

/** Opens as Bob: the exact message from Alice, or a ParleyError. */
function opensOnlyToTheTruth(bytes: Uint8Array): void {
  try {
    const opened = openEnvelope(deps, bob.device.identityKey, bytes);
    expect(opened.multi).toBe(true);
    expect(opened.sender).toEqual(alice.device.address);
    expect(equalBytes(opened.message, message)).toBe(true);
  } catch (e) {
    if (!ParleyError.is(e)) throw e;
  }
}

describe("multi-recipient envelope fuzz", () => {
  test.prop([fc.uint8Array({ maxLength: 600 })], { numRuns: RUNS })(
    "arbitrary bytes after the 0x01 0x04 prefix give a ParleyError",
    (rest) => {
      const bytes = new Uint8Array([PROTOCOL_VERSION, SEALED_MULTI_TYPE, ...rest]);
      expect(() => openEnvelope(deps, bob.device.identityKey, bytes)).toThrow(ParleyError);
    },
  );

  test.prop([fc.array(fc.tuple(fc.nat(), fc.integer({ min: 0, max: 255 })), { maxLength: 8 }), fc.option(fc.nat(), { nil: undefined })], {
    numRuns: RUNS,
  })("mutated or truncated valid envelopes open only to the exact message, else a ParleyError", (flips, cut) => {
    const bytes = valid.slice();
    for (const [at, value] of flips) bytes[at % bytes.length] = value;
    opensOnlyToTheTruth(cut === undefined ? bytes : bytes.subarray(0, cut % (bytes.length + 1)));
  });

  test.prop([fc.integer({ min: 1, max: devices.length }), fc.uint8Array({ maxLength: 300 })], { numRuns: Math.min(RUNS, 60) })(
    "every recipient of any set opens any message, as Alice",
    (count, text) => {
      const recipients = devices.slice(0, count);
      const { payload, headers } = sealMulti(
        deps,
        alice.device,
        recipients.map((d) => ({ identityKey: d.device.identityKey.publicKey })),
        text,
      );
      recipients.forEach((d, i) => {
        const opened = openEnvelope(deps, d.device.identityKey, multiEnvelope(headers[i] as Uint8Array, payload));
        expect(equalBytes(opened.message, text)).toBe(true);
        expect(opened.sender).toEqual(alice.device.address);
      });
    },
  );

  test.prop([fc.integer({ min: 1, max: devices.length - 1 }), fc.uint8Array({ maxLength: 200 })], { numRuns: Math.min(RUNS, 60) })(
    "a co-recipient's re-encryption of any other message under the shared key never opens for another recipient",
    (victimIndex, forgedMessage) => {
      // Bob (recipient 0) recovers M from his header, as any recipient can.
      const ephemeralKey = sealed.payload.subarray(0, 32);
      const mask = deps.crypto.hkdfSha256(
        agree(deps, bob.device.identityKey, ephemeralKey),
        new Uint8Array([...ephemeralKey, ...bob.device.identityKey.publicKey]),
        LABEL_SEALED_MULTI,
        32,
      );
      const messageKey = (sealed.headers[0] as Uint8Array).subarray(0, 32).map((x, i) => x ^ (mask[i] as number));
      const keys = deps.crypto.hkdfSha256(messageKey, ephemeralKey, LABEL_SEALED_MULTI_PAYLOAD, 44);
      const ad = new Uint8Array([PROTOCOL_VERSION, SEALED_MULTI_TYPE, ...ephemeralKey]);
      const forged = new Uint8Array([
        ...ephemeralKey,
        ...deps.crypto.aeadEncrypt(
          keys.subarray(0, 32),
          keys.subarray(32),
          new Uint8Array([...alice.device.certificate, ...forgedMessage]),
          ad,
        ),
      ]);
      const victim = devices[victimIndex] as (typeof devices)[number];
      const header = sealed.headers[victimIndex] as Uint8Array;
      expect(header.length).toBe(MULTI_HEADER_LENGTH);
      expect(() => openEnvelope(deps, victim.device.identityKey, multiEnvelope(header, forged))).toThrow(
        expect.objectContaining({ code: "ERR_DECRYPT_FAILED" }),
      );
    },
  );
});
