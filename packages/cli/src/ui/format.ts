/** Pure formatting for the terminal: times, sizes, status marks, names, progress bars. */
import type { ChatMessage, MessageStatus } from "@parley/protocol/client";

/** `HH:MM` in local time. */
export function formatTime(at: number): string {
  const d = new Date(at);
  return `${String(d.getHours()).padStart(2, "0")}:${String(d.getMinutes()).padStart(2, "0")}`;
}

/** 1536 → "1.5 KB". */
export function formatSize(bytes: number): string {
  if (bytes < 1024) return `${bytes} B`;
  const units = ["KB", "MB", "GB", "TB"];
  let value = bytes / 1024;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit++;
  }
  return `${value < 10 ? value.toFixed(1) : Math.round(value)} ${units[unit]}`;
}

/**
 * The mark after an outgoing message: text, not colour alone (NO_COLOR users read it too).
 * ✓ sent, ✓✓ delivered, ● read, … sending, ! failed.
 */
export function statusMark(status: MessageStatus): string {
  switch (status) {
    case "pending":
      return "…";
    case "sent":
      return "✓";
    case "delivered":
      return "✓✓";
    case "read":
      return "●";
    case "failed":
      return "!";
    default:
      return "";
  }
}

/** A bar of `width` cells for `done` of `total`, with the percentage. */
export function progressBar(done: number, total: number, width = 20): string {
  const ratio = total > 0 ? Math.min(1, done / total) : 1;
  const full = Math.round(ratio * width);
  return `[${"█".repeat(full)}${"░".repeat(width - full)}] ${Math.round(ratio * 100)}%`;
}

/** Reactions as `👍 2  🎉` (the count only when more than one). */
export function formatReactions(reactions: ChatMessage["reactions"]): string {
  return Object.entries(reactions)
    .filter(([, users]) => users.length > 0)
    .map(([emoji, users]) => (users.length > 1 ? `${emoji} ${users.length}` : emoji))
    .join("  ");
}

/** The first `max` characters of a text on one line, with an ellipsis when cut. */
export function snippet(text: string, max: number): string {
  const line = text.replace(/\s+/g, " ").trim();
  return line.length > max ? `${line.slice(0, Math.max(0, max - 1))}…` : line;
}

/** Splits `text` into plain parts and `@mention` parts for highlighting. */
export function splitMentions(text: string, names: readonly string[]): { text: string; mention: boolean }[] {
  const wanted = names.filter((n) => n.length > 0).map((n) => n.toLowerCase());
  const parts: { text: string; mention: boolean }[] = [];
  const re = /@[\p{L}\p{N}_]+/gu;
  let last = 0;
  for (const match of text.matchAll(re)) {
    const word = match[0].slice(1).toLowerCase();
    if (wanted.length > 0 && !wanted.includes(word)) continue;
    if (match.index > last) parts.push({ text: text.slice(last, match.index), mention: false });
    parts.push({ text: match[0], mention: true });
    last = match.index + match[0].length;
  }
  if (last < text.length) parts.push({ text: text.slice(last), mention: false });
  return parts;
}
