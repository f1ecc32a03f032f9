/**
 * The delivery token and what happens when it is refused (spec/client.md §3).
 *
 * One token per account, not per device: the primary device makes it, publishes its hash and is
 * the only device that ever sets it at the relay; a linked device receives it in the link
 * approval, sealed to its identity key. Contacts therefore hold one token that stays valid as
 * devices come and go.
 *
 * A sealed send the relay refuses with TOKEN_INVALID is never silently turned into an
 * authenticated send that names us: the app chooses the policy (`unsealedFallback`), every such
 * send is reported by an `unsealedFallback` event, and every message that went unsealed carries
 * `sentUnsealed` in the store.
 */

import { bytesToHex as hex } from "../crypto/bytes.js";
import type { ClientContext } from "./context.js";
import type { MultiSendRecipient, OutboxEntry } from "./records.js";

/**
 * What to do when a contact's relay refuses the token we hold for them: `"never"` fails the send
 * (the message is marked `failed`), `"allow"` sends it authenticated, naming this account to the
 * relay, and flags it.
 */
export type UnsealedFallback = "allow" | "never";

/**
 * Default: "never". Sealed sending is the privacy promise, and a relay can answer TOKEN_INVALID
 * at will; once a send has named the sender it cannot be taken back, while a failed message can
 * be resent. With an account-wide token a legitimate refusal is rare (the contact replaced the
 * token and their new profile has not arrived yet).
 */
export const DEFAULT_UNSEALED_FALLBACK: UnsealedFallback = "never";

/** How delivering one outbox entry went. */
export interface Delivery {
  /** False: try again later (the relay was busy); true: nothing more to do. */
  readonly done: boolean;
  /** It went as an authenticated send that names this account. */
  readonly unsealed: boolean;
  /** The relay refused the token (TOKEN_INVALID). */
  readonly tokenRefused: boolean;
  /** Not sent at all: the token was refused and the policy is "never". */
  readonly withheld: boolean;
  /** A group send: the recipient users whose token the relay refused (they did not get it; client/groups/token-refused.ts). */
  readonly refusedMembers?: readonly MultiSendRecipient[];
}

/** Sets the account's token hash at the relay (primary device only; linked devices never touch it). */
export async function publishAccountToken(ctx: ClientContext): Promise<void> {
  if (ctx.local.account) await setTokenAtRelay(ctx, ctx.local.identity.deliveryToken);
}

/** Makes `token` the one the relay accepts for sealed sends to this account (only its hash goes there). */
export async function setTokenAtRelay(ctx: ClientContext, token: Uint8Array): Promise<void> {
  await ctx.connection.request({ t: "set_delivery_token", tokenHash: ctx.deps.crypto.sha256(token), open: false });
}

/** Tells the app about a refused token (`unsealedFallback` event). */
export async function reportTokenRefused(ctx: ClientContext, entry: OutboxEntry, delivery: Delivery): Promise<void> {
  if (!delivery.tokenRefused) return;
  const userId = hex(entry.userId);
  const contactId = entry.messageRef?.contactId ?? (userId === ctx.me ? undefined : (await ctx.contactByUser(userId))?.id);
  ctx.emit("unsealedFallback", {
    contactId,
    userId,
    messageId: entry.messageRef?.id,
    reason: "TOKEN_INVALID",
    sent: !delivery.withheld,
  });
}
