/** `:shortcode:` support for the composer (node-emoji): completion of a partial code, and replacement on send. */
import { emojify, get, search } from "node-emoji";

/** How many completions the composer shows. */
export const MAX_COMPLETIONS = 5;

/** The partial shortcode the input ends with (`:thu` → "thu"), at least 2 characters, or undefined. */
export function partialShortcode(input: string): string | undefined {
  const match = /(?:^|\s):([a-z0-9_+-]{2,})$/i.exec(input);
  return match?.[1]?.toLowerCase();
}

/** Shortcodes starting with `partial` first, then ones containing it, shortest first. */
export function completions(partial: string, max = MAX_COMPLETIONS): { name: string; emoji: string }[] {
  const found = search(partial).map((e) => ({ name: e.name, emoji: e.emoji }));
  const starts = found
    .filter((e) => e.name.startsWith(partial))
    .sort((a, b) => a.name.length - b.name.length || (a.name < b.name ? -1 : 1));
  const contains = found.filter((e) => !e.name.startsWith(partial)).sort((a, b) => a.name.length - b.name.length);
  return [...starts, ...contains].slice(0, max);
}

/** The input with its trailing partial shortcode replaced by `emoji` (and a space). */
export function applyCompletion(input: string, emoji: string): string {
  return input.replace(/:([a-z0-9_+-]{2,})$/i, `${emoji} `);
}

/** Every complete `:shortcode:` replaced by its emoji; unknown codes stay as typed. */
export function replaceShortcodes(text: string): string {
  return emojify(text);
}

/** An emoji from a reaction argument: the emoji itself, or a `:shortcode:` (or bare shortcode). */
export function emojiFromArg(arg: string): string | undefined {
  const name = /^:?([a-z0-9_+-]+):?$/i.exec(arg)?.[1];
  if (name) return get(name.toLowerCase());
  return /\p{Extended_Pictographic}|\p{Regional_Indicator}/u.test(arg) ? arg : undefined;
}
