// Every sender key decoder, fed arbitrary bytes and mutations of valid encodings, either
// succeeds or throws a ParleyError — never another exception, never a hang (spec/README.md §5).
// groupDecrypt with a state is fuzzed the same way, and must leave that state unchanged; the
// state loader must throw ERR_INVALID_STATE and nothing else.
import { fc, test } from "@fast-check/vitest";
import { describe, expect } from "vitest";
import { allDeps, utf8 } from "../../test/fixtures.js";
import { mutated, onlyParleyErrors } from "../../test/fuzz.js";
import type { Deps } from "../deps.js";
import { ErrorCode, ParleyError } from "../errors.js";
import {
  createSenderKey,
  decodeGroupMessage,
  decodeSenderKeyDistribution,
  decodeSenderKeyState,
  encodeSenderKeyDistribution,
  encodeSenderKeyState,
  groupDecrypt,
  groupEncrypt,
  parseGroupMessageHeader,
  senderKeyFromDistribution,
} from "./sender-key.js";

const RUNS = Number(process.env.PARLEY_FUZZ_RUNS ?? 300);
const deps = (allDeps[0] as [string, Deps])[1];
const groupId = new Uint8Array(16).fill(3);

let own = createSenderKey(deps);
const receiver = senderKeyFromDistribution(decodeSenderKeyDistribution(encodeSenderKeyDistribution(own)));
const messages: Uint8Array[] = [];
for (const word of ["one", "two", "three"]) {
  const out = groupEncrypt(deps, own, groupId, utf8(word));
  own = out.state;
  messages.push(out.message);
}
// A receiver with skipped keys (it read the third message first), so every decryption path is reachable.
const skipping = groupDecrypt(deps, receiver, groupId, messages[2] as Uint8Array).state;
const skippingBytes = encodeSenderKeyState(skipping);

/** name → [decoder, a valid input]. */
const decoders: Record<string, [(bytes: Uint8Array) => unknown, Uint8Array]> = {
  "sender key distribution": [decodeSenderKeyDistribution, encodeSenderKeyDistribution(own)],
  "group message": [decodeGroupMessage, messages[0] as Uint8Array],
  "group message header": [parseGroupMessageHeader, messages[1] as Uint8Array],
  "sender key state (own)": [decodeSenderKeyState, encodeSenderKeyState(own)],
  "sender key state (received, with skipped keys)": [decodeSenderKeyState, skippingBytes],
  "group decrypt (fresh receiver)": [(b) => groupDecrypt(deps, receiver, groupId, b), messages[1] as Uint8Array],
  "group decrypt (with skipped keys)": [(b) => groupDecrypt(deps, skipping, groupId, b), messages[0] as Uint8Array],
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

describe("sender key decoders, stronger properties", () => {
  test.prop([mutated(skippingBytes)], { numRuns: RUNS })(
    "the state loader throws ERR_INVALID_STATE only, and what loads re-encodes",
    (bytes) => {
      try {
        const loaded = decodeSenderKeyState(bytes);
        expect(encodeSenderKeyState(loaded)).toEqual(bytes);
      } catch (error) {
        expect(ParleyError.is(error, ErrorCode.InvalidState)).toBe(true);
      }
    },
  );

  test.prop([mutated(messages[0] as Uint8Array)], { numRuns: RUNS })(
    "a mutated message either is the original or is refused, and the state is unchanged",
    (bytes) => {
      const same = bytes.length === (messages[0] as Uint8Array).length && bytes.every((b, i) => b === (messages[0] as Uint8Array)[i]);
      try {
        const out = groupDecrypt(deps, skipping, groupId, bytes);
        expect(same).toBe(true);
        expect(new TextDecoder().decode(out.plaintext)).toBe("one");
      } catch (error) {
        expect(error).toBeInstanceOf(ParleyError);
        expect(same).toBe(false);
      }
      expect(encodeSenderKeyState(skipping)).toEqual(skippingBytes);
    },
  );

  test.prop([fc.uint8Array({ minLength: 74, maxLength: 74 })], { numRuns: RUNS })(
    "any 74 bytes with the right version and type decode as a distribution and re-encode",
    (bytes) => {
      bytes[0] = 1;
      bytes[1] = 0x11;
      const d = decodeSenderKeyDistribution(bytes);
      expect(encodeSenderKeyDistribution(senderKeyFromDistribution(d))).toEqual(bytes);
    },
  );
});
