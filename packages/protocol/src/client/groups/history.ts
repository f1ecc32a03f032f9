/**
 * The changes this device applied to a group, remembered by version and hash (the newest
 * MAX_GROUP_CHANGE_HISTORY): enough to tell a change for a version we already moved past that
 * we applied (a replay: dropped) from a competing one made from the same state (a fork we did
 * not see in time: reported). The states themselves are not kept, so a fork older than our last
 * change cannot be settled here (spec/client.md §11).
 */

import { bytesToHex as hex } from "../../crypto/bytes.js";
import { MAX_GROUP_CHANGE_HISTORY } from "../../limits.js";

/** One applied change. */
export interface AppliedChange {
  readonly version: number;
  /** groupChangeHash of the change. */
  readonly hash: Uint8Array;
  /** A competing change to this version was reported (the notice line is added once). */
  readonly diverged?: boolean;
}

/** `history` with `change` applied at its version: entries at or above that version (a fork switch) replaced; the newest kept. */
export function withApplied(history: readonly AppliedChange[] | undefined, version: number, hash: Uint8Array): AppliedChange[] {
  const kept = (history ?? []).filter((h) => h.version < version);
  return [...kept, { version, hash }].slice(-MAX_GROUP_CHANGE_HISTORY);
}

/**
 * What a change for `version` (not above ours) is to us: `replay` — the one we applied;
 * `fork` — another change for a version we applied one to; `unknown` — older than we remember.
 */
export function pastChange(
  history: readonly AppliedChange[] | undefined,
  version: number,
  hash: Uint8Array,
): "replay" | "fork" | "unknown" {
  const entry = (history ?? []).find((h) => h.version === version);
  if (!entry) return "unknown";
  return hex(entry.hash) === hex(hash) ? "replay" : "fork";
}

/** `history` with the entry for `version` marked as reported. */
export function markDiverged(history: readonly AppliedChange[], version: number): AppliedChange[] {
  return history.map((h) => (h.version === version ? { ...h, diverged: true } : h));
}
