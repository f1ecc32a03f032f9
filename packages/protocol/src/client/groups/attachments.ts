/**
 * Files in groups: the attachment pointer (uploaded once by attachments.ts) goes to the group as
 * one sender-key message, like a text; the stored message shows it as in 1:1.
 */

import type { AttachmentPointer } from "../../attachment/pointer.js";
import type { ClientContext } from "../context.js";
import type { ChatMessage } from "../conversation.js";
import { newContent } from "../outgoing.js";
import { ownMessage, sendOwnMessage } from "../own-message.js";
import type { StoreWrite } from "../store/store.js";
import { groupConversationId } from "./ids.js";
import { sendGroupPrepared } from "./send.js";

/** Sends an uploaded attachment to a group; resolves with the stored message once queued. */
export async function sendPointerToGroup(
  ctx: ClientContext,
  groupId: Uint8Array,
  pointer: AttachmentPointer,
  writes: StoreWrite[],
): Promise<ChatMessage> {
  const content = newContent(ctx, { kind: "attachment", ...pointer });
  const { caption, ...attachment } = pointer;
  const conversationId = groupConversationId(groupId);
  const message = ownMessage(ctx, content, conversationId, { kind: "attachment", text: caption, attachment }, "group");
  return sendOwnMessage(ctx, message, writes, (options) => sendGroupPrepared(ctx, groupId, content, options));
}
