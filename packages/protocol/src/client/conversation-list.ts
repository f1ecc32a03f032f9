/**
 * The conversation list a view shows: 1:1 conversations and groups with their last message and
 * unread count, most recent first (`ParleyClient.conversations`). Read from the per-conversation
 * history records (history.ts), which every message write keeps up to date: one listing of
 * the records, never a conversation's messages.
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
  /** When the last message arrived (our clock, `lastMessage.receivedAt`); undefined without messages. */
  readonly lastActivity?: number;
}

/**
 * Every group in `groups`, and a contact's 1:1 conversation only when it is a real one: it has
 * messages, or the user started it by looking the contact up by handle (only `findContact` sets a
 * handle). A group member this account never wrote with is a contact but has no conversation.
 */
export async function listConversations(ctx: ClientContext, groups: readonly GroupInfo[]): Promise<ConversationSummary[]> {
  const out: ConversationSummary[] = [];
  const [contacts, summaries] = await Promise.all([ctx.contacts(), ctx.history.summaries()]);
  const summaryOf = (id: string) => {
    const found = summaries.get(id);
    return {
      lastMessage: found?.lastMessage,
      unread: found?.unread ?? 0,
      ...(found?.lastActivity !== undefined ? { lastActivity: found.lastActivity } : {}),
    };
  };
  for (const contact of contacts) {
    const summary = summaryOf(contact.id);
    if (summary.lastMessage === undefined && contact.handle === undefined) continue;
    out.push({ id: contact.id, contact, ...summary });
  }
  for (const group of groups) out.push({ id: group.id, group, ...summaryOf(group.id) });
  return out.sort((a, b) => (b.lastMessage?.receivedAt ?? 0) - (a.lastMessage?.receivedAt ?? 0));
}
