/**
 * What `parley read` prints for each message or change: a JSON object per line (`--json`, the
 * stable format bots parse) or a readable line. Also how a changed message (`messageUpdated`)
 * becomes reaction, edit and delete lines: by comparing it with the version seen before.
 * Pure functions; the read command supplies the names of people and groups.
 */

import type { ChatMessage } from "@parley/protocol/client";

/** Who wrote a message or made a change. */
export interface Author {
  readonly handle?: string;
  readonly name: string;
  /** User id, hex. */
  readonly userId: string;
}

/** A message, or a change to one, as `read` reports it. */
export type MessageEvent =
  | { readonly type: "message"; readonly message: ChatMessage }
  | { readonly type: "reaction"; readonly message: ChatMessage; readonly actor: string; readonly emoji: string; readonly removed: boolean }
  | { readonly type: "edit"; readonly message: ChatMessage }
  | { readonly type: "delete"; readonly message: ChatMessage }
  /** A change to a message not seen before by this process: only its new state is known. */
  | { readonly type: "update"; readonly message: ChatMessage };

/** The JSON line format (one object per line). Fields are only ever added, never renamed or removed. */
export interface MessageJson {
  /** The message's id (hex); for reaction/edit/delete/update lines, the id of the message changed. */
  readonly id: string;
  /** Conversation id: a contact id (`@handle` or a user id) or a group's `group:<hex>`. */
  readonly conversation: string;
  /** The group's name, in group conversations only. */
  readonly group?: string;
  /** Who wrote the message, or who reacted / edited / deleted. */
  readonly from: Author;
  /** True for messages this account wrote (copies from its other devices). */
  readonly outgoing: boolean;
  readonly kind: "text" | "attachment" | "notice" | "call" | "reaction" | "edit" | "delete" | "update";
  /** The text (an attachment's caption; an edit's new text; "" for reactions and deletes). */
  readonly text: string;
  readonly attachment?: { readonly name: string; readonly size: number; readonly type: string };
  /** A reply: the id of the message replied to, and its text when this device has it. */
  readonly reply?: { readonly id: string; readonly text?: string };
  readonly reaction?: { readonly emoji: string; readonly removed: boolean };
  /** Call history lines only: how the call went (the call history section, §9, of the Parley calls specification); `durationMs` for completed calls. */
  readonly call?: {
    readonly video: boolean;
    readonly direction: "incoming" | "outgoing";
    readonly outcome: string;
    readonly durationMs?: number;
  };
  /** When: the sender's clock for a new message or an edit, this device's clock for other changes (ISO 8601). */
  readonly time: string;
}

/** Looks up names: a user id's author, a conversation's group name, a message's quoted text. */
export interface Names {
  author(userId: string): Author;
  groupName(conversationId: string): string | undefined;
  quoted(message: ChatMessage): string | undefined;
}

/** The JSON object for `event` (see MessageJson). `now` stamps changes whose time is not in the message. */
export function toJson(event: MessageEvent, names: Names, now: number): MessageJson {
  const m = event.message;
  const group = names.groupName(m.contactId);
  const base = { id: m.id, conversation: m.contactId, ...(group !== undefined ? { group } : {}) };
  const iso = (t: number) => new Date(t).toISOString();
  switch (event.type) {
    case "message": {
      const quoted = m.replyTo !== undefined ? names.quoted(m) : undefined;
      return {
        ...base,
        from: names.author(m.sender),
        outgoing: m.outgoing,
        kind: m.kind,
        text: m.text,
        ...(m.attachment ? { attachment: { name: m.attachment.fileName, size: m.attachment.size, type: m.attachment.contentType } } : {}),
        ...(m.call
          ? {
              call: {
                video: m.call.video,
                direction: m.call.direction,
                outcome: m.call.outcome,
                ...(m.call.durationMs !== undefined ? { durationMs: m.call.durationMs } : {}),
              },
            }
          : {}),
        ...(m.replyTo !== undefined ? { reply: { id: m.replyTo, ...(quoted !== undefined ? { text: quoted } : {}) } } : {}),
        time: iso(m.sentAt),
      };
    }
    case "reaction":
      return {
        ...base,
        from: names.author(event.actor),
        outgoing: false,
        kind: "reaction",
        text: "",
        reaction: { emoji: event.emoji, removed: event.removed },
        time: iso(now),
      };
    case "edit":
      return { ...base, from: names.author(m.sender), outgoing: m.outgoing, kind: "edit", text: m.text, time: iso(m.editedAt ?? now) };
    case "delete":
      return { ...base, from: names.author(m.sender), outgoing: m.outgoing, kind: "delete", text: "", time: iso(now) };
    case "update":
      return { ...base, from: names.author(m.sender), outgoing: m.outgoing, kind: "update", text: m.text, time: iso(now) };
  }
}

