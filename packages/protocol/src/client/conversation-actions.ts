/**
 * What a user does to a conversation named by its id, routed to the right implementation: a
 * contact's 1:1 conversation (chat-actions.ts, attachments.ts, presence.ts) or a group's
 * (`group:<id>`, groups/). `ParleyClient` delegates here; a 1:1 action on a contact id we do not
 * know is ERR_UNKNOWN_CONTACT, and a closed client refuses every action before any work.
 */

import type { AttachmentPointer } from "../attachment/pointer.js";
import type { ContentBody } from "../content/content.js";
import { ErrorCode, ParleyError } from "../errors.js";
import { sendPointerToContact } from "./attachments.js";
import * as chat from "./chat-actions.js";
import type { ClientContext } from "./context.js";
import type { ChatMessage } from "./conversation.js";
import { sendPointerToGroup } from "./groups/attachments.js";
import { actOnGroupMessage, sendGroupText } from "./groups/chat.js";
import { groupIdOf, isGroupConversation } from "./groups/ids.js";
import { markGroupRead } from "./groups/receipts.js";
import { requireSendable } from "./groups/send.js";
import { sendTyping } from "./presence.js";
import type { Contact } from "./records.js";
import type { StoreWrite } from "./store/store.js";

export class ConversationActions {
  /** `assertOpen` throws once the client is closed. */
  constructor(
    private readonly ctx: ClientContext,
    private readonly assertOpen: () => void,
  ) {}

  /** The contact `contactId` names (ERR_UNKNOWN_CONTACT when none). */
  async requireContact(contactId: string): Promise<Contact> {
    this.assertOpen();
    const contact = await this.ctx.contact(contactId);
    if (!contact) throw new ParleyError(ErrorCode.UnknownContact, "no such contact");
    return contact;
  }

  /** A text or a reply; in a group, `mentions` names members by user id. */
  async sendText(conversationId: string, text: string, options: { replyTo?: string; mentions?: readonly string[] }): Promise<ChatMessage> {
    if (isGroupConversation(conversationId)) {
      this.assertOpen();
      return sendGroupText(this.ctx, groupIdOf(conversationId), text, options);
    }
    return chat.sendText(this.ctx, await this.requireContact(conversationId), text, options.replyTo);
  }

  /** Throws unless the conversation can take an attachment now: checked before anything is uploaded. */
  async checkAttachable(conversationId: string): Promise<void> {
    if (isGroupConversation(conversationId)) await requireSendable(this.ctx, groupIdOf(conversationId), "attachment");
    else await this.requireContact(conversationId);
  }

  /** Sends an uploaded attachment's pointer, the message stored with `writes` in one batch. */
  sendPointer(conversationId: string, pointer: AttachmentPointer, writes: StoreWrite[]): Promise<ChatMessage> {
    return isGroupConversation(conversationId)
      ? sendPointerToGroup(this.ctx, groupIdOf(conversationId), pointer, writes)
      : this.requireContact(conversationId).then((contact) => sendPointerToContact(this.ctx, contact, pointer, writes));
  }

  /** Reacts to, edits or deletes a message; with `ownOnly` (edits, deletes) a 1:1 message must be ours. */
  async act(conversationId: string, messageId: string, body: ContentBody, ownOnly = false): Promise<void> {
    if (isGroupConversation(conversationId)) {
      this.assertOpen();
      return actOnGroupMessage(this.ctx, groupIdOf(conversationId), messageId, body);
    }
    await chat.actOnMessage(this.ctx, await this.requireContact(conversationId), messageId, body, ownOnly);
  }

  async markRead(conversationId: string, messageIds?: readonly string[]): Promise<void> {
    if (isGroupConversation(conversationId)) {
      this.assertOpen();
      return markGroupRead(this.ctx, groupIdOf(conversationId), messageIds);
    }
    await chat.markRead(this.ctx, await this.requireContact(conversationId), messageIds);
  }

  async setTyping(conversationId: string, typing: boolean): Promise<void> {
    this.assertOpen();
    const contact = isGroupConversation(conversationId) ? undefined : await this.requireContact(conversationId);
    await sendTyping(this.ctx, conversationId, contact, typing);
  }
}
