/**
 * Whether the person is looking at this page: the document is visible and has focus. Read
 * receipts go out only then (a privacy matter). One small module so tests can drive it:
 * `setAttentionOverride(true|false)` replaces the browser's answer, `undefined` restores it;
 * browser tests do the same by dispatching `new CustomEvent("parley:attention", { detail })` on window.
 */

type Listener = (attentive: boolean) => void;

const listeners = new Set<Listener>();
let override: boolean | undefined;

/** True when the page is visible and focused (or as overridden). */
export function isAttentive(): boolean {
  if (override !== undefined) return override;
  if (typeof document === "undefined") return false;
  return document.visibilityState === "visible" && document.hasFocus();
}

function notify(): void {
  const now = isAttentive();
  for (const listener of [...listeners]) listener(now);
}

/** Calls `listener` whenever attention may have changed; returns an unsubscribe function. */
export function onAttentionChange(listener: Listener): () => void {
  if (listeners.size === 0 && typeof window !== "undefined") {
    window.addEventListener("focus", notify);
    window.addEventListener("blur", notify);
    window.addEventListener("parley:attention", onOverrideEvent);
    document.addEventListener("visibilitychange", notify);
  }
  listeners.add(listener);
  return () => {
    listeners.delete(listener);
    if (listeners.size === 0 && typeof window !== "undefined") {
      window.removeEventListener("focus", notify);
      window.removeEventListener("blur", notify);
      window.removeEventListener("parley:attention", onOverrideEvent);
      document.removeEventListener("visibilitychange", notify);
    }
  };
}

/** Tests: force attention on or off (undefined: follow the browser again). */
export function setAttentionOverride(value: boolean | undefined): void {
  override = value;
  notify();
}

function onOverrideEvent(event: Event): void {
  const detail = (event as CustomEvent<unknown>).detail;
  setAttentionOverride(typeof detail === "boolean" ? detail : undefined);
}
