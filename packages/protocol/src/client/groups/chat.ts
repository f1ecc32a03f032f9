/**
 * What a member does in a group's conversation: send a text or reply (with mentions), react,
 * edit its own messages, delete its own — or, as an admin, anyone's — messages. Each applies
 * locally the way members will, committed together with the queued group send.
 */

import type { ContentBody } from "../../content/content.js";
import { hexToBytes } from "../../crypto/bytes.js";
import { ErrorCode, ParleyError } from "../../errors.js";
import type { ClientContext } from "../context.js";
import type { ChatMessage } from "../conversation.js";
import { newContent } from "../outgoing.js";
import { ownAction, ownMessage, sendOwnAction, sendOwnMessage } from "../own-message.js";
import { decodeGroupState, isGroupAdmin } from "./core.js";
import { groupConversationId } from "./ids.js";
import { loadGroup } from "./records.js";
import { sendGroupPrepared } from "./send.js";

/** Sends a text (a reply when `replyTo` names a message) to a group; resolves with the stored message once queued. */
export async function sendGroupText(
  ctx: ClientContext,
  groupId: Uint8Array,
  text: string,
  options: { replyTo?: string; mentions?: readonly string[] } = {},
): Promise<ChatMessage> {
  const mentions = options.mentions && options.mentions.length > 0 ? { mentions: options.mentions.map((m) => hexToBytes(m)) } : {};
  const content = options.replyTo
    ? newContent(ctx, { kind: "reply", target: hexToBytes(options.replyTo), text, ...mentions })
    : newContent(ctx, { kind: "text", text, ...mentions });
  const conversationId = groupConversationId(groupId);
  const message = ownMessage(
    ctx,
    content,
    conversationId,
    {
      kind: "text",
      text,
      ...(options.replyTo ? { replyTo: options.replyTo } : {}),
      ...(options.mentions && options.mentions.length > 0 ? { mentions: [...options.mentions] } : {}),
    },
    "group",
  );
  return sendOwnMessage(ctx, message, [], (queue) => sendGroupPrepared(ctx, groupId, content, queue));
}

/** Reacts to, edits or deletes a group message. Edits: own messages only; deletes: own, or anyone's for an admin. */
export async function actOnGroupMessage(ctx: ClientContext, groupId: Uint8Array, messageId: string, body: ContentBody): Promise<void> {
  const conversationId = groupConversationId(groupId);
  const found = await ctx.message(conversationId, messageId);
  if (!found) throw new RangeError("no such message in this conversation");
  const me = ctx.me;
  const record = await loadGroup(ctx, groupId);
  const admin = record ? isGroupAdmin(decodeGroupState(record.state), ctx.local.userId) : false;
  if (body.kind === "edit" && found.message.sender !== me) throw new RangeError("only your own messages can be edited");
  if (body.kind === "delete" && found.message.sender !== me && !admin) {
    throw new ParleyError(ErrorCode.GroupPermission, "only admins may delete other members' messages");
  }
  const content = newContent(ctx, body);
  const change = ownAction(content, me, admin ? (message) => message.sender : () => me);
  await sendOwnAction(ctx, conversationId, messageId, change, (options) => sendGroupPrepared(ctx, groupId, content, options));
}