/** A reaction line is `outgoing` when this account reacted (from another of its devices): set from our user id. */
export function withOutgoing(json: MessageJson, me: string): MessageJson {
  return json.kind === "reaction" ? { ...json, outgoing: json.from.userId === me } : json;
}

const shortId = (id: string) => id.slice(0, 8);

function who(author: Author): string {
  return author.handle ? `${author.name} (@${author.handle})` : author.name;
}

function size(bytes: number): string {
  if (bytes < 1000) return `${bytes} B`;
  if (bytes < 1_000_000) return `${(bytes / 1000).toFixed(1)} kB`;
  return `${(bytes / 1_000_000).toFixed(1)} MB`;
}

/** The readable line for a JSON object: `HH:MM [group] Name (@handle): text`. Local time. */
export function toText(json: MessageJson): string {
  const time = new Date(json.time);
  const hhmm = `${String(time.getHours()).padStart(2, "0")}:${String(time.getMinutes()).padStart(2, "0")}`;
  const where = json.group !== undefined ? `[${json.group}] ` : "";
  const by = who(json.from);
  const oneLine = (text: string) => text.replace(/\r?\n/g, " ⏎ ");
  let body: string;
  switch (json.kind) {
    case "text":
      body = json.reply
        ? `${by} (reply to ${json.reply.text !== undefined ? `"${oneLine(json.reply.text).slice(0, 40)}"` : shortId(json.reply.id)}): ${oneLine(json.text)}`
        : `${by}: ${oneLine(json.text)}`;
      break;
    case "attachment": {
      const a = json.attachment;
      body = `${by} sent a file: ${a ? `${a.name} (${size(a.size)}, ${a.type})` : "?"}${json.text ? ` — ${oneLine(json.text)}` : ""}`;
      break;
    }
    case "notice":
      body = `* ${oneLine(json.text)}`;
      break;
    case "call":
      // A missed call names its caller; the other lines ("Voice call · 2:13") stand alone.
      body = `☎ ${oneLine(json.text)}${json.call?.direction === "incoming" && json.call.outcome === "missed" ? ` from ${by}` : ""}`;
      break;
    case "reaction":
      body = `${by} ${json.reaction?.removed ? "removed the reaction" : "reacted"} ${json.reaction?.emoji ?? ""} to ${shortId(json.id)}`;
      break;
    case "edit":
      body = `${by} edited ${shortId(json.id)}: ${oneLine(json.text)}`;
      break;
    case "delete":
      body = `${by} deleted ${shortId(json.id)}`;
      break;
    case "update":
      body = `${by} changed ${shortId(json.id)}: ${oneLine(json.text)}`;
      break;
  }
  return `${hhmm} ${where}${body}`;
}

/**
 * The changes between two versions of a message, as `read` reports them: a delete, an edit, and
 * each user's reaction added or removed (a user has one reaction, so replacing one is reported
 * as the new one only). Status changes (sent → delivered → read) are not reported. Without the
 * earlier version, a deleted message is a delete and anything else an `update`.
 */
export function changesBetween(before: ChatMessage | undefined, after: ChatMessage): MessageEvent[] {
  if (!before) return [{ type: after.deleted ? "delete" : "update", message: after }];
  if (after.deleted) return before.deleted ? [] : [{ type: "delete", message: after }];
  const out: MessageEvent[] = [];
  if (after.text !== before.text || after.editedAt !== before.editedAt) out.push({ type: "edit", message: after });
  const reactionOf = (m: ChatMessage) => {
    const byUser = new Map<string, string>();
    for (const [emoji, users] of Object.entries(m.reactions)) for (const user of users) byUser.set(user, emoji);
    return byUser;
  };
  const was = reactionOf(before);
  const now = reactionOf(after);
  for (const [user, emoji] of now)
    if (was.get(user) !== emoji) out.push({ type: "reaction", message: after, actor: user, emoji, removed: false });
  for (const [user, emoji] of was) if (!now.has(user)) out.push({ type: "reaction", message: after, actor: user, emoji, removed: true });
  return out;
}
