/**
 * The composer's line editing as a pure function: a value and a cursor, changed by one key
 * event at a time (insert, Backspace/Delete, ←/→, Home/End or Ctrl+A/Ctrl+E, Ctrl+U, Ctrl+W).
 */

export interface LineState {
  readonly value: string;
  /** Cursor position in UTF-16 code units, 0…value.length. */
  readonly cursor: number;
}

/** The subset of Ink's `Key` the editor reads. */
export interface EditKey {
  readonly leftArrow?: boolean;
  readonly rightArrow?: boolean;
  readonly backspace?: boolean;
  readonly delete?: boolean;
  readonly ctrl?: boolean;
  readonly meta?: boolean;
  readonly home?: boolean;
  readonly end?: boolean;
}

export const emptyLine: LineState = { value: "", cursor: 0 };

/** A line holding `value` with the cursor at its end. */
export function lineOf(value: string): LineState {
  return { value, cursor: value.length };
}

/** Applies one key event; returns the same object when the key does not edit. */
export function editLine(state: LineState, input: string, key: EditKey): LineState {
  const { value, cursor } = state;
  if (key.leftArrow) return cursor > 0 ? { value, cursor: cursor - 1 } : state;
  if (key.rightArrow) return cursor < value.length ? { value, cursor: cursor + 1 } : state;
  if (key.home || (key.ctrl && input === "a")) return { value, cursor: 0 };
  if (key.end || (key.ctrl && input === "e")) return { value, cursor: value.length };
  if (key.ctrl && input === "u") return { value: value.slice(cursor), cursor: 0 };
  if (key.ctrl && input === "w") {
    const before = value.slice(0, cursor).replace(/\S+\s*$/, "");
    return { value: before + value.slice(cursor), cursor: before.length };
  }
  // Terminals send DEL (0x7f) for Backspace, which Ink reports as `delete`.
  if (key.backspace || key.delete) {
    if (cursor === 0) return state;
    return { value: value.slice(0, cursor - 1) + value.slice(cursor), cursor: cursor - 1 };
  }
  if (key.ctrl || key.meta || input === "") return state;
  const text = input.replace(/[\r\n]+/g, " ").replace(/\p{Cc}/gu, "");
  if (text === "") return state;
  return { value: value.slice(0, cursor) + text + value.slice(cursor), cursor: cursor + text.length };
}

/** Input history (Up/Down): the lines sent, newest last, and where browsing is. */
export interface History {
  readonly entries: readonly string[];
  /** Index into entries while browsing; entries.length when not. */
  readonly index: number;
  /** The line being typed before browsing started. */
  readonly draft: string;
}

export const MAX_HISTORY = 100;

export function emptyHistory(): History {
  return { entries: [], index: 0, draft: "" };
}

/** Records a sent line (consecutive duplicates once), keeping the newest MAX_HISTORY. */
export function pushHistory(h: History, line: string): History {
  const entries = h.entries.at(-1) === line ? h.entries : [...h.entries, line].slice(-MAX_HISTORY);
  return { entries, index: entries.length, draft: "" };
}

/** Moves through history: -1 older (Up), +1 newer (Down). Returns the new history and the line to show. */
export function browseHistory(h: History, current: string, direction: -1 | 1): { history: History; line: string } | undefined {
  const index = h.index + direction;
  if (index < 0 || index > h.entries.length) return undefined;
  const draft = h.index === h.entries.length ? current : h.draft;
  const line = index === h.entries.length ? draft : (h.entries[index] as string);
  return { history: { ...h, index, draft }, line };
}
