/**
 * Pure helpers of the call UI: the call timer's text, the network-quality level from packet
 * loss and round-trip time, and the sentence for how a call ended.
 */
import type { CallEndReason } from "@parley/protocol/client";

/** "0:07", "2:13", "1:02:03" (whole seconds, rounded down; negative durations are 0:00). */
export function formatDuration(ms: number): string {
  const total = Math.max(0, Math.floor(ms / 1000));
  const h = Math.floor(total / 3600);
  const m = Math.floor((total % 3600) / 60);
  const s = String(total % 60).padStart(2, "0");
  return h > 0 ? `${h}:${String(m).padStart(2, "0")}:${s}` : `${m}:${s}`;
}

/** Below this loss (share of packets) and RTT (ms) a connection is "good". */
export const GOOD_LIMITS = { loss: 0.02, rttMs: 250 } as const;
/** From this loss or RTT on a connection is "poor"; between the two, "fair". */
export const POOR_LIMITS = { loss: 0.08, rttMs: 600 } as const;

/** The network-quality level the call view shows; an unknown RTT counts as fine. */
export function qualityLevel(loss: number, rttMs: number | undefined): "good" | "fair" | "poor" {
  const rtt = rttMs ?? 0;
  if (loss >= POOR_LIMITS.loss || rtt >= POOR_LIMITS.rttMs) return "poor";
  if (loss >= GOOD_LIMITS.loss || rtt >= GOOD_LIMITS.rttMs) return "fair";
  return "good";
}

const ENDED_TEXT: Record<CallEndReason, string> = {
  hangup: "Call ended",
  declined: "Call declined",
  busy: "Busy on another call",
  missed: "Missed call",
  noAnswer: "No answer",
  cancelled: "Call cancelled",
  failed: "The call could not connect",
  answeredElsewhere: "Answered on another device",
  glare: "Joined the other call",
};

/** The notice shown when a call placed or answered here ends, e.g. "Call declined". */
export function endedText(reason: CallEndReason | undefined): string {
  return reason ? ENDED_TEXT[reason] : "Call ended";
}
