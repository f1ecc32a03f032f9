// Shared fixtures for group state tests: deterministic accounts, user ids, tokens and a
// helper that reads the ParleyError code (and reason) of a failing call.

import type { Deps } from "../src/deps.js";
import { ParleyError } from "../src/errors.js";
import { type AccountKeys, generateAccount } from "../src/keys/identity.js";
import { allDeps, seededRandom } from "./fixtures.js";

/** The first provider with a seeded random source: group tests need no provider matrix except where noted. */
export const groupDeps: Deps = { crypto: (allDeps[0] as [string, Deps])[1].crypto, random: seededRandom(0x6772_6f75) };

/** `n` accounts made from `deps`. */
export function accounts(deps: Deps, n: number): AccountKeys[] {
  return Array.from({ length: n }, () => generateAccount(deps));
}

/** A user id made of `i` in big-endian (distinct, no account behind it: for limit tests). */
export function fakeUserId(i: number): Uint8Array {
  const id = new Uint8Array(16);
  new DataView(id.buffer).setUint32(12, i);
  id[0] = 0xee;
  return id;
}

/** A 32-byte token filled with `fill`. */
export const token = (fill: number): Uint8Array => new Uint8Array(32).fill(fill);

/** `code` or `code:reason` of the ParleyError `fn` throws; "none" if it returns. Other errors rethrow. */
export function errorOf(fn: () => unknown): string {
  try {
    fn();
  } catch (error) {
    if (error instanceof ParleyError) return error.reason ? `${error.code}:${error.reason}` : error.code;
    throw error;
  }
  return "none";
}

/** A copy of `bytes` with the byte at `at` (negative: from the end) XORed with `mask`. */
export function flip(bytes: Uint8Array, at: number, mask = 1): Uint8Array {
  const copy = bytes.slice();
  const i = at < 0 ? copy.length + at : at;
  copy[i] = (copy[i] as number) ^ mask;
  return copy;
}
