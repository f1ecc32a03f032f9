// Call-signal payloads (spec/calls.md §4): every type round-trips, every limit holds at N and
// fails at N+1 (ERR_LIMIT_EXCEEDED when sending, ERR_INVALID_ENCODING when receiving), and the
// decoder, fuzzed, only ever returns a checked value or a ParleyError.
import { fc, test } from "@fast-check/vitest";
import { describe, expect } from "vitest";
import { decodeContent, encodeContent } from "../../content/content.js";
import { ErrorCode, ParleyError } from "../../errors.js";
import { MAX_CALL_ICE_BATCH, MAX_CALL_ICE_CANDIDATE_BYTES, MAX_CALL_PARTICIPANTS, MAX_CALL_SDP_BYTES } from "../../limits.js";
import { callLineText, formatDuration, outcomeOf } from "./history.js";
import { type CallSignal, decodeCallSignal, encodeCallSignal } from "./signal-payload.js";

const id = (n: number) => n.toString(16).padStart(32, "0");
const codeOf = (run: () => unknown): string | undefined => {
  try {
    run();
  } catch (error) {
    return error instanceof ParleyError ? error.code : (error as Error).name;
  }
  return undefined;
};

const SAMPLES: CallSignal[] = [
  { type: "offer", sdp: "v=0\r\no=- 1 2 IN IP4 127.0.0.1\r\n", video: true },
  { type: "offer", sdp: "v=0", video: false, group: { groupId: id(9), participants: [id(1), id(2), id(3)] } },
  { type: "offer", sdp: "v=0 renegotiate", video: true, to: 7 },
  { type: "answer", sdp: "v=0 answer", to: 1 },
  { type: "ice", candidates: ["candidate:1 1 udp 2113937151 127.0.0.1 50000 typ host", ""], to: 2 },
  { type: "hangup", reason: "answeredElsewhere", to: 3 },
  { type: "hangup", reason: "noAnswer" },
  { type: "busy", to: 1 },
  { type: "ringing", to: 1 },
  { type: "decline", to: 4 },
  { type: "join" },
];

