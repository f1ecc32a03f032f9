/**
 * The group cores the client builds on, imported in one place: sender keys (group/sender-key.ts),
 * group state and signed changes (group/state.ts, group/change.ts) and the multi-recipient
 * sealed envelope (envelope/sealed-multi.ts).
 */

export { sealMulti } from "../../envelope/sealed-multi.js";
export type { GroupAction } from "../../group/action.js";
export { applyChange, createGroup, proposeChange } from "../../group/apply.js";
export { decodeGroupChange, encodeGroupChange, type GroupChange, groupChangeHash, verifyGroupChangeSignature } from "../../group/change.js";
export { rebaseActions, resolveFork } from "../../group/fork.js";
export { joinGroup } from "../../group/join.js";
export {
  acceptSenderKeyDistribution,
  createSenderKey,
  decodeSenderKeyDistribution,
  decodeSenderKeyState,
  encodeSenderKeyDistribution,
  encodeSenderKeyState,
  groupDecrypt,
  groupEncrypt,
  parseGroupMessageHeader,
  type SenderKeyState,
  senderKeyFromDistribution,
} from "../../group/sender-key.js";
export {
  canSendToGroup,
  decodeGroupState,
  encodeGroupState,
  findMember,
  type GroupMember,
  type GroupSettings,
  type GroupState,
  groupStateHash,
  isGroupAdmin,
  membersAdded,
  membersRemoved,
} from "../../group/state.js";
