/**
 * Group changes received from a member (or from our other device): every change is checked with
 * `applyChange` against the stored state; a refusal leaves the state as it was and emits
 * `groupChangeRefused`; a change ahead of our state is held until the ones before it arrive; a
 * competing change to the version we hold is settled by `resolveFork`. A competing change to a
 * version we already moved past cannot be settled (the state it was made from is gone): it is
 * reported (`groupChangeRefused`, ERR_GROUP_STALE "fork") with a notice line asking the user to
 * have an admin re-add them; a replay of a change we applied is dropped.
 */

import { bytesToHex as hex } from "../../crypto/bytes.js";
import { ErrorCode, ParleyError } from "../../errors.js";
import { MAX_GROUP_PENDING } from "../../limits.js";
import type { ClientContext } from "../context.js";
import { type Applied, notice } from "../incoming.js";
import type { StoreWrite } from "../store/store.js";
import { releaseAwaitingTokens } from "./awaiting-token.js";
import {
  applyChange,
  decodeGroupChange,
  decodeGroupState,
  encodeGroupState,
  findMember,
  type GroupChange,
  type GroupState,
  groupChangeHash,
  resolveFork,
  verifyGroupChangeSignature,
} from "./core.js";
import { markDiverged, pastChange, withApplied } from "./history.js";
import { groupConversationId } from "./ids.js";
import { groupInfo } from "./info.js";
import { afterChangeWrites, changeGroup, stateLock } from "./membership.js";
import { changeNotice, lineWrites, nameBook } from "./notices.js";
import { GROUP_NS, type GroupRecord, groupWrite, loadGroup } from "./records.js";

/** Applies a change received from a member (or from our other device), into `applied`. */
export async function applyIncomingChange(ctx: ClientContext, groupId: Uint8Array, bytes: Uint8Array, applied: Applied): Promise<void> {
  const outcome = await applyChangeLocked(ctx, groupId, bytes, applied);
  if (outcome === "ahead" || outcome === "unknown") {
    // Changes in between are still on their way (they come from other members), or the snapshot
    // that adds us is: a member that joined with us may publish its token (setOwnToken) before our
    // snapshot arrives — dropping it would leave us on another branch. Keep it for later.
    applied.writes.push(...(await holdChangeWrites(ctx, groupId, bytes)));
  } else if (outcome === "applied") {
    // A member's token the change published (setOwnToken): what waited for it goes now.
    applied.followUps.push(() => retryHeldChanges(ctx, groupId).then(() => releaseAwaitingTokens(ctx, groupId)));
  }
}

/** What became of a received change. */
type ChangeOutcome = "applied" | "ahead" | "unknown" | "ignored" | "refused";

async function applyChangeLocked(ctx: ClientContext, groupId: Uint8Array, bytes: Uint8Array, applied: Applied): Promise<ChangeOutcome> {
  return ctx.lock.run(stateLock(groupId), async (): Promise<ChangeOutcome> => {
    const record = await loadGroup(ctx, groupId);
    if (!record) return "unknown"; // Not yet: the snapshot that adds us may still be on its way.
    if (!record.active) return "ignored"; // A group we left or were removed from.
    const before = decodeGroupState(record.state);
    let change: GroupChange | undefined;
    try {
      change = decodeGroupChange(bytes);
      if (hex(change.groupId) !== hex(groupId)) throw new ParleyError(ErrorCode.GroupInvalid, "the change is for another group");
      let base = before;
      let after: GroupState;
      let previous: GroupRecord["previous"] = { state: record.state, change: change.encoded };
      try {
        after = applyChange(ctx.deps, before, change);
      } catch (error) {
        // A competing change for the version we hold (applyChange calls it a replay: its version is
        // not above ours), or one made from the state before our last: settled by resolveFork.
        const competing =
          ParleyError.is(error, ErrorCode.GroupStale) &&
          (change.version === before.version || (error as ParleyError).reason === "fork") &&
          record.previous !== undefined;
        if (!competing || !record.previous) {
          if (ParleyError.is(error, ErrorCode.GroupStale) && (error as ParleyError).reason === "replay") {
            // A version we moved past: the change we applied (a replay), or a competing one.
            const past = pastChange(record.history, change.version, groupChangeHash(ctx.deps, change));
            if (past === "fork") return divergedLocked(ctx, record, change, applied);
          }
          throw error;
        }
        // A competing change to the version we hold: the deterministic winner stays (spec/group-state.md §Forks).
        const prior = decodeGroupState(record.previous.state);
        const lost = decodeGroupChange(record.previous.change);
        const resolution = resolveFork(ctx.deps, prior, lost, change);
        if (resolution.winner === "applied") return "ignored";
        if (hex(lost.authorUserId) === ctx.me && ctx.local.account) {
          // Our change lost the fork: make it again on top of the winner (it may no longer apply).
          applied.followUps.push(() =>
            changeGroup(ctx, groupId, lost.actions).then(
              () => undefined,
              () => undefined,
            ),
          );
        }
        base = prior;
        after = resolution.state;
        previous = { state: record.previous.state, change: change.encoded };
      }
      const next: GroupRecord = {
        ...record,
        state: encodeGroupState(after),
        previous,
        history: withApplied(record.history, change.version, groupChangeHash(ctx.deps, change)),
        active: findMember(after, ctx.local.userId) !== undefined,
      };
      applied.writes.push(groupWrite(next), ...(await afterChangeWrites(ctx, base, after)));
      const line = changeNotice(ctx, after, change, await nameBook(ctx, base, after));
      applied.writes.push(...lineWrites(ctx, line));
      if (line) applied.events.push(() => ctx.emit("message", line));
      const info = await groupInfo(ctx, next);
      applied.events.push(() => ctx.emit("group", info));
      return "applied";
    } catch (error) {
      const reason = ParleyError.is(error, ErrorCode.GroupStale) ? (error as ParleyError).reason : undefined;
      if (reason === "replay") return "ignored"; // Seen already.
      if (reason === "ahead") return "ahead";
      const refused =
        error instanceof ParleyError ? error : new ParleyError(ErrorCode.GroupInvalid, "group change refused", { cause: error });
      const event = {
        conversationId: groupConversationId(groupId),
        groupId: hex(groupId),
        author: change ? hex(change.authorUserId) : undefined,
        error: refused,
      };
      applied.events.push(() => ctx.emit("groupChangeRefused", event));
      return "refused";
    }
  });
}

