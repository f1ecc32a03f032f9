/**
 * `:shortcode:` lookup for the composer (GitHub's names, from emojibase-data): the emoji for a
 * complete code, completions for a partial one, and the partial code being typed before the caret.
 * Only the shortcode JSON is bundled (16 KB gzip); the picker's full data loads on demand.
 */
import github from "emojibase-data/en/shortcodes/github.json";

export interface ShortcodeMatch {
  /** The code without colons, e.g. "tada". */
  readonly code: string;
  readonly emoji: string;
}

let table: { byCode: Map<string, string>; codes: string[] } | undefined;

/** "1F468-200D-1F469" → the emoji it spells. */
export function hexToEmoji(hex: string): string {
  return String.fromCodePoint(...hex.split("-").map((h) => Number.parseInt(h, 16)));
}

function load(): { byCode: Map<string, string>; codes: string[] } {
  if (table) return table;
  const byCode = new Map<string, string>();
  for (const [hex, names] of Object.entries(github as Record<string, string | string[]>)) {
    const emoji = hexToEmoji(hex);
    for (const name of typeof names === "string" ? [names] : names) if (!byCode.has(name)) byCode.set(name, emoji);
  }
  table = { byCode, codes: [...byCode.keys()].sort() };
  return table;
}

/** The emoji for a complete code ("tada" or ":tada:"), or undefined. */
export function emojiForShortcode(code: string): string | undefined {
  return load().byCode.get(code.replace(/^:|:$/g, "").toLowerCase());
}

/** Codes starting with `query` first (shortest first), then codes containing it; at most `limit`. */
export function completeShortcode(query: string, limit = 8): ShortcodeMatch[] {
  const q = query.toLowerCase();
  if (q.length === 0) return [];
  const { byCode, codes } = load();
  const starts = codes.filter((c) => c.startsWith(q)).sort((a, b) => a.length - b.length || (a < b ? -1 : 1));
  const contains = starts.length >= limit ? [] : codes.filter((c) => !c.startsWith(q) && c.includes(q));
  return [...starts, ...contains].slice(0, limit).map((code) => ({ code, emoji: byCode.get(code) ?? "" }));
}

/**
 * The partial shortcode right before the caret: `:` at the start or after a space, then at least
 * two code characters (so "10:30" or ":)" never pop a list). Returns the query and where its `:` is.
 */
export function shortcodeQuery(beforeCaret: string): { query: string; start: number } | undefined {
  const m = /(^|\s):([a-z0-9_+-]{2,})$/i.exec(beforeCaret);
  if (!m?.[2]) return undefined;
  return { query: m[2], start: beforeCaret.length - m[2].length - 1 };
}

/** Replaces every complete `:code:` that names an emoji; other colons stay as typed. */
export function replaceShortcodes(text: string): string {
  return text.replace(/:([a-z0-9_+-]+):/gi, (whole, code: string) => emojiForShortcode(code) ?? whole);
}
