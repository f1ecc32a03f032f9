/**
 * The call sounds as data: which frequencies sound when, in seconds from the start of a cycle.
 * Everything is synthesised with WebAudio oscillators (ringer.ts), so no audio file is fetched
 * and nothing needs a CSP exception. Pure: no audio here, so the patterns are unit-tested.
 */
import type { CallEndReason } from "@parley/protocol/client";

/** The sounds of the call UI: an incoming call rings; the caller hears ringback; busy and ended are short cues. */
export type RingerSound = "ringtone" | "ringback" | "busy" | "ended";

/** One tone: these frequencies together (Hz), from `at` for `duration` (s, from the cycle's start). */
export interface ToneNote {
  readonly at: number;
  readonly duration: number;
  readonly freqs: readonly number[];
}

/** A sound: its notes, the cycle length for a repeating sound (undefined: played once), and its loudness (0..1). */
export interface ToneSpec {
  readonly notes: readonly ToneNote[];
  /** Seconds from one cycle's start to the next; undefined for a sound played once. */
  readonly period: number | undefined;
  /** Gain of the whole sound; two summed sines at 0.15 stay well under full scale. */
  readonly volume: number;
}

// C6, E6, G6: a bright rising arpeggio, far from the ringback's 440/480 Hz so the two are never confused.
const C6 = 1046.5;
const E6 = 1318.5;
const G6 = 1568;

const arpeggio = (start: number): ToneNote[] =>
  [C6, E6, G6, E6].map((freq, i) => ({ at: start + i * 0.16, duration: 0.13, freqs: [freq] }));

/** The sounds. Ringback and busy follow the North American tones (440+480 Hz 2 s on 4 s off; 480+620 Hz 0.5 s on/off). */
export const TONES: Readonly<Record<RingerSound, ToneSpec>> = {
  ringtone: { notes: [...arpeggio(0), ...arpeggio(0.8)], period: 3, volume: 0.25 },
  ringback: { notes: [{ at: 0, duration: 2, freqs: [440, 480] }], period: 6, volume: 0.15 },
  busy: {
    notes: [0, 1, 2].map((i) => ({ at: i, duration: 0.5, freqs: [480, 620] })),
    period: undefined,
    volume: 0.15,
  },
  // G5 then C5, a falling fifth: no frequency shared with the busy tone or ringback.
  ended: {
    notes: [
      { at: 0, duration: 0.15, freqs: [784] },
      { at: 0.2, duration: 0.25, freqs: [523.25] },
    ],
    period: undefined,
    volume: 0.2,
  },
};

/** How long a sound played once lasts (s): the end of its last note. */
export function toneLength(tone: ToneSpec): number {
  return Math.max(0, ...tone.notes.map((n) => n.at + n.duration));
}

/** A note placed on the audio clock. */
export interface ScheduledNote {
  readonly start: number;
  readonly duration: number;
  readonly freqs: readonly number[];
}

/**
 * The notes of cycles `fromCycle` up to (not including) the first cycle that starts at or after
 * `horizon`, with the cycles starting at `origin` on the audio clock; and the next cycle to
 * schedule. A sound played once has only cycle 0.
 */
export function notesUntil(
  tone: ToneSpec,
  origin: number,
  fromCycle: number,
  horizon: number,
): { readonly notes: ScheduledNote[]; readonly nextCycle: number } {
  const notes: ScheduledNote[] = [];
  let cycle = fromCycle;
  const lastCycle = tone.period === undefined ? 0 : Number.POSITIVE_INFINITY;
  while (cycle <= lastCycle) {
    const start = origin + cycle * (tone.period ?? 0);
    if (start >= horizon) break;
    for (const n of tone.notes) notes.push({ start: start + n.at, duration: n.duration, freqs: n.freqs });
    cycle += 1;
  }
  return { notes, nextCycle: cycle };
}

/** The sound for a call that ended with `reason` here: a busy tone, nothing (glare, another device), else the ended cue. */
export function endSound(reason: CallEndReason | undefined): RingerSound | undefined {
  if (reason === "busy") return "busy";
  if (reason === "glare" || reason === "answeredElsewhere") return undefined;
  return "ended";
}
