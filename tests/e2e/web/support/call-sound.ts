// What a person would hear and see of a call outside the call UI, observed in Chromium for the
// call tests: an init script puts an AnalyserNode between every WebAudio graph and the speakers
// and logs the loudest frequencies of whatever actually plays (so a test fails when no sound comes
// out, whatever the app claims); a Notification recorder that keeps the options and whether the app
// closed it; a page-visibility switch; and a console reporter of the ringer state for pages the
// test must not touch (every Playwright call into a page counts as a user gesture there).
import type { Page } from "playwright-core";

// Page scripts are strings: this project's typecheck has no DOM types.

/**
 * Taps every AudioContext's output: `window.__heard` gets `{ at, rms, peaks }` every 100 ms while
 * something is audible (RMS above 0.003), `peaks` being the strongest spectral peaks in Hz. Also
 * records Content-Security-Policy violations in `window.__cspViolations`.
 */
export const SOUND_MONITOR = `(() => {
  const heard = [];
  window.__heard = heard;
  // The sounds are made under the relay's Content-Security-Policy: any violation is kept too.
  window.__cspViolations = [];
  document.addEventListener("securitypolicyviolation", (e) => window.__cspViolations.push(e.violatedDirective + " " + e.blockedURI));
  const connect = AudioNode.prototype.connect;
  const taps = new WeakMap();
  function tapFor(ctx, destination) {
    let tap = taps.get(ctx);
    if (tap) return tap;
    tap = ctx.createAnalyser();
    // The longest window (~0.7 s): a short cue stays in view even when a busy machine delays the sampling timer.
    tap.fftSize = 32768;
    tap.smoothingTimeConstant = 0;
    connect.call(tap, destination);
    taps.set(ctx, tap);
    const time = new Float32Array(tap.fftSize);
    const freq = new Float32Array(tap.frequencyBinCount);
    const binHz = ctx.sampleRate / tap.fftSize;
    setInterval(() => {
      if (ctx.state !== "running") return;
      tap.getFloatTimeDomainData(time);
      let sum = 0;
      for (let i = 0; i < time.length; i++) sum += time[i] * time[i];
      const rms = Math.sqrt(sum / time.length);
      if (rms < 0.003) return;
      tap.getFloatFrequencyData(freq);
      let max = -Infinity;
      for (let i = 0; i < freq.length; i++) if (freq[i] > max) max = freq[i];
      const peaks = [];
      for (let i = 1; i < freq.length - 1; i++) {
        if (freq[i] > max - 25 && freq[i] >= freq[i - 1] && freq[i] > freq[i + 1]) peaks.push({ hz: i * binHz, db: freq[i] });
      }
      peaks.sort((a, b) => b.db - a.db);
      heard.push({ at: Date.now(), rms, peaks: peaks.slice(0, 4).map((p) => Math.round(p.hz)) });
      if (heard.length > 4000) heard.shift();
    }, 100);
    return tap;
  }
  AudioNode.prototype.connect = function (target, ...rest) {
    if (target instanceof AudioDestinationNode) {
      connect.call(this, tapFor(target.context, target), ...rest);
      return target;
    }
    return connect.call(this, target, ...rest);
  };
})();`;

/**
 * Records every Notification the page makes (`window.__notes`: title, body, tag,
 * requireInteraction, closed) and keeps the objects (`window.__noteObjects`) to "click" them;
 * counts `window.focus()` calls (`window.__focusCalls`).
 */
export const RECORD_NOTIFICATIONS = `(() => {
  window.__notes = [];
  window.__noteObjects = [];
  window.__focusCalls = 0;
  const focus = window.focus;
  window.focus = function () { window.__focusCalls += 1; return focus.call(window); };
  const Real = window.Notification;
  class Recorded extends Real {
    constructor(title, options) {
      super(title, options);
      const record = { title, body: options && options.body, tag: options && options.tag, requireInteraction: !!(options && options.requireInteraction), closed: false };
      window.__notes.push(record);
      window.__noteObjects.push(this);
      const close = this.close.bind(this);
      this.close = () => { record.closed = true; close(); };
    }
  }
  window.Notification = Recorded;
})();`;

/**
 * Logs to the console (read with page.on("console"), which gives the page no gesture):
 * "parley:ready" once the conversation list is shown, "parley:banner" when an incoming-call banner
 * appears, and "parley:call-sound=<value> active=<had a gesture>" on each change of
 * `<html data-call-sound>`.
 */
export const REPORT_RINGER = `(() => {
  let sound = null;
  let ready = false;
  let banner = false;
  const check = () => {
    const root = document.documentElement;
    const now = root.getAttribute("data-call-sound");
    if (now !== sound) {
      sound = now;
      console.log("parley:call-sound=" + now + " active=" + navigator.userActivation.hasBeenActive);
    }
    if (!ready && document.querySelector('nav[aria-label="Conversations"]')) {
      ready = true;
      console.log("parley:ready");
    }
    const hasBanner = document.querySelector('[role="alertdialog"]') !== null;
    if (hasBanner && !banner) console.log("parley:banner");
    banner = hasBanner;
  };
  new MutationObserver(check).observe(document, { subtree: true, childList: true, attributes: true, attributeFilter: ["data-call-sound"] });
})();`;

/** One sample of audible output. */
export interface Heard {
  readonly at: number;
  readonly rms: number;
  readonly peaks: readonly number[];
}

/** Everything the page played since `since` (Date.now() in the test; both run on this machine's clock). */
export async function heardSince(page: Page, since: number): Promise<Heard[]> {
  const all = (await page.evaluate("window.__heard || []")) as Heard[];
  return all.filter((h) => h.at >= since);
}

const near = (peaks: readonly number[], hz: number) => peaks.some((p) => Math.abs(p - hz) <= 15);

/** Which of the app's sounds a sample is: the ringtone's notes, ringback (440+480 Hz), busy (480+620 Hz), or the ended cue (784, 523 Hz). */
export function soundOf(h: Heard): "ringtone" | "ringback" | "busy" | "ended" | "other" {
  if ([1046.5, 1318.5, 1568].some((hz) => near(h.peaks, hz))) return "ringtone";
  if (near(h.peaks, 440) && near(h.peaks, 480)) return "ringback";
  if (near(h.peaks, 480) && near(h.peaks, 620)) return "busy";
  if (near(h.peaks, 784) || near(h.peaks, 523)) return "ended";
  return "other";
}

/** How many samples of `sound` the page played since `since`. */
export async function samplesOf(page: Page, sound: ReturnType<typeof soundOf>, since: number): Promise<number> {
  return (await heardSince(page, since)).filter((h) => soundOf(h) === sound).length;
}

/** Hides or shows the page as the app sees it (headless pages are always visible otherwise). */
export async function setHidden(page: Page, hidden: boolean): Promise<void> {
  await page.evaluate(`
    Object.defineProperty(document, "visibilityState", { configurable: true, get: () => ${hidden ? '"hidden"' : '"visible"'} });
    Object.defineProperty(document, "hidden", { configurable: true, get: () => ${hidden} });
    document.dispatchEvent(new Event("visibilitychange"));
  `);
}

/** A recorded notification. */
export interface Note {
  readonly title: string;
  readonly body: string;
  readonly tag: string;
  readonly requireInteraction: boolean;
  readonly closed: boolean;
}

/** The notifications the page made so far. */
export function notes(page: Page): Promise<Note[]> {
  return page.evaluate("window.__notes") as Promise<Note[]>;
}

/** The `<html data-call-sound>` value (null when silent). */
export function callSound(page: Page): Promise<string | null> {
  return page.locator("html").getAttribute("data-call-sound");
}
