/**
 * Times and days as the chat shows them: HH:MM for messages, "today → time, else date" for the
 * conversation list, day separators ("Today", "Yesterday", "Monday 3 November 2025"), and
 * "last seen" lines. Pure functions of the timestamp and `now` (local time zone).
 */

const pad = (n: number): string => String(n).padStart(2, "0");

/** HH:MM in local time (24-hour, as most chat apps outside the US show it). */
export function formatTime(at: number): string {
  const d = new Date(at);
  return `${pad(d.getHours())}:${pad(d.getMinutes())}`;
}

/** A local calendar day's key, e.g. "2026-11-30": messages with the same key share a separator. */
export function dayKey(at: number): string {
  const d = new Date(at);
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())}`;
}

function daysBetween(a: number, b: number): number {
  const da = new Date(a);
  const db = new Date(b);
  const ua = Date.UTC(da.getFullYear(), da.getMonth(), da.getDate());
  const ub = Date.UTC(db.getFullYear(), db.getMonth(), db.getDate());
  return Math.round((ub - ua) / 86_400_000);
}

/** A day separator's text: "Today", "Yesterday", a weekday this week, else the full date. */
export function dayLabel(at: number, now: number, locale?: string): string {
  const diff = daysBetween(at, now);
  if (diff === 0) return "Today";
  if (diff === 1) return "Yesterday";
  const sameYear = new Date(at).getFullYear() === new Date(now).getFullYear();
  if (diff > 1 && diff < 7) return new Intl.DateTimeFormat(locale, { weekday: "long" }).format(at);
  return new Intl.DateTimeFormat(locale, {
    weekday: "long",
    day: "numeric",
    month: "long",
    ...(sameYear ? {} : { year: "numeric" }),
  }).format(at);
}

/** The conversation list's time: HH:MM today, "Yesterday", else a short date. */
export function listTime(at: number, now: number, locale?: string): string {
  const diff = daysBetween(at, now);
  if (diff === 0) return formatTime(at);
  if (diff === 1) return "Yesterday";
  const sameYear = new Date(at).getFullYear() === new Date(now).getFullYear();
  return new Intl.DateTimeFormat(locale, { day: "numeric", month: "short", ...(sameYear ? {} : { year: "numeric" }) }).format(at);
}

/** "last seen today at 10:42", "last seen yesterday at …", "last seen 3 Nov". */
export function lastSeenText(at: number, now: number, locale?: string): string {
  const diff = daysBetween(at, now);
  if (diff === 0) return `last seen today at ${formatTime(at)}`;
  if (diff === 1) return `last seen yesterday at ${formatTime(at)}`;
  return `last seen ${listTime(at, now, locale)}`;
}

/** For each index, whether a day separator goes before it (the first message, or a new day). */
export function daySeparators(times: readonly number[]): boolean[] {
  return times.map((t, i) => i === 0 || dayKey(t) !== dayKey(times[i - 1] ?? t));
}