/**
 * A signed change competing with one we applied to a version we already moved past: our members
 * and its author may now hold different states. Reported; the notice line (once per version)
 * tells the user what can repair it, since re-syncing needs the state that change was made from.
 */
async function divergedLocked(ctx: ClientContext, record: GroupRecord, change: GroupChange, applied: Applied): Promise<ChangeOutcome> {
  verifyGroupChangeSignature(ctx.deps, change); // A forged "fork" is refused as ERR_INVALID_SIGNATURE.
  const groupId = record.groupId;
  const error = new ParleyError(
    ErrorCode.GroupStale,
    `a competing change to version ${change.version}, which this member already moved past: the members' histories diverged`,
    { reason: "fork" },
  );
  const event = { conversationId: groupConversationId(groupId), groupId: hex(groupId), author: hex(change.authorUserId), error };
  applied.events.push(() => ctx.emit("groupChangeRefused", event));
  const history = record.history ?? [];
  if (history.find((h) => h.version === change.version)?.diverged) return "refused";
  const line = notice(ctx, { id: groupConversationId(groupId) }, hex(change.authorUserId), DIVERGED_NOTICE);
  applied.writes.push(groupWrite({ ...record, history: markDiverged(history, change.version) }), ...lineWrites(ctx, line));
  applied.events.push(() => ctx.emit("message", line));
  return "refused";
}

/** The notice line of a fork that could not be settled. */
export const DIVERGED_NOTICE = "This group's history diverged from another member's; ask an admin to re-add you.";

/** Writes holding a change that is ahead of our state (at most MAX_GROUP_PENDING per group, oldest dropped). */
async function holdChangeWrites(ctx: ClientContext, groupId: Uint8Array, bytes: Uint8Array): Promise<StoreWrite[]> {
  const prefix = `${hex(groupId)}/`;
  const held = await ctx.store.list(GROUP_NS.heldChanges, prefix);
  const writes: StoreWrite[] = held
    .slice(0, Math.max(0, held.length + 1 - MAX_GROUP_PENDING))
    .map(([key]) => ({ namespace: GROUP_NS.heldChanges, key, value: undefined }));
  const version = decodeGroupChange(bytes).version;
  const key = `${prefix}${String(version).padStart(10, "0")}-${hex(ctx.deps.crypto.sha256(bytes)).slice(0, 16)}`;
  writes.push({ namespace: GROUP_NS.heldChanges, key, value: bytes });
  return writes;
}

/** Applies held changes that now follow our state, in version order, until none does (also once a snapshot installed the group). */
export async function retryHeldChanges(ctx: ClientContext, groupId: Uint8Array): Promise<void> {
  for (let progress = true; progress; ) {
    progress = false;
    for (const [key, bytes] of await ctx.store.list(GROUP_NS.heldChanges, `${hex(groupId)}/`)) {
      const applied: Applied = { writes: [], events: [], followUps: [] };
      const outcome = await applyChangeLocked(ctx, groupId, bytes, applied);
      if (outcome === "ahead" || outcome === "unknown") continue;
      await ctx.store.batch([...applied.writes, { namespace: GROUP_NS.heldChanges, key, value: undefined }]);
      for (const emit of applied.events) emit();
      for (const followUp of applied.followUps) ctx.spawn(followUp);
      if (outcome === "applied") progress = true;
    }
  }
}
