/**
 * The actions a group change carries and their encoding (spec/group-state.md §3.1): create,
 * add, remove, leave, promote, demote, setName, setDescription, setAvatar, setSettings and
 * setOwnToken. What each does to a state lives in apply.ts; who may do it in roles.ts.
 */

import type { ByteReader } from "../encoding/reader.js";
import type { ByteWriter } from "../encoding/writer.js";
import { invalidEncoding } from "../errors.js";
import { USER_ID_LENGTH } from "../keys/identity.js";
import { MAX_GROUP_AVATAR_BYTES, MAX_GROUP_DESCRIPTION_BYTES, MAX_GROUP_NAME_BYTES } from "../limits.js";
import {
  encodeGroupState,
  GROUP_TOKEN_LENGTH,
  type GroupRole,
  type GroupSettings,
  type GroupState,
  readGroupState,
  settingsFromBits,
  settingsToBits,
} from "./state.js";

/** One step of a group change. */
export type GroupAction =
  /** Version 0 only, alone: the full initial state; the author is one of its admins. */
  | { readonly type: "create"; readonly state: GroupState }
  /** Adds a user (role "member" unless given; an admin only may add an admin). */
  | { readonly type: "add"; readonly userId: Uint8Array; readonly role?: GroupRole; readonly deliveryToken?: Uint8Array }
  | { readonly type: "remove"; readonly userId: Uint8Array }
  /** The author leaves; must be the change's last action. A last admin promotes a successor first. */
  | { readonly type: "leave" }
  | { readonly type: "promote"; readonly userId: Uint8Array }
  | { readonly type: "demote"; readonly userId: Uint8Array }
  | { readonly type: "setName"; readonly name: string }
  | { readonly type: "setDescription"; readonly description: string }
  /** Sets the avatar pointer, or removes it when `avatar` is absent. */
  | { readonly type: "setAvatar"; readonly avatar?: Uint8Array }
  | { readonly type: "setSettings"; readonly settings: GroupSettings }
  /** Sets the author's own delivery token. */
  | { readonly type: "setOwnToken"; readonly deliveryToken: Uint8Array };

/** Action type bytes on the wire. */
export const GroupActionType = {
  create: 1,
  add: 2,
  remove: 3,
  leave: 4,
  promote: 5,
  demote: 6,
  setName: 7,
  setDescription: 8,
  setAvatar: 9,
  setSettings: 10,
  setOwnToken: 11,
} as const satisfies Record<GroupAction["type"], number>;

const ADD_ADMIN = 1;
const ADD_HAS_TOKEN = 2;

function checkLength(value: Uint8Array, length: number, what: string): void {
  if (!(value instanceof Uint8Array) || value.length !== length) throw new RangeError(`${what} must be ${length} bytes`);
}

/** Appends one action. Throws RangeError on malformed arguments, ERR_GROUP_INVALID on an invalid create state. */
export function writeGroupAction(w: ByteWriter, action: GroupAction): void {
  w.u8(GroupActionType[action.type]);
  switch (action.type) {
    case "create":
      w.bytes(encodeGroupState(action.state));
      return;
    case "add": {
      checkLength(action.userId, USER_ID_LENGTH, "user id");
      if (action.deliveryToken !== undefined) checkLength(action.deliveryToken, GROUP_TOKEN_LENGTH, "delivery token");
      w.bytes(action.userId).u8((action.role === "admin" ? ADD_ADMIN : 0) | (action.deliveryToken ? ADD_HAS_TOKEN : 0));
      if (action.deliveryToken) w.bytes(action.deliveryToken);
      return;
    }
    case "remove":
    case "promote":
    case "demote":
      checkLength(action.userId, USER_ID_LENGTH, "user id");
      w.bytes(action.userId);
      return;
    case "leave":
      return;
    case "setName":
      w.string16(action.name);
      return;
    case "setDescription":
      w.string16(action.description);
      return;
    case "setAvatar":
      w.bytes16(action.avatar ?? new Uint8Array(0));
      return;
    case "setSettings":
      w.u8(settingsToBits(action.settings));
      return;
    case "setOwnToken":
      checkLength(action.deliveryToken, GROUP_TOKEN_LENGTH, "delivery token");
      w.bytes(action.deliveryToken);
      return;
  }
}

/** Reads one action. Throws ERR_INVALID_ENCODING. */
export function readGroupAction(r: ByteReader): GroupAction {
  const type = r.u8();
  switch (type) {
    case GroupActionType.create:
      return { type: "create", state: readGroupState(r) };
    case GroupActionType.add: {
      const userId = r.bytes(USER_ID_LENGTH);
      const flags = r.u8();
      if (flags > 3) throw invalidEncoding("group add action has unknown flags");
      const role: GroupRole = flags & ADD_ADMIN ? "admin" : "member";
      return flags & ADD_HAS_TOKEN
        ? { type: "add", userId, role, deliveryToken: r.bytes(GROUP_TOKEN_LENGTH) }
        : { type: "add", userId, role };
    }
    case GroupActionType.remove:
      return { type: "remove", userId: r.bytes(USER_ID_LENGTH) };
    case GroupActionType.leave:
      return { type: "leave" };
    case GroupActionType.promote:
      return { type: "promote", userId: r.bytes(USER_ID_LENGTH) };
    case GroupActionType.demote:
      return { type: "demote", userId: r.bytes(USER_ID_LENGTH) };
    case GroupActionType.setName:
      return { type: "setName", name: r.string16(MAX_GROUP_NAME_BYTES) };
    case GroupActionType.setDescription:
      return { type: "setDescription", description: r.string16(MAX_GROUP_DESCRIPTION_BYTES) };
    case GroupActionType.setAvatar: {
      const avatar = r.bytes16(MAX_GROUP_AVATAR_BYTES);
      return avatar.length > 0 ? { type: "setAvatar", avatar } : { type: "setAvatar" };
    }
    case GroupActionType.setSettings:
      return { type: "setSettings", settings: settingsFromBits(r.u8()) };
    case GroupActionType.setOwnToken:
      return { type: "setOwnToken", deliveryToken: r.bytes(GROUP_TOKEN_LENGTH) };
    default:
      throw invalidEncoding(`unknown group action type ${type}`);
  }
}
