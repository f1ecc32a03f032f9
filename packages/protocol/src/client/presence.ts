/**
 * Typing and presence, both ways (spec/client.md "Privacy settings" and "Presence"): sending
 * them only when the user's privacy settings allow, and recording a contact's presence with the
 * time we last saw it online (`Contact.lastSeen`, our clock). Repeats of the same presence are
 * not written to the store more than once per LAST_SEEN_RESOLUTION_MS, so a contact sending
 * "online" every few seconds costs no write each time.
 */

import type { Content } from "../content/content.js";
import type { ClientContext } from "./context.js";
import { groupIdOf, isGroupConversation } from "./groups/ids.js";
import { sendGroupContent } from "./groups/send.js";
import type { Applied } from "./incoming.js";
import { newContent, sendContent } from "./outgoing.js";
import type { Contact } from "./records.js";
import { privacySettings } from "./settings.js";

/** A presence state as sent and shown. */
export type Presence = "offline" | "online" | "away";

/** How stale a stored `lastSeen` may get while a contact repeats the same presence before it is written again (1 min). */
export const LAST_SEEN_RESOLUTION_MS = 60_000;

/** Tells a contact or group we are typing (or stopped), unless typing indicators are off. Ephemeral. */
export async function sendTyping(ctx: ClientContext, conversationId: string, contact: Contact | undefined, typing: boolean): Promise<void> {
  if (!privacySettings(ctx.local).typingIndicators) return;
  if (isGroupConversation(conversationId)) {
    await sendGroupContent(ctx, groupIdOf(conversationId), { kind: "typing", typing }, { ephemeral: true });
    return;
  }
  if (!contact || contact.pendingIdentity) return;
  await sendContent(ctx, contact, newContent(ctx, { kind: "typing", typing }), { ephemeral: true });
}

/** Tells every contact our presence, unless presence sharing is off. Ephemeral. */
export async function sendPresence(ctx: ClientContext, presence: Presence): Promise<void> {
  if (!privacySettings(ctx.local).presence) return;
  await broadcastPresence(ctx, presence);
}

/** Sends `presence` to every contact (and only contacts) whatever the settings; a failure per contact is an `error` event. */
export async function broadcastPresence(ctx: ClientContext, presence: Presence): Promise<void> {
  for (const contact of await ctx.contacts()) {
    if (contact.pendingIdentity || contact.deviceIds.length === 0) continue;
    await sendContent(ctx, contact, newContent(ctx, { kind: "presence", presence }), { ephemeral: true }).catch((e) =>
      ctx.emit("error", e instanceof Error ? e : new Error(String(e))),
    );
  }
}

/**
 * The contact after a presence it sent at `now`, or undefined when nothing needs writing: the
 * same presence again with a `lastSeen` less than LAST_SEEN_RESOLUTION_MS old.
 */
export function presenceUpdate(contact: Contact, presence: Presence, now: number): Contact | undefined {
  const repeat = contact.presence === presence && contact.lastSeen !== undefined;
  if (repeat && now - (contact.lastSeen as number) < LAST_SEEN_RESOLUTION_MS) return undefined;
  return { ...contact, presence, lastSeen: now };
}

/** Records a contact's presence (incoming.ts): the contact write when due, and the `presence` event. */
export function applyPresence(
  ctx: ClientContext,
  contact: Contact,
  content: Extract<Content, { kind: "presence" }>,
  applied: Applied,
): void {
  const now = ctx.now();
  const updated = presenceUpdate(contact, content.presence, now);
  if (updated) applied.writes.push(...ctx.contactWrites(updated));
  applied.events.push(() => ctx.emit("presence", { contactId: contact.id, presence: content.presence, lastSeen: now }));
}
