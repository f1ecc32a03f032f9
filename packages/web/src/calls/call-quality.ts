/**
 * Network quality of a call from getStats: per leg, the inbound packets lost since the previous
 * sample and the selected candidate pair's round-trip time; for the call, the worst of its legs.
 */
import { qualityLevel } from "./format.js";

/** Network quality of the call from getStats: worst packet loss and round-trip time over the legs. */
export interface CallQuality {
  /** Inbound packets lost as a share of those expected since the previous sample (0..1). */
  readonly loss: number;
  /** Round-trip time of the selected candidate pair, ms (undefined before it is known). */
  readonly rttMs: number | undefined;
  readonly level: "good" | "fair" | "poor";
}

/** Inbound packet counters of one leg, kept between samples. */
export interface PacketCounts {
  readonly lost: number;
  readonly received: number;
}

/** One leg's sample: its counters now, its loss since `previous` (undefined without packets), its RTT. */
export interface LegSample {
  readonly counts: PacketCounts;
  readonly loss: number | undefined;
  readonly rttMs: number | undefined;
}

/**
 * Reads one leg's stats report against the counters of its previous sample.
 *
 * @example
 * const sample = legSample(await pc.getStats(), previous); previous = sample.counts;
 */
export function legSample(report: RTCStatsReport, previous: PacketCounts): LegSample {
  let lost = 0;
  let received = 0;
  let rttMs: number | undefined;
  report.forEach((s: Record<string, unknown>) => {
    if (s.type === "inbound-rtp") {
      lost += Number(s.packetsLost ?? 0);
      received += Number(s.packetsReceived ?? 0);
    } else if (s.type === "candidate-pair" && s.nominated && s.state === "succeeded" && typeof s.currentRoundTripTime === "number") {
      rttMs = Math.max(rttMs ?? 0, s.currentRoundTripTime * 1000);
    }
  });
  const dLost = lost - previous.lost;
  const dReceived = received - previous.received;
  const loss = dLost + dReceived > 0 ? Math.max(0, dLost) / (dLost + dReceived) : undefined;
  return { counts: { lost, received }, loss, rttMs };
}

/** The call's quality from its legs' samples: the worst loss and RTT; undefined without legs. */
export function callQuality(samples: readonly LegSample[]): CallQuality | undefined {
  if (samples.length === 0) return undefined;
  let loss = 0;
  let rttMs: number | undefined;
  for (const sample of samples) {
    if (sample.loss !== undefined) loss = Math.max(loss, sample.loss);
    if (sample.rttMs !== undefined) rttMs = Math.max(rttMs ?? 0, sample.rttMs);
  }
  return { loss, rttMs, level: qualityLevel(loss, rttMs) };
}
