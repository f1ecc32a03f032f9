/**
 * The browser's non-secret UI preferences in localStorage, and nothing else there: which local
 * profile this tab opens, the colour theme and whether calls go through the relay's TURN server
 * (calls/ice-servers.ts). Keys, messages and settings that belong to the
 * account live in the encrypted store (a test checks localStorage holds only these keys).
 */
import { RELAY_CALLS_KEY } from "../calls/ice-servers.js";

const KEY = "parley.profile";
const THEME_KEY = "parley.theme";

/** Every localStorage key the app writes. */
export const UI_PREF_KEYS: readonly string[] = [KEY, THEME_KEY, RELAY_CALLS_KEY];

/** Which local profile this tab opens: `?profile=NAME` (remembered), else "default". */
export function profileName(): string {
  const fromUrl = new URLSearchParams(window.location.search).get("profile");
  if (fromUrl && /^[a-z0-9_-]{1,32}$/i.test(fromUrl)) {
    localStorage.setItem(KEY, fromUrl);
    return fromUrl;
  }
  return localStorage.getItem(KEY) ?? "default";
}

export type Theme = "system" | "light" | "dark";

export function storedTheme(): Theme {
  const value = localStorage.getItem(THEME_KEY);
  return value === "light" || value === "dark" ? value : "system";
}

/** Shows `theme` (html[data-theme]; none for "system") and remembers it. */
export function setTheme(theme: Theme): void {
  if (theme === "system") localStorage.removeItem(THEME_KEY);
  else localStorage.setItem(THEME_KEY, theme);
  applyStoredTheme();
}

/** Applies the remembered theme: call once at start, before the first render. */
export function applyStoredTheme(): void {
  const theme = storedTheme();
  if (theme === "system") document.documentElement.removeAttribute("data-theme");
  else document.documentElement.dataset.theme = theme;
}
