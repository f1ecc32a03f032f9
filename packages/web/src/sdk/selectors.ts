/**
 * Read-only helpers over the Snapshot that several screens share: names of conversations and
 * people. Pure functions; pass them the snapshot (or use them inside a useParley selector).
 */
import type { Snapshot } from "./store.js";

/** A conversation's title: the group's name, else the contact's display name, else its handle. */
export function conversationTitle(s: Snapshot, conversationId: string): string {
  const group = s.groupsById[conversationId] ?? s.conversationsById[conversationId]?.group;
  if (group) return group.name || "Unnamed group";
  const contact = s.contactsById[conversationId] ?? s.conversationsById[conversationId]?.contact;
  return contact?.displayName || (contact?.handle ? `@${contact.handle}` : "Unknown contact");
}

/** The name to show for a user id (hex): "You", a contact's name, a group member's name, or a short id. */
export function personName(s: Snapshot, userIdHex: string, conversationId?: string): string {
  if (s.me && userIdHex === s.me.userId) return "You";
  for (const contact of Object.values(s.contactsById)) {
    if (contact.userIdHex === userIdHex) return contact.displayName || (contact.handle ? `@${contact.handle}` : shortId(userIdHex));
  }
  const group = conversationId ? s.groupsById[conversationId] : undefined;
  const member = group?.members.find((m) => m.userId === userIdHex);
  return member?.displayName || shortId(userIdHex);
}

export function shortId(userIdHex: string): string {
  return `user ${userIdHex.slice(0, 8)}`;
}

/** True for a group conversation id. */
export function isGroupId(conversationId: string): boolean {
  return conversationId.startsWith("group:");
}

/** Presence for people: "Online", "Away", "Last seen 5 minutes ago", "Last seen 3 Mar, 14:05", or "Offline". */
export function presenceText(info: { readonly presence: string; readonly lastSeen?: number } | undefined, now = Date.now()): string {
  if (info?.presence === "online") return "Online";
  if (info?.presence === "away") return "Away";
  const seen = info?.lastSeen;
  if (seen === undefined) return "Offline";
  const minutes = Math.max(0, Math.round((now - seen) / 60_000));
  if (minutes < 1) return "Last seen just now";
  if (minutes < 60) return `Last seen ${minutes} minute${minutes === 1 ? "" : "s"} ago`;
  const hours = Math.round(minutes / 60);
  if (hours < 24) return `Last seen ${hours} hour${hours === 1 ? "" : "s"} ago`;
  return `Last seen ${new Date(seen).toLocaleString(undefined, { day: "numeric", month: "short", hour: "2-digit", minute: "2-digit" })}`;
}
