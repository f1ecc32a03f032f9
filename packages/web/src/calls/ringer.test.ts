// The ringer's logic against a fake audio context (Node has no WebAudio): what it schedules on
// the audio clock, when it stops, how it waits for a user gesture, and that a missing WebAudio is
// no error. That sound really comes out of Chromium is checked in tests/e2e/web/calls-ringing.test.ts.
import { afterEach, beforeEach, expect, test, vi } from "vitest";
import { IDLE_SUSPEND_MS, LOOKAHEAD_S, REFILL_MS, Ringer, type RingerDeps, type RingerState } from "./ringer.js";
import { TONES } from "./ringer-tones.js";

class FakeParam {
  value = 0;
  setValueAtTime() {}
  linearRampToValueAtTime() {}
  cancelScheduledValues() {}
}

class FakeNode {
  connect<T>(node: T): T {
    return node;
  }
  disconnect() {}
}

class FakeOscillator extends FakeNode {
  type = "sine";
  readonly frequency = new FakeParam();
  startAt = Number.NaN;
  stopAt = Number.POSITIVE_INFINITY;
  onended: (() => void) | null = null;
  start(t: number) {
    this.startAt = t;
  }
  stop(t: number) {
    this.stopAt = Math.min(this.stopAt, t);
  }
}

class FakeContext {
  currentTime = 0;
  state: "running" | "suspended" | "closed" = "running";
  readonly destination = new FakeNode();
  readonly oscillators: FakeOscillator[] = [];
  readonly #listeners: (() => void)[] = [];
  createOscillator() {
    const o = new FakeOscillator();
    this.oscillators.push(o);
    return o;
  }
  createGain() {
    return Object.assign(new FakeNode(), { gain: new FakeParam() });
  }
  addEventListener(_type: string, listener: () => void) {
    this.#listeners.push(listener);
  }
  #to(state: FakeContext["state"]) {
    this.state = state;
    for (const l of this.#listeners) l();
  }
  resume() {
    this.#to("running");
    return Promise.resolve();
  }
  suspend() {
    this.#to("suspended");
    return Promise.resolve();
  }
  close() {
    this.#to("closed");
    return Promise.resolve();
  }
  /** Frequencies sounding at audio time `t`. */
  soundingAt(t: number): number[] {
    return this.oscillators.filter((o) => o.startAt <= t && t < o.stopAt).map((o) => o.frequency.value);
  }
}

let contexts: FakeContext[];
let gesture: (() => void) | undefined;
let activated: boolean;
let states: RingerState[];

function ringer(overrides: Partial<RingerDeps> = {}): Ringer {
  const r = new Ringer({
    createContext: () => {
      const c = new FakeContext();
      contexts.push(c);
      return c as unknown as AudioContext;
    },
    mayPlay: () => activated,
    onGesture: (listener) => {
      gesture = listener;
      return () => {
        gesture = undefined;
      };
    },
    ...overrides,
  });
  r.onChange = (s) => states.push(s);
  return r;
}

beforeEach(() => {
  vi.useFakeTimers();
  contexts = [];
  gesture = undefined;
  activated = true;
  states = [];
});
afterEach(() => {
  vi.useRealTimers();
});

test("the ringtone repeats on the audio clock, scheduled only a bounded time ahead", () => {
  const r = ringer();
  r.loop("ringtone");
  expect(r.state).toEqual({ sound: "ringtone", status: "playing" });
  const ctx = contexts[0] as FakeContext;
  expect(ctx.soundingAt(0.1)).toEqual([1046.5]);
  const period = TONES.ringtone.period ?? 0;
  expect(ctx.soundingAt(0.1 + period)).toEqual([1046.5]);
  // Nothing beyond the lookahead yet.
  const latest = () => Math.max(...ctx.oscillators.map((o) => o.startAt));
  expect(latest()).toBeLessThan(LOOKAHEAD_S + period);
  // Time goes on: more cycles are scheduled, still bounded.
  ctx.currentTime = 30;
  vi.advanceTimersByTime(REFILL_MS);
  expect(latest()).toBeGreaterThan(30);
  expect(latest()).toBeLessThan(30 + LOOKAHEAD_S + period);
  // Cycles start at 0.05 + k·3 s: the one at 30.05 is there.
  expect(ctx.soundingAt(30.06)).toEqual([1046.5]);
  r.dispose();
});

