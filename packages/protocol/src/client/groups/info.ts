/** A group as apps see it: names, settings, members with roles (and their contacts), our own role. */

import { bytesToHex as hex } from "../../crypto/bytes.js";
import type { ClientContext } from "../context.js";
import { decodeGroupState, type GroupSettings } from "./core.js";
import { groupConversationId } from "./ids.js";
import type { GroupRecord } from "./records.js";

/** One member of a group. */
export interface GroupMemberInfo {
  /** User id, hex. */
  readonly userId: string;
  readonly role: "admin" | "member";
  /** Our contact for the member, if we have one. */
  readonly contactId?: string;
  readonly displayName?: string;
  /** True for our own account. */
  readonly self: boolean;
}

/** A group's current state. */
export interface GroupInfo {
  /** The group's conversation id, `group:<groupId hex>`: use it with messages(), sendText(), … */
  readonly id: string;
  /** Group id, hex. */
  readonly groupId: string;
  readonly version: number;
  readonly name: string;
  readonly description: string;
  /** The avatar's encoded attachment pointer, if any. */
  readonly avatar?: Uint8Array;
  readonly settings: GroupSettings;
  readonly members: readonly GroupMemberInfo[];
  /** False once we left or were removed (the conversation stays readable). */
  readonly active: boolean;
  readonly isAdmin: boolean;
}

/** The info apps get for a stored group. */
export async function groupInfo(ctx: ClientContext, record: GroupRecord): Promise<GroupInfo> {
  const state = decodeGroupState(record.state);
  const members: GroupMemberInfo[] = [];
  for (const m of state.members) {
    const userId = hex(m.userId);
    const self = userId === ctx.me;
    const contact = self ? undefined : await ctx.contactByUser(userId);
    members.push({
      userId,
      role: m.role,
      self,
      ...(contact ? { contactId: contact.id } : {}),
      ...(self ? { displayName: ctx.local.identity.displayName } : contact?.displayName ? { displayName: contact.displayName } : {}),
    });
  }
  const me = members.find((m) => m.self);
  return {
    id: groupConversationId(state.groupId),
    groupId: hex(state.groupId),
    version: state.version,
    name: state.name,
    description: state.description,
    ...(state.avatar ? { avatar: state.avatar } : {}),
    settings: state.settings,
    members,
    active: record.active && me !== undefined,
    isAdmin: record.active && me?.role === "admin",
  };
}
