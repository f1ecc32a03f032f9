/**
 * Who may do what in a group (spec/group-state.md §4, VAL-120 … VAL-122): the role an action
 * needs, given the settings of the state the change replaces. Permissions are always judged
 * against that previous state, never against a state the same change has already altered, so
 * a change cannot grant itself the rights it uses.
 */

import type { GroupAction } from "./action.js";
import type { GroupAccess, GroupRole, GroupSettings } from "./state.js";

/** The least role an author needs for `action` under `settings`. */
export function requiredRole(action: GroupAction, settings: GroupSettings): GroupRole {
  const bySetting = (access: GroupAccess): GroupRole => (access === "all" ? "member" : "admin");
  switch (action.type) {
    case "create":
    case "leave":
    case "setOwnToken":
      return "member";
    case "add":
      return action.role === "admin" ? "admin" : bySetting(settings.addMembers);
    case "setName":
    case "setDescription":
    case "setAvatar":
      return bySetting(settings.editInfo);
    case "remove":
    case "promote":
    case "demote":
    case "setSettings":
      return "admin";
  }
}

/** True when an author with `role` may perform `action` under `settings`. */
export function mayPerform(role: GroupRole, action: GroupAction, settings: GroupSettings): boolean {
  return role === "admin" || requiredRole(action, settings) === "member";
}
