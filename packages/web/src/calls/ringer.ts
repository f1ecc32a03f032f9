/**
 * The ringer: plays the call sounds of ringer-tones.ts with WebAudio oscillators. One repeating
 * sound at a time (the ringtone of an incoming call, or the ringback while the callee's devices
 * ring) and short one-shot cues (busy, ended). Browsers refuse audio before the first user
 * gesture on a page: then the ringer waits (state `waiting`) and starts at the first click or key
 * press if the sound is still wanted, without creating a context the browser would refuse (no
 * console noise, no error); the visual alerts never depend on it. Notes are scheduled on the
 * audio clock well ahead, so a background tab's throttled timers do not break the rhythm.
 */
import { notesUntil, type RingerSound, type ScheduledNote, TONES, toneLength } from "./ringer-tones.js";

/** Seconds of sound scheduled ahead on the audio clock (a hidden tab's timers may run only once a second). */
export const LOOKAHEAD_S = 20;
/** How often more cycles of a repeating sound are scheduled (ms). */
export const REFILL_MS = 5_000;
/** How long the audio context stays awake after the last sound (ms) before it is suspended. */
export const IDLE_SUSPEND_MS = 2_000;
/** Attack and release of each note (s): no clicks. */
const EDGE_S = 0.015;

/** What the ringer does: `playing` a sound, `waiting` for a gesture (or the context) to play it, `idle`, or `unavailable` (no WebAudio). */
export interface RingerState {
  readonly sound: RingerSound | undefined;
  readonly status: "idle" | "playing" | "waiting" | "unavailable";
}

/** What the ringer needs from the browser; tests pass fakes. */
export interface RingerDeps {
  /** A new audio context (may throw where WebAudio is missing). */
  createContext(): AudioContext;
  /** True when the page may start audio (it had a user gesture). */
  mayPlay(): boolean;
  /** Calls `listener` at the next user gesture; returns a function that stops listening. */
  onGesture(listener: () => void): () => void;
}

/** The browser's own: `AudioContext`, `navigator.userActivation` and pointer/key events on window. */
export function browserRingerDeps(): RingerDeps {
  return {
    createContext: () => new AudioContext({ latencyHint: "playback" }),
    mayPlay: () => {
      const activation = (navigator as { userActivation?: { hasBeenActive: boolean } }).userActivation;
      // Without the API (older browsers) try: a refused context stays suspended and is retried on a gesture.
      return activation ? activation.hasBeenActive : true;
    },
    onGesture: (listener) => {
      const events = ["pointerdown", "keydown", "touchend"] as const;
      const handle = () => {
        off();
        listener();
      };
      const off = () => {
        for (const e of events) window.removeEventListener(e, handle, true);
      };
      for (const e of events) window.addEventListener(e, handle, true);
      return off;
    },
  };
}

const IDLE: RingerState = { sound: undefined, status: "idle" };

/** Plays call sounds; `loop` and `once` say what is wanted, the ringer works out when it can. */
export class Ringer {
  readonly #deps: RingerDeps;
  #context: AudioContext | undefined;
  #unavailable = false;
  #enabled = true;
  #loop: RingerSound | undefined;
  #once: RingerSound | undefined;
  #voice: Voice | undefined;
  #stopGestureWait: (() => void) | undefined;
  #suspendTimer: ReturnType<typeof setTimeout> | undefined;
  #state: RingerState = IDLE;
  /** Called on every change of `state`. */
  onChange: (state: RingerState) => void = () => {};

  constructor(deps: RingerDeps) {
    this.#deps = deps;
  }

  get state(): RingerState {
    return this.#state;
  }

