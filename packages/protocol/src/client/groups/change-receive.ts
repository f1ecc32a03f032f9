/**
 * Group changes received from a member (or from our other device): every change is checked with
 * `applyChange` against the stored state; a refusal leaves the state as it was and emits
 * `groupChangeRefused`; a change ahead of our state, or made on a branch we do not hold, is held
 * until the ones before it arrive. A competing change to a version we hold or moved past is
 * settled by `resolveFork` against the state both were made from, as far back as the record keeps
 * (MAX_GROUP_FORK_DEPTH changes): when it wins, it replaces the change at its version and every
 * one after it, and our own lost actions are made again on top (their other authors do the same
 * on their side), so members that saw competing changes in any order converge. One deeper than
 * that cannot be settled (the state it was made from is gone): it is reported
 * (`groupChangeRefused`, ERR_GROUP_STALE "fork") with a notice line asking the user to have an
 * admin re-add them; a replay of a change we applied is dropped.
 */

import { equalBytes, bytesToHex as hex } from "../../crypto/bytes.js";
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
  groupStateHash,
  resolveFork,
  verifyGroupChangeSignature,
} from "./core.js";
import { markDiverged, pastChange, withApplied } from "./history.js";
import { groupConversationId } from "./ids.js";
import { groupInfo } from "./info.js";
import { afterChangeWrites, changeGroup, stateLock } from "./membership.js";
import { changeNotice, lineWrites, nameBook } from "./notices.js";
import { chainOf, GROUP_NS, type GroupRecord, groupWrite, loadGroup, withLink } from "./records.js";

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
      const chain = chainOf(record);
      let next: GroupRecord;
      let after: GroupState;
      let parent = before;
      if (change.version <= before.version) {
        // A change to a version we hold or moved past: the one we applied (a replay), or a
        // competing one — settled by resolveFork against the state both were made from, as far
        // back as we keep (spec/group-state.md §5).
        const at = chain.findIndex((link) => decodeGroupChange(link.change).version === change?.version);
        const link = chain[at];
        if (!link) {
          const past = pastChange(record.history, change.version, groupChangeHash(ctx.deps, change));
          if (past === "fork") return divergedLocked(ctx, record, change, applied);
          return "ignored"; // Seen already, or older than we remember.
        }
        if (equalBytes(link.change, change.encoded)) return "ignored"; // A replay.
        parent = decodeGroupState(link.state);
        if (!equalBytes(change.previousHash, groupStateHash(ctx.deps, parent))) {
          // Made on a branch we do not hold: it may follow a change that is still on its way and
          // wins at an earlier version. Kept, tried again after the next change.
          return "ahead";
        }
        const ours = decodeGroupChange(link.change);
        const resolution = resolveFork(ctx.deps, parent, ours, change);
        if (resolution.winner === "applied") return "ignored";
        after = resolution.state;
        // The winner replaces the change at its version and every change we applied after it.
        // Their authors make theirs again on the winner; our own lost actions are made again here.
        const lost = chain.slice(at).map((l) => decodeGroupChange(l.change));
        const mine = lost.filter((c) => hex(c.authorUserId) === ctx.me).flatMap((c) => c.actions);
        if (mine.length > 0 && ctx.local.account) {
          applied.followUps.push(() =>
            changeGroup(ctx, groupId, mine, { rebase: true }).then(
              () => undefined,
              (error) => ctx.emit("error", error instanceof Error ? error : new Error(String(error))),
            ),
          );
        }
        next = withLink(record, [...chain.slice(0, at), { state: link.state, change: change.encoded }], encodeGroupState(after));
      } else {
        // The next version: it must follow our state. One made from another state (VAL-112), or
        // one skipping versions, waits: the changes it follows may still be on their way.
        after = applyChange(ctx.deps, before, change);
        next = withLink(record, [...chain, { state: record.state, change: change.encoded }], encodeGroupState(after));
      }
      next = {
        ...next,
        history: withApplied(record.history, change.version, groupChangeHash(ctx.deps, change)),
        active: findMember(after, ctx.local.userId) !== undefined,
      };
      applied.writes.push(groupWrite(next), ...(await afterChangeWrites(ctx, before, after)));
      const line = changeNotice(ctx, after, change, await nameBook(ctx, parent, after));
      applied.writes.push(...lineWrites(ctx, line));
      if (line) applied.events.push(() => ctx.emit("message", line));
      const info = await groupInfo(ctx, next);
      applied.events.push(() => ctx.emit("group", info));
      return "applied";
    } catch (error) {
      const reason = ParleyError.is(error, ErrorCode.GroupStale) ? (error as ParleyError).reason : undefined;
      if (reason === "replay") return "ignored"; // Seen already.
      if (reason === "ahead" || reason === "fork") return "ahead";
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
