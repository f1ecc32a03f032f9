import { expect, test } from "vitest";
import { endSound, notesUntil, TONES, toneLength } from "./ringer-tones.js";

test("a repeating sound is scheduled cycle by cycle up to, not including, a cycle starting at the horizon", () => {
  const ring = TONES.ringtone;
  const period = ring.period ?? 0;
  // Horizon just after cycle 2's start: cycles 0, 1, 2.
  const a = notesUntil(ring, 10, 0, 10 + 2 * period + 0.001);
  expect(a.nextCycle).toBe(3);
  expect(a.notes).toHaveLength(3 * ring.notes.length);
  // Horizon exactly at cycle 2's start: cycles 0 and 1 only.
  const b = notesUntil(ring, 10, 0, 10 + 2 * period);
  expect(b.nextCycle).toBe(2);
  // Continuing from where it stopped gives the next cycle at its place on the clock.
  const c = notesUntil(ring, 10, b.nextCycle, 10 + 2 * period + 0.001);
  expect(c.notes[0]?.start).toBeCloseTo(10 + 2 * period);
  expect(c.nextCycle).toBe(3);
});

test("a sound played once has a single cycle, however far the horizon", () => {
  const busy = notesUntil(TONES.busy, 0, 0, 1_000);
  expect(busy.notes).toHaveLength(3);
  expect(busy.notes.every((n) => n.freqs.join() === "480,620")).toBe(true);
  expect(notesUntil(TONES.busy, 0, busy.nextCycle, 1_000).notes).toEqual([]);
  expect(toneLength(TONES.busy)).toBeCloseTo(2.5);
  expect(toneLength(TONES.ended)).toBeCloseTo(0.45);
});

test("ringtone and ringback use different frequencies (the caller never hears the callee's ring)", () => {
  const freqs = (s: keyof typeof TONES) => new Set(TONES[s].notes.flatMap((n) => n.freqs));
  expect([...freqs("ringback")]).toEqual([440, 480]);
  for (const f of freqs("ringtone")) expect(f).toBeGreaterThan(1000);
});

test("the end cue: busy tone for busy, nothing for glare or another device, a short cue otherwise", () => {
  expect(endSound("busy")).toBe("busy");
  expect(endSound("glare")).toBeUndefined();
  expect(endSound("answeredElsewhere")).toBeUndefined();
  for (const r of ["hangup", "declined", "noAnswer", "cancelled", "failed", "missed", undefined] as const)
    expect(endSound(r)).toBe("ended");
});
