/**
 * The user's privacy settings (spec/client.md "Privacy settings"): whether this device sends
 * read receipts, typing indicators and presence. Kept in the local identity record, so they are
 * read synchronously, survive a reopen and change atomically with it. Turning a setting off
 * changes only what we send: messages are still marked read locally, delivered receipts still
 * go, and contacts' typing and presence are still shown (reciprocity is left to the app).
 */

import type { ClientContext } from "./context.js";
import type { LocalDevice } from "./local-device.js";
import { broadcastPresence } from "./presence.js";

/** What this device tells contacts about the user. Every field defaults to true. */
export interface PrivacySettings {
  /** Send read receipts (1:1 and groups). Off: `markRead` marks locally and tells nobody. */
  readonly readReceipts: boolean;
  /** Send typing indicators. Off: `setTyping` sends nothing. */
  readonly typingIndicators: boolean;
  /** Share online/away and so last seen. Off: `setPresence` sends nothing (one last "offline" goes when it is turned off). */
  readonly presence: boolean;
}

/** The settings of a new account. */
export const DEFAULT_PRIVACY_SETTINGS: PrivacySettings = Object.freeze({ readReceipts: true, typingIndicators: true, presence: true });

const FIELDS = ["readReceipts", "typingIndicators", "presence"] as const;

/** The settings as stored on `local`'s identity record, with defaults for what was never set. */
export function privacySettings(local: LocalDevice): PrivacySettings {
  const stored = local.identity.privacy;
  return stored ? { ...DEFAULT_PRIVACY_SETTINGS, ...stored } : DEFAULT_PRIVACY_SETTINGS;
}

/** Checks a patch from the app: only the known fields, each a boolean (TypeError otherwise). */
export function checkSettingsPatch(patch: unknown): Partial<PrivacySettings> {
  if (!patch || typeof patch !== "object" || Array.isArray(patch)) throw new TypeError("settings patch must be an object");
  const out: { -readonly [K in keyof PrivacySettings]?: boolean } = {};
  for (const [key, value] of Object.entries(patch)) {
    if (!(FIELDS as readonly string[]).includes(key)) throw new TypeError(`unknown setting ${JSON.stringify(key)}`);
    if (value === undefined) continue;
    if (typeof value !== "boolean") throw new TypeError(`setting ${key} must be a boolean`);
    out[key as keyof PrivacySettings] = value;
  }
  return out;
}

/**
 * Applies `patch`, persists it, emits `settings` and, when presence was just turned off, sends
 * one last "offline" to every contact so none keeps showing us online. Resolves with the settings.
 */
export async function updatePrivacySettings(ctx: ClientContext, patch: Partial<PrivacySettings>): Promise<PrivacySettings> {
  const checked = checkSettingsPatch(patch);
  const before = privacySettings(ctx.local);
  const next: PrivacySettings = { ...before, ...checked };
  if (FIELDS.every((k) => next[k] === before[k])) return before;
  await ctx.store.batch([ctx.local.update({ privacy: next })]);
  ctx.emit("settings", next);
  if (before.presence && !next.presence) await broadcastPresence(ctx, "offline");
  return next;
}