describe("call signal payloads", () => {
  test("every signal type round-trips, inside a call-signal content too", () => {
    for (const signal of SAMPLES) {
      const payload = encodeCallSignal(signal);
      expect(decodeCallSignal(signal.type, payload)).toEqual(signal);
      const content = decodeContent(
        encodeContent({
          kind: "callSignal",
          id: new Uint8Array(16),
          sentAt: 1,
          callId: new Uint8Array(16).fill(1),
          signal: signal.type,
          payload,
        }),
      );
      expect(content.kind === "callSignal" && decodeCallSignal(content.signal, content.payload)).toEqual(signal);
    }
  });

  test("unknown fields are ignored; missing or mistyped ones are ERR_INVALID_ENCODING", () => {
    expect(decodeCallSignal("answer", JSON.stringify({ sdp: "v=0", future: [1, 2] }))).toEqual({ type: "answer", sdp: "v=0" });
    for (const [type, payload] of [
      ["offer", "{}"],
      ["offer", JSON.stringify({ sdp: "v=0", video: "yes" })],
      ["offer", JSON.stringify({ sdp: "", video: true })],
      ["answer", JSON.stringify({ sdp: 5 })],
      ["ice", JSON.stringify({ candidates: [] })],
      ["ice", JSON.stringify({ candidates: [1] })],
      ["hangup", JSON.stringify({ reason: "because" })],
      ["busy", JSON.stringify({ to: -1 })],
      ["busy", JSON.stringify({ to: 1.5 })],
      ["ringing", "[]"],
      ["join", "null"],
      ["join", "not json"],
      ["offer", JSON.stringify({ sdp: "v=0", video: true, group: { groupId: id(1), participants: [id(1), id(1)] } })],
      ["offer", JSON.stringify({ sdp: "v=0", video: true, group: { groupId: "G", participants: [id(1), id(2)] } })],
      ["offer", JSON.stringify({ sdp: "v=0", video: true, group: { groupId: id(1), participants: [id(1)] } })],
    ] as const) {
      expect(
        codeOf(() => decodeCallSignal(type, payload)),
        `${type} ${payload}`,
      ).toBe(ErrorCode.InvalidEncoding);
    }
  });

  test("SDP of MAX_CALL_SDP_BYTES is accepted; one byte more is refused on both sides", () => {
    const sdp = "a".repeat(MAX_CALL_SDP_BYTES);
    expect(decodeCallSignal("answer", encodeCallSignal({ type: "answer", sdp })).type).toBe("answer");
    const over = `${sdp}a`;
    expect(codeOf(() => encodeCallSignal({ type: "answer", sdp: over }))).toBe(ErrorCode.LimitExceeded);
    expect(codeOf(() => decodeCallSignal("answer", JSON.stringify({ sdp: over })))).toBe(ErrorCode.InvalidEncoding);
    // Multi-byte characters count as their UTF-8 bytes.
    expect(codeOf(() => encodeCallSignal({ type: "offer", sdp: "é".repeat(MAX_CALL_SDP_BYTES / 2 + 1), video: false }))).toBe(
      ErrorCode.LimitExceeded,
    );
  });

  test("ICE batches of MAX_CALL_ICE_BATCH and candidates of MAX_CALL_ICE_CANDIDATE_BYTES are accepted; N+1 is refused", () => {
    const batch = Array.from({ length: MAX_CALL_ICE_BATCH }, (_, i) => `candidate:${i}`);
    expect(decodeCallSignal("ice", encodeCallSignal({ type: "ice", candidates: batch })).type).toBe("ice");
    expect(codeOf(() => encodeCallSignal({ type: "ice", candidates: [...batch, "x"] }))).toBe(ErrorCode.LimitExceeded);
    expect(codeOf(() => decodeCallSignal("ice", JSON.stringify({ candidates: [...batch, "x"] })))).toBe(ErrorCode.InvalidEncoding);
    const longest = "c".repeat(MAX_CALL_ICE_CANDIDATE_BYTES);
    expect(decodeCallSignal("ice", encodeCallSignal({ type: "ice", candidates: [longest] })).type).toBe("ice");
    expect(codeOf(() => encodeCallSignal({ type: "ice", candidates: [`${longest}c`] }))).toBe(ErrorCode.LimitExceeded);
  });

  test("group calls of MAX_CALL_PARTICIPANTS are accepted; one more is refused", () => {
    const participants = Array.from({ length: MAX_CALL_PARTICIPANTS }, (_, i) => id(i + 1));
    const offer: CallSignal = { type: "offer", sdp: "v=0", video: false, group: { groupId: id(99), participants } };
    expect(decodeCallSignal("offer", encodeCallSignal(offer))).toEqual(offer);
    const tooMany = { ...offer, group: { groupId: id(99), participants: [...participants, id(50)] } };
    expect(codeOf(() => encodeCallSignal(tooMany))).toBe(ErrorCode.LimitExceeded);
    const { type: _type, ...fields } = tooMany;
    expect(codeOf(() => decodeCallSignal("offer", JSON.stringify(fields)))).toBe(ErrorCode.InvalidEncoding);
  });

  const TYPES = ["offer", "answer", "ice", "hangup", "busy", "ringing", "decline", "join"] as const;
  const onlyParleyErrors = (type: (typeof TYPES)[number], payload: string) => {
    try {
      const signal = decodeCallSignal(type, payload);
      // Whatever decodes also encodes: the decoder never lets through what a sender could not send.
      expect(decodeCallSignal(type, encodeCallSignal(signal))).toEqual(signal);
    } catch (error) {
      if (!(error instanceof ParleyError)) throw error;
      expect(error.code).toBe(ErrorCode.InvalidEncoding);
    }
  };

  test.prop([fc.constantFrom(...TYPES), fc.string({ maxLength: 200 })], { numRuns: 500 })(
    "arbitrary strings decode to a checked signal or ERR_INVALID_ENCODING",
    (type, payload) => onlyParleyErrors(type, payload),
  );

  test.prop([fc.constantFrom(...TYPES), fc.json({ maxDepth: 3 })], { numRuns: 500 })(
    "arbitrary JSON decodes to a checked signal or ERR_INVALID_ENCODING",
    (type, payload) => onlyParleyErrors(type, payload),
  );

  test.prop(
    [
      fc.constantFrom(...SAMPLES),
      fc.constantFrom("sdp", "video", "to", "candidates", "reason", "group", "groupId", "participants"),
      fc.anything({ maxDepth: 2 }),
    ],
    { numRuns: 500 },
  )("valid payloads with one field replaced by anything decode or give ERR_INVALID_ENCODING", (signal, field, value) => {
    const { type, ...fields } = signal as CallSignal & Record<string, unknown>;
    const replaced: Record<string, unknown> = { ...fields, [field]: value };
    if (field === "groupId" || field === "participants") replaced.group = { ...(fields.group as object), [field]: value };
    let payload: string;
    try {
      payload = JSON.stringify(replaced);
    } catch {
      return; // Not representable as JSON (a BigInt): no sender could produce it.
    }
    if (payload === undefined) return;
    onlyParleyErrors(type, payload);
  });
});

describe("call history lines", () => {
  test("durations read m:ss, or h:mm:ss from an hour", () => {
    expect(formatDuration(0)).toBe("0:00");
    expect(formatDuration(65_400)).toBe("1:05");
    expect(formatDuration(3_600_000 + 61_000)).toBe("1:01:01");
  });

  test("a connected call is completed whatever ended it; calls that ran elsewhere leave no line", () => {
    expect(outcomeOf("failed", true)).toBe("completed");
    expect(outcomeOf("missed", false)).toBe("missed");
    expect(outcomeOf("hangup", false)).toBe("cancelled");
    expect(outcomeOf("answeredElsewhere", false)).toBeUndefined();
    expect(outcomeOf("glare", false)).toBeUndefined();
    expect(callLineText({ callId: id(1), video: false, direction: "incoming", outcome: "missed" })).toBe("Missed voice call");
    expect(callLineText({ callId: id(1), video: true, direction: "outgoing", outcome: "completed", durationMs: 83_000 })).toBe(
      "Video call · 1:23",
    );
  });
});