test("stopping silences every scheduled note at once and later suspends the context", () => {
  const r = ringer();
  r.loop("ringtone");
  const ctx = contexts[0] as FakeContext;
  ctx.currentTime = 4;
  r.loop(undefined);
  expect(r.state).toEqual({ sound: undefined, status: "idle" });
  expect(ctx.oscillators.every((o) => o.stopAt <= 4.05)).toBe(true);
  expect(ctx.soundingAt(6.1)).toEqual([]);
  expect(ctx.state).toBe("running");
  vi.advanceTimersByTime(IDLE_SUSPEND_MS);
  expect(ctx.state).toBe("suspended");
  // Ringing again resumes the same context.
  r.loop("ringback");
  expect(contexts).toHaveLength(1);
  expect(ctx.state).toBe("running");
  expect(ctx.soundingAt(ctx.currentTime + 1).sort()).toEqual([440, 480]);
  r.dispose();
});

test("before any user gesture the ringtone waits without creating a context, and starts at the first gesture", () => {
  activated = false;
  const r = ringer();
  r.loop("ringtone");
  expect(r.state).toEqual({ sound: "ringtone", status: "waiting" });
  expect(contexts).toHaveLength(0);
  activated = true;
  gesture?.();
  expect(r.state).toEqual({ sound: "ringtone", status: "playing" });
  expect(contexts).toHaveLength(1);
  r.dispose();
});

test("a call that stops ringing before any gesture leaves nothing waiting", () => {
  activated = false;
  const r = ringer();
  r.loop("ringtone");
  r.loop(undefined);
  expect(gesture).toBeUndefined();
  expect(r.state.status).toBe("idle");
  r.dispose();
});

test("a cue that cannot sound yet is dropped, not played late", () => {
  activated = false;
  const r = ringer();
  r.once("busy");
  expect(r.state.status).toBe("idle");
  expect(gesture).toBeUndefined();
  expect(contexts).toHaveLength(0);
  r.dispose();
});

test("a cue plays once and ends; a ringtone wins over it", () => {
  const r = ringer();
  r.once("busy");
  expect(r.state).toEqual({ sound: "busy", status: "playing" });
  const ctx = contexts[0] as FakeContext;
  expect(ctx.oscillators.map((o) => o.frequency.value)).toEqual([480, 620, 480, 620, 480, 620]);
  vi.advanceTimersByTime(3_000);
  expect(r.state.status).toBe("idle");
  r.once("ended");
  r.loop("ringtone");
  expect(r.state.sound).toBe("ringtone");
  r.once("busy");
  expect(r.state.sound).toBe("ringtone");
  r.dispose();
});

test("call sounds turned off: silence at once, the ringtone comes back when turned on during the call", () => {
  const r = ringer();
  r.loop("ringtone");
  const ctx = contexts[0] as FakeContext;
  ctx.currentTime = 1;
  r.setEnabled(false);
  expect(r.state.status).toBe("idle");
  expect(ctx.soundingAt(3.1)).toEqual([]);
  r.once("ended");
  expect(r.state.status).toBe("idle");
  r.setEnabled(true);
  expect(r.state).toEqual({ sound: "ringtone", status: "playing" });
  r.dispose();
});

test("no WebAudio: the ringer says so and throws nothing", () => {
  const r = ringer({
    createContext: () => {
      throw new ReferenceError("AudioContext is not defined");
    },
  });
  expect(() => r.loop("ringtone")).not.toThrow();
  expect(r.state).toEqual({ sound: "ringtone", status: "unavailable" });
  r.loop(undefined);
  expect(r.state.status).toBe("idle");
  r.dispose();
});

test("a context the browser keeps suspended shows as waiting until it runs", () => {
  const suspended = new FakeContext();
  suspended.state = "suspended";
  suspended.resume = () => Promise.resolve();
  const r = ringer({ createContext: () => suspended as unknown as AudioContext });
  r.loop("ringtone");
  expect(r.state).toEqual({ sound: "ringtone", status: "waiting" });
  expect(gesture).toBeDefined();
  // The browser lets it run (statechange).
  FakeContext.prototype.resume.call(suspended);
  expect(r.state).toEqual({ sound: "ringtone", status: "playing" });
  r.dispose();
});
