/**
 * Group conversation ids: a group's conversation is `group:<groupId hex>` in the client's
 * conversation API (messages(), sendText(), …), next to contact ids.
 */

import { bytesToHex as hex, hexToBytes } from "../../crypto/bytes.js";

/** Prefix of every group conversation id. */
export const GROUP_CONVERSATION_PREFIX = "group:";

/** The conversation id of a group. */
export function groupConversationId(groupId: Uint8Array): string {
  return `${GROUP_CONVERSATION_PREFIX}${hex(groupId)}`;
}

/** True when `id` names a group conversation. */
export function isGroupConversation(id: string): boolean {
  return id.startsWith(GROUP_CONVERSATION_PREFIX);
}

/** The group id a group conversation id names (RangeError when it is not one). */
export function groupIdOf(conversationId: string): Uint8Array {
  const body = conversationId.slice(GROUP_CONVERSATION_PREFIX.length);
  if (!isGroupConversation(conversationId) || !/^[0-9a-f]{32}$/.test(body)) throw new RangeError("not a group conversation id");
  return hexToBytes(body);
}
