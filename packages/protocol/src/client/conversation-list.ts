/**
 * The conversation list a view shows: 1:1 conversations and groups with their last message and
 * unread count, most recent first (`ParleyClient.conversations`).
 */

import type { ClientContext } from "./context.js";
import type { ChatMessage } from "./conversation.js";
import type { GroupInfo } from "./groups/info.js";
import type { Contact } from "./records.js";

/** A conversation summary for a list view: with a contact, or a group (`id` is then `group:<groupId hex>`). */
export interface ConversationSummary {
  /** The conversation id: the contact's id, or the group's conversation id. */
  readonly id: string;
  /** The contact (1:1 conversations). */
  readonly contact?: Contact;
  /** The group (group conversations). */
  readonly group?: GroupInfo;
  readonly lastMessage: ChatMessage | undefined;
  readonly unread: number;
}

function unread(messages: readonly ChatMessage[]): number {
  return messages.filter((m) => !m.outgoing && m.status === "received" && m.kind !== "notice").length;
}

/**
 * Every group in `groups`, and a contact's 1:1 conversation only when it is a real one: it has
 * messages, or the user started it by looking the contact up by handle (only `findContact` sets a
 * handle). A group member this account never wrote with is a contact but has no conversation.
 */
export async function listConversations(ctx: ClientContext, groups: readonly GroupInfo[]): Promise<ConversationSummary[]> {
  const out: ConversationSummary[] = [];
  for (const contact of await ctx.contacts()) {
    const messages = await ctx.messages(contact.id);
    if (messages.length === 0 && contact.handle === undefined) continue;
    out.push({ id: contact.id, contact, lastMessage: messages.at(-1), unread: unread(messages) });
  }
  for (const group of groups) {
    const messages = await ctx.messages(group.id);
    out.push({ id: group.id, group, lastMessage: messages.at(-1), unread: unread(messages) });
  }
  return out.sort((a, b) => (b.lastMessage?.receivedAt ?? 0) - (a.lastMessage?.receivedAt ?? 0));
}
