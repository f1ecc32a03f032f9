/**
 * Splits message text into plain text, links and mentions for display. Links: http(s) URLs only
 * (trailing punctuation stays text; `javascript:` and every other scheme stay text); nothing is
 * fetched for them. Mentions: `@Name` for each name the message mentions (longest names first).
 */

export type Segment =
  | { readonly kind: "text"; readonly text: string }
  | { readonly kind: "link"; readonly text: string; readonly href: string }
  | { readonly kind: "mention"; readonly text: string };

const URL_RE = /\bhttps?:\/\/[^\s<>"]+/gi;
const TRAILING = /[.,!?;:'"]+$/;

/** The text's http(s) links (as hrefs the URL parser accepts) and the text between them. */
export function linkify(text: string): Segment[] {
  const out: Segment[] = [];
  let last = 0;
  for (const m of text.matchAll(URL_RE)) {
    let raw = m[0];
    const start = m.index;
    raw = raw.replace(TRAILING, "");
    // A closing parenthesis belongs to the URL only if it opened one.
    while (raw.endsWith(")") && count(raw, "(") < count(raw, ")")) raw = raw.slice(0, -1).replace(TRAILING, "");
    const href = safeHref(raw);
    if (!href) continue;
    if (start > last) out.push({ kind: "text", text: text.slice(last, start) });
    out.push({ kind: "link", text: raw, href });
    last = start + raw.length;
  }
  if (last < text.length) out.push({ kind: "text", text: text.slice(last) });
  return out;
}

function count(s: string, ch: string): number {
  return s.split(ch).length - 1;
}

/** `raw` as an http(s) href, or undefined for anything else. */
export function safeHref(raw: string): string | undefined {
  try {
    const url = new URL(raw);
    return url.protocol === "http:" || url.protocol === "https:" ? url.href : undefined;
  } catch {
    return undefined;
  }
}

/** Links and mentions: text segments are further split at `@Name` for each of `names`. */
export function richText(text: string, names: readonly string[]): Segment[] {
  const wanted = [...new Set(names.filter((n) => n.length > 0))].sort((a, b) => b.length - a.length);
  if (wanted.length === 0) return linkify(text);
  const re = new RegExp(`@(?:${wanted.map(escapeRe).join("|")})`, "g");
  const out: Segment[] = [];
  for (const seg of linkify(text)) {
    if (seg.kind !== "text") {
      out.push(seg);
      continue;
    }
    let last = 0;
    for (const m of seg.text.matchAll(re)) {
      if (m.index > last) out.push({ kind: "text", text: seg.text.slice(last, m.index) });
      out.push({ kind: "mention", text: m[0] });
      last = m.index + m[0].length;
    }
    if (last < seg.text.length) out.push({ kind: "text", text: seg.text.slice(last) });
  }
  return out;
}

function escapeRe(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
}
