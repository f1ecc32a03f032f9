/**
 * One way to send a prepared content to any conversation — a contact's (pairwise, outgoing.ts)
 * or a group's (one sender-key message through multi_send, send.ts) — for features that build
 * their own content and message, such as attachments: store the message with `writes` and name
 * it in `messageRef` so its status moves to `sent`.
 */

import type { Content } from "../../content/content.js";
import { ErrorCode, ParleyError } from "../../errors.js";
import type { ClientContext } from "../context.js";
import { sendContent } from "../outgoing.js";
import type { StoreWrite } from "../store/store.js";
import { groupIdOf, isGroupConversation } from "./ids.js";
import { sendGroupPrepared } from "./send.js";

/** Sends `content` (made with `newContent`) to the conversation; resolves once queued durably. */
export async function sendToConversation(
  ctx: ClientContext,
  conversationId: string,
  content: Content,
  options: { messageRef?: { contactId: string; id: string }; writes?: StoreWrite[] } = {},
): Promise<void> {
  if (isGroupConversation(conversationId)) {
    await sendGroupPrepared(ctx, groupIdOf(conversationId), content, options);
    return;
  }
  const contact = await ctx.contact(conversationId);
  if (!contact) throw new ParleyError(ErrorCode.UnknownContact, "no such contact");
  await sendContent(ctx, contact, content, options);
}
