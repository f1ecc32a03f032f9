/** Recently used emoji (a UI preference, not a secret): kept in localStorage, newest first. */

const KEY = "parley.recentEmoji";
const MAX = 16;
export const DEFAULT_RECENT: readonly string[] = ["👍", "❤️", "😂", "😮", "😢", "🙏"];

export function recentEmoji(): string[] {
  try {
    const raw = localStorage.getItem(KEY);
    const list: unknown = raw ? JSON.parse(raw) : [];
    return Array.isArray(list) ? list.filter((e): e is string => typeof e === "string").slice(0, MAX) : [];
  } catch {
    return [];
  }
}

export function rememberEmoji(emoji: string): void {
  try {
    localStorage.setItem(KEY, JSON.stringify([emoji, ...recentEmoji().filter((e) => e !== emoji)].slice(0, MAX)));
  } catch {
    // Storage full or disabled: recents are a convenience only.
  }
}
