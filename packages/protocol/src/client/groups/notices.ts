/**
 * The notice lines a group change adds to the group's conversation ("Ana added Bo"), with the
 * members' display names.
 */

import { bytesToHex as hex } from "../../crypto/bytes.js";
import type { ClientContext } from "../context.js";
import type { ChatMessage } from "../conversation.js";
import { notice } from "../incoming.js";
import type { StoreWrite } from "../store/store.js";
import type { GroupChange, GroupState } from "./core.js";
import { groupConversationId } from "./ids.js";

/** The store writes adding a notice line (none without one). */
export function lineWrites(ctx: ClientContext, line: ChatMessage | undefined): StoreWrite[] {
  return line ? ctx.newMessageWrites(line) : [];
}

/** Display names for a change's notice: "you", a contact's name, or a short user id. */
export async function nameBook(ctx: ClientContext, ...states: GroupState[]): Promise<(userId: Uint8Array) => string> {
  const names = new Map<string, string>();
  for (const state of states) {
    for (const m of state.members) {
      const id = hex(m.userId);
      if (names.has(id)) continue;
      if (id === ctx.me) names.set(id, "You");
      else {
        const contact = await ctx.contactByUser(id);
        names.set(id, contact?.displayName ?? contact?.handle ?? id.slice(0, 8));
      }
    }
  }
  return (userId) => names.get(hex(userId)) ?? hex(userId).slice(0, 8);
}

/** The conversation line describing a change. */
export function changeNotice(
  ctx: ClientContext,
  state: GroupState,
  change: GroupChange,
  name: (userId: Uint8Array) => string,
): ChatMessage | undefined {
  const by = name(change.authorUserId);
  // "You" as the subject, "you" as the object: "Ana made you an admin".
  const whom = (userId: Uint8Array) => (hex(userId) === ctx.me ? "you" : name(userId));
  const parts: string[] = [];
  for (const action of change.actions) {
    switch (action.type) {
      case "create":
        parts.push(`${by} created the group “${action.state.name}”`);
        break;
      case "add":
        parts.push(`${by} added ${whom(action.userId)}${action.role === "admin" ? " as an admin" : ""}`);
        break;
      case "remove":
        parts.push(`${by} removed ${whom(action.userId)}`);
        break;
      case "leave":
        parts.push(`${by} left`);
        break;
      case "promote":
        parts.push(`${by} made ${whom(action.userId)} an admin`);
        break;
      case "demote":
        parts.push(`${by} made ${whom(action.userId)} a member`);
        break;
      case "setName":
        parts.push(`${by} renamed the group to “${action.name}”`);
        break;
      case "setDescription":
        parts.push(`${by} changed the group's description`);
        break;
      case "setAvatar":
        parts.push(`${by} ${action.avatar ? "changed" : "removed"} the group's picture`);
        break;
      case "setSettings":
        parts.push(`${by} changed the group's settings${action.settings.send === "admins" ? ": only admins can send" : ""}`);
        break;
      case "setOwnToken":
        break;
    }
  }
  if (parts.length === 0) return undefined; // A member's own token: nothing to show.
  const text = `${parts.join("; ")}.`;
  return notice(ctx, { id: groupConversationId(state.groupId) }, hex(change.authorUserId), text);
}
