/**
 * Whether this browser plays call sounds (ringtone, ringback, busy and ended cues): a non-secret
 * UI preference kept per browser in localStorage, on by default. Visual alerts (the ringing
 * banner, the title, notifications) do not depend on it. A change applies at once to a sound
 * that is playing (listeners), also from another tab of this browser (the `storage` event).
 */

const KEY = "parley.calls.sounds";

type Listener = (enabled: boolean) => void;
const listeners = new Set<Listener>();
/** The choice made while storage was unavailable (private mode), for the rest of the page's life. */
let unsaved: boolean | undefined;

/** True unless the user turned call sounds off in this browser. */
export function callSoundsEnabled(): boolean {
  try {
    return localStorage.getItem(KEY) !== "off";
  } catch {
    return unsaved ?? true;
  }
}

/** Turns call sounds on or off in this browser. */
export function setCallSoundsEnabled(enabled: boolean): void {
  try {
    if (enabled) localStorage.removeItem(KEY);
    else localStorage.setItem(KEY, "off");
  } catch {
    // No storage (private mode): the choice lasts until the page closes.
    unsaved = enabled;
  }
  for (const listener of [...listeners]) listener(enabled);
}

function onStorage(event: StorageEvent): void {
  if (event.key !== KEY && event.key !== null) return;
  const enabled = callSoundsEnabled();
  for (const listener of [...listeners]) listener(enabled);
}

/** Calls `listener` when the preference changes (here or in another tab); returns an unsubscribe function. */
export function onCallSoundsChange(listener: Listener): () => void {
  if (listeners.size === 0 && typeof window !== "undefined") window.addEventListener("storage", onStorage);
  listeners.add(listener);
  return () => {
    listeners.delete(listener);
    if (listeners.size === 0 && typeof window !== "undefined") window.removeEventListener("storage", onStorage);
  };
}
