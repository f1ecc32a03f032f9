/**
 * What the app needs to know to get the user's attention, in one small module: whether the page
 * is hidden or unfocused (the only place the app reads `document.visibilityState` and
 * `hasFocus()`, so tests can drive it by overriding that property), the unread total, and the tab's
 * title and favicon for that total.
 */
import type { Snapshot } from "./store.js";

/** The part of `document` read here (typed locally: this module also loads outside a browser, in tests). */
interface PageDocument {
  readonly visibilityState: string;
  hasFocus(): boolean;
}

function page(): PageDocument | undefined {
  return (globalThis as { document?: PageDocument }).document;
}

/** True when the page cannot be seen (another tab, minimised window, locked screen). */
export function pageHidden(): boolean {
  return page()?.visibilityState === "hidden";
}

/**
 * True when the user is not looking at Parley: the page is hidden, or another window has the
 * focus. Then a desktop notification tells about new messages instead of an in-page toast.
 */
export function pageUnattended(): boolean {
  const doc = page();
  return doc !== undefined && (doc.visibilityState === "hidden" || !doc.hasFocus());
}

/** Unread messages over every conversation. */
export function unreadTotal(s: Snapshot): number {
  let total = 0;
  for (const id of s.conversations) total += s.conversationsById[id]?.unread ?? 0;
  return total;
}

/** The document title for `unread` messages: "(3) Parley", or "Parley". */
export function attentionTitle(unread: number, base = "Parley"): string {
  return unread > 0 ? `(${unread > 99 ? "99+" : unread}) ${base}` : base;
}

/**
 * The favicon with an unread badge, as an SVG data: URL (the CSP allows data: images): the app's
 * speech bubble with a red disc and the count in its corner. Without unread messages, the plain icon.
 */
export function faviconUrl(unread: number): string {
  const label = unread > 99 ? "99+" : String(unread);
  const fontSize = label.length > 2 ? 13 : label.length > 1 ? 16 : 20;
  const badge =
    unread > 0
      ? `<circle cx="46" cy="18" r="17" fill="#d93025" stroke="#fff" stroke-width="3"/><text x="46" y="18" dy="0.35em" text-anchor="middle" font-family="Arial,sans-serif" font-weight="700" font-size="${fontSize}" fill="#fff">${label}</text>`
      : "";
  const svg = `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 64 64"><rect x="2" y="8" width="50" height="40" rx="12" fill="#2f5bd3"/><path d="M14 46 L12 60 L28 46 Z" fill="#2f5bd3"/><rect x="13" y="21" width="28" height="4" rx="2" fill="#fff"/><rect x="13" y="31" width="20" height="4" rx="2" fill="#fff"/>${badge}</svg>`;
  return `data:image/svg+xml,${encodeURIComponent(svg)}`;
}
