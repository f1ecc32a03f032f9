import { describe, expect, test } from "vitest";
import { callQuality, legSample } from "./call-quality.js";

/** A stats report of the given entries (RTCStatsReport is a read-only Map). */
function report(...entries: Record<string, unknown>[]): RTCStatsReport {
  return new Map(entries.map((e, i) => [String(i), e])) as unknown as RTCStatsReport;
}

describe("call quality", () => {
  test("a leg's loss counts only the packets since its previous sample; RTT from the selected pair", () => {
    const first = legSample(
      report(
        { type: "inbound-rtp", packetsLost: 2, packetsReceived: 98 },
        { type: "candidate-pair", nominated: true, state: "succeeded", currentRoundTripTime: 0.05 },
        { type: "candidate-pair", nominated: false, state: "succeeded", currentRoundTripTime: 0.9 },
      ),
      { lost: 0, received: 0 },
    );
    expect(first).toEqual({ counts: { lost: 2, received: 98 }, loss: 0.02, rttMs: 50 });
    const second = legSample(report({ type: "inbound-rtp", packetsLost: 12, packetsReceived: 188 }), first.counts);
    expect(second.loss).toBeCloseTo(0.1);
    expect(second.rttMs).toBeUndefined();
    // No new packets: no loss figure for this leg.
    expect(legSample(report({ type: "inbound-rtp", packetsLost: 12, packetsReceived: 188 }), second.counts).loss).toBeUndefined();
  });

  test("the call's quality is its worst leg; none without legs", () => {
    expect(callQuality([])).toBeUndefined();
    const q = callQuality([
      { counts: { lost: 0, received: 0 }, loss: 0.01, rttMs: 400 },
      { counts: { lost: 0, received: 0 }, loss: undefined, rttMs: 20 },
      { counts: { lost: 0, received: 0 }, loss: 0.2, rttMs: undefined },
    ]);
    expect(q).toMatchObject({ loss: 0.2, rttMs: 400, level: "poor" });
    expect(callQuality([{ counts: { lost: 0, received: 0 }, loss: undefined, rttMs: undefined }])).toEqual({
      loss: 0,
      rttMs: undefined,
      level: "good",
    });
  });
});
