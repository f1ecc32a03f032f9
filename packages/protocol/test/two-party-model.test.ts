// The two-party model (spec/ratchet.md §Guarantees): random sends in both directions, drops,
// reorders, duplicates and save/reload of either side. Every delivered message decrypts exactly
// once to what was sent; a second delivery is ERR_DUPLICATE_MESSAGE and changes nothing.
// PARLEY_FUZZ_RUNS raises the run count (the nightly script uses 20,000).
import { fc, test } from "@fast-check/vitest";
import { describe, expect } from "vitest";
import { ErrorCode, ParleyError } from "../src/errors.js";
import { decryptMessage, encryptMessage, initiateSession, type SessionRecord } from "../src/session/record.js";
import { decodeSessionRecord, encodeSessionRecord } from "../src/session/serialize.js";
import { allDeps, bundleOf, makeDevice, type TestDevice, text, utf8 } from "./fixtures.js";

const RUNS = Number(process.env.PARLEY_FUZZ_RUNS ?? 1000);

type Side = 0 | 1;
type Action =
  | { type: "send"; from: Side }
  | { type: "deliver"; pick: number; keep: boolean }
  | { type: "drop"; pick: number }
  | { type: "reload"; who: Side };

const action: fc.Arbitrary<Action> = fc.oneof(
  { weight: 4, arbitrary: fc.record({ type: fc.constant("send" as const), from: fc.constantFrom<Side>(0, 1) }) },
  { weight: 4, arbitrary: fc.record({ type: fc.constant("deliver" as const), pick: fc.nat(), keep: fc.boolean() }) },
  { weight: 1, arbitrary: fc.record({ type: fc.constant("drop" as const), pick: fc.nat() }) },
  { weight: 1, arbitrary: fc.record({ type: fc.constant("reload" as const), who: fc.constantFrom<Side>(0, 1) }) },
);

interface InFlight {
  to: Side;
  id: string;
  bytes: Uint8Array;
}

describe.each(allDeps)("two-party model with the %s provider", (name, deps) => {
  // Long-term keys are made once; every run starts a fresh session (fresh ephemeral, ratchet
  // and KEM secrets), so runs stay fast and independent.
  const devices: [TestDevice, TestDevice] = [makeDevice(deps), makeDevice(deps)];
  const runs = name.startsWith("node") ? RUNS : Math.max(50, Math.floor(RUNS / 10));

  test.prop([fc.array(action, { minLength: 1, maxLength: 60 })], { numRuns: runs })(
    "every delivered message decrypts exactly once",
    (actions) => {
      const records: [SessionRecord | undefined, SessionRecord | undefined] = [
        initiateSession(deps, devices[0].device, undefined, bundleOf(devices[1])).record,
        undefined,
      ];
      const network: InFlight[] = [];
      const delivered = new Set<string>();
      let counter = 0;
      for (const step of actions) {
        if (step.type === "send") {
          const record = records[step.from];
          if (!record) continue; // Bob cannot write before Alice's first message reached him.
          const id = `${step.from}:${counter++}`;
          const out = encryptMessage(deps, record, utf8(id));
          records[step.from] = out.record;
          network.push({ to: step.from === 0 ? 1 : 0, id, bytes: out.message });
        } else if (step.type === "deliver" || step.type === "drop") {
          if (network.length === 0) continue;
          const at = step.pick % network.length;
          const message = network[at] as InFlight;
          if (step.type === "drop" || !step.keep) network.splice(at, 1);
          if (step.type === "drop") continue;
          const receiver = devices[message.to];
          const before = records[message.to];
          if (delivered.has(message.id)) {
            let code: string | undefined;
            try {
              decryptMessage(deps, receiver.device, before, message.bytes, receiver.lookup);
            } catch (error) {
              code = ParleyError.is(error) ? error.code : String(error);
            }
            expect(code).toBe(ErrorCode.DuplicateMessage);
            expect(records[message.to]).toBe(before);
          } else {
            const result = decryptMessage(deps, receiver.device, before, message.bytes, receiver.lookup);
            expect(text(result.plaintext)).toBe(message.id);
            records[message.to] = result.record;
            delivered.add(message.id);
          }
        } else {
          const record = records[step.who];
          if (record) records[step.who] = decodeSessionRecord(encodeSessionRecord(record));
        }
      }
    },
  );
});