  /** The repeating sound wanted now (`ringtone`, `ringback`), or none. It wins over a cue being played. */
  loop(sound: "ringtone" | "ringback" | undefined): void {
    if (this.#loop === sound) return;
    this.#loop = sound;
    if (sound) this.#once = undefined;
    this.#apply();
  }

  /** Plays a short cue (`busy`, `ended`) once, unless a repeating sound is wanted. */
  once(sound: "busy" | "ended"): void {
    if (this.#loop) return;
    this.#once = sound;
    this.#stopVoice();
    this.#apply();
  }

  /** Turns every sound off (or on again: a wanted repeating sound resumes). */
  setEnabled(enabled: boolean): void {
    if (this.#enabled === enabled) return;
    this.#enabled = enabled;
    if (!enabled) this.#once = undefined;
    this.#apply();
  }

  /** Stops everything and releases the audio context. */
  dispose(): void {
    this.#loop = undefined;
    this.#once = undefined;
    this.#stopVoice();
    this.#stopWaiting();
    clearTimeout(this.#suspendTimer);
    this.#context?.close().catch(() => {});
    this.#context = undefined;
    this.#set(IDLE);
  }

  #wanted(): RingerSound | undefined {
    return this.#enabled ? (this.#loop ?? this.#once) : undefined;
  }

  #apply(): void {
    const want = this.#wanted();
    if (this.#voice && this.#voice.sound !== want) this.#stopVoice();
    if (!want) {
      this.#stopWaiting();
      this.#set(IDLE);
      this.#suspendLater();
      return;
    }
    if (this.#voice) return;
    if (!this.#deps.mayPlay()) {
      // A cue that cannot sound now would only come late: it is dropped. A ringtone waits for a gesture.
      if (!this.#loop) {
        this.#once = undefined;
        this.#set(IDLE);
        return;
      }
      this.#waitForGesture();
      this.#set({ sound: want, status: "waiting" });
      return;
    }
    const context = this.#ensureContext();
    if (!context) {
      this.#set({ sound: want, status: "unavailable" });
      return;
    }
    clearTimeout(this.#suspendTimer);
    if (context.state !== "running") {
      context.resume().catch(() => {});
      // Refused after all (a browser without userActivation): retried at the next gesture.
      this.#waitForGesture();
    } else {
      this.#stopWaiting();
    }
    const voice = new Voice(context, want);
    this.#voice = voice;
    if (TONES[want].period === undefined) {
      voice.onDone = () => {
        if (this.#voice !== voice) return;
        this.#voice = undefined;
        this.#once = undefined;
        this.#apply();
      };
    }
    this.#set({ sound: want, status: context.state === "running" ? "playing" : "waiting" });
  }

  #ensureContext(): AudioContext | undefined {
    if (this.#context) return this.#context;
    if (this.#unavailable) return undefined;
    try {
      const context = this.#deps.createContext();
      context.addEventListener("statechange", () => {
        const voice = this.#voice;
        if (voice && this.#context === context)
          this.#set({ sound: voice.sound, status: context.state === "running" ? "playing" : "waiting" });
      });
      this.#context = context;
      return context;
    } catch {
      this.#unavailable = true;
      return undefined;
    }
  }

  #waitForGesture(): void {
    if (this.#stopGestureWait) return;
    this.#stopGestureWait = this.#deps.onGesture(() => {
      this.#stopGestureWait = undefined;
      const context = this.#context;
      if (context && context.state !== "running") context.resume().catch(() => {});
      this.#apply();
    });
  }

  #stopWaiting(): void {
    this.#stopGestureWait?.();
    this.#stopGestureWait = undefined;
  }

  #stopVoice(): void {
    this.#voice?.stop();
    this.#voice = undefined;
  }

  /** A context kept running with nothing to play costs power: suspend it a little after the last sound. */
  #suspendLater(): void {
    clearTimeout(this.#suspendTimer);
    const context = this.#context;
    if (!context) return;
    this.#suspendTimer = setTimeout(() => {
      if (!this.#voice && context.state === "running") context.suspend().catch(() => {});
    }, IDLE_SUSPEND_MS);
  }

  #set(state: RingerState): void {
    if (state.sound === this.#state.sound && state.status === this.#state.status) return;
    this.#state = state;
    this.onChange(state);
  }
}

/** One sound being played: its notes on the audio clock, refilled ahead while it repeats. */
class Voice {
  readonly sound: RingerSound;
  readonly #context: AudioContext;
  readonly #out: GainNode;
  readonly #sources = new Set<OscillatorNode>();
  readonly #origin: number;
  #nextCycle = 0;
  #timer: ReturnType<typeof setTimeout> | undefined;
  /** A sound played once calls this when it is over. */
  onDone: () => void = () => {};

  constructor(context: AudioContext, sound: RingerSound) {
    this.sound = sound;
    this.#context = context;
    const tone = TONES[sound];
    this.#out = context.createGain();
    this.#out.gain.value = tone.volume;
    this.#out.connect(context.destination);
    this.#origin = context.currentTime + 0.05;
    this.#fill();
    if (tone.period === undefined) this.#timer = setTimeout(() => this.onDone(), (toneLength(tone) + 0.1) * 1000);
  }

  #fill(): void {
    const tone = TONES[this.sound];
    const { notes, nextCycle } = notesUntil(tone, this.#origin, this.#nextCycle, this.#context.currentTime + LOOKAHEAD_S);
    this.#nextCycle = nextCycle;
    for (const note of notes) this.#play(note);
    if (tone.period !== undefined) this.#timer = setTimeout(() => this.#fill(), REFILL_MS);
  }

  #play(note: ScheduledNote): void {
    const context = this.#context;
    const envelope = context.createGain();
    const end = note.start + note.duration;
    envelope.gain.setValueAtTime(0, note.start);
    envelope.gain.linearRampToValueAtTime(1, note.start + EDGE_S);
    envelope.gain.setValueAtTime(1, end - EDGE_S);
    envelope.gain.linearRampToValueAtTime(0, end);
    envelope.connect(this.#out);
    let left = note.freqs.length;
    for (const freq of note.freqs) {
      const source = context.createOscillator();
      source.type = "sine";
      source.frequency.value = freq;
      source.connect(envelope);
      source.onended = () => {
        this.#sources.delete(source);
        source.disconnect();
        left -= 1;
        if (left === 0) envelope.disconnect();
      };
      source.start(note.start);
      source.stop(end);
      this.#sources.add(source);
    }
  }

  /** Fades out at once (no click) and drops every scheduled note. */
  stop(): void {
    clearTimeout(this.#timer);
    const now = this.#context.currentTime;
    const gain = this.#out.gain;
    gain.cancelScheduledValues(now);
    gain.setValueAtTime(gain.value, now);
    gain.linearRampToValueAtTime(0, now + 0.03);
    for (const source of this.#sources) {
      try {
        source.stop(now + 0.04);
      } catch {
        // Already stopped.
      }
    }
    this.#sources.clear();
    const out = this.#out;
    setTimeout(() => out.disconnect(), 100);
  }
}
