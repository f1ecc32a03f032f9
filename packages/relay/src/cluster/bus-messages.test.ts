import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { decodeEnvelope, encodeEnvelope } from "./bus-messages.js";

describe("bus message decoding", () => {
  it("round-trips each message type", () => {
    const messages = [
      { t: "wake", keys: ["ab.1", "cd.2"] },
      { t: "claim", key: "ab.1", generation: 7, node: "n1" },
      { t: "release", key: "ab.1", generation: 7 },
      { t: "ephemeral", key: "ab.1", envelope: new Uint8Array([0, 1, 255]) },
      { t: "removed", keys: ["ab.2"] },
      { t: "expired", keys: ["ab.3"] },
      { t: "quota", spends: [["send", "u:ab>cd", 3]], holds: [["ab.1", "ff", ["ab.1|u:cd"], 123]], acks: [["ab.1", ["ff"]]] },
    ] as const;
    for (const message of messages) expect(decodeEnvelope(encodeEnvelope("me", message))).toEqual({ from: "me", message });
  });

  it("rejects malformed messages instead of trusting them", () => {
    for (const text of [
      "",
      "{",
      "null",
      "[]",
      '{"from":1,"message":{"t":"wake","keys":[]}}',
      '{"from":"x","message":{"t":"wake","keys":[1]}}',
      '{"from":"x","message":{"t":"claim","key":"k","generation":0,"node":"n"}}',
      '{"from":"x","message":{"t":"claim","key":"k","generation":1.5,"node":"n"}}',
      '{"from":"x","message":{"t":"claim","key":"k","generation":"2","node":"n"}}',
      '{"from":"x","message":{"t":"quota","spends":[["send","k",-1]],"holds":[],"acks":[]}}',
      '{"from":"x","message":{"t":"quota","spends":[["send","k",1e999]],"holds":[],"acks":[]}}',
      '{"from":"x","message":{"t":"quota","spends":[],"holds":[["m","id",["k"]]],"acks":[]}}',
      '{"from":"x","message":{"t":"quota","spends":[],"holds":[],"acks":[["m","id"]]}}',
      '{"from":"x","message":{"t":"other"}}',
      '{"from":"x","message":{"t":"ephemeral","key":"k","envelope":"%%%"}}',
      '{"from":"x","message":{"t":"release","key":"k","generation":0}}',
      '{"from":"x","message":{"t":"removed","keys":"k"}}',
    ]) {
      expect(decodeEnvelope(text), text).toBeUndefined();
    }
  });

  it("never throws on arbitrary input", () => {
    fc.assert(
      fc.property(fc.oneof(fc.string(), fc.json()), (text) => {
        decodeEnvelope(text);
      }),
    );
  });
});
