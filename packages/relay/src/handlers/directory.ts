/**
 * Directory handlers: handles (claim, look up), device lists (read) and the user's
 * delivery-token setting.
 */

import { RelayErrorCode } from "@parley/protocol/wire";
import type { Connection } from "../connection.js";
import type { RelayContext } from "../context.js";
import { RelayError } from "../relay-error.js";
import { type Handler, hex, requireDevice } from "./common.js";
import { normalizeHandle } from "./handle-rules.js";

function handleOf(input: string): string {
  const handle = normalizeHandle(input);
  if (!handle) throw new RelayError(RelayErrorCode.HandleInvalid, "handles are 3–32 of a-z, 0-9, _ and start with a letter");
  return handle;
}

/** `claim_handle`: unique, case-insensitive; an account holds one handle (claiming another releases it). */
export const handleClaimHandle: Handler<"claim_handle"> = async (ctx, conn, frame) => {
  const mailbox = requireDevice(conn);
  if (!(await ctx.store.claimHandle(mailbox.userId, handleOf(frame.handle)))) throw new RelayError(RelayErrorCode.HandleTaken);
  return { t: "ok", id: frame.id };
};

/**
 * `lookup_handle`: account key and signed device list (the client verifies the signature).
 * Answered on anonymous connections too, so clients re-check contacts without showing the relay
 * whose contacts they are (spec/relay.md §5). Rate-limited per account, or per network address on anonymous
 * connections: enumerating handles from many connections of one account draws on one budget
 * (handleLookupsPerMinute, burst handleLookupBurst).
 */
export const handleLookupHandle: Handler<"lookup_handle"> = async (ctx, conn, frame) => {
  takeLookup(ctx, conn);
  const handle = normalizeHandle(frame.handle);
  const account = handle ? await ctx.store.lookupHandle(handle) : undefined;
  if (!account) throw new RelayError(RelayErrorCode.NotFound, "no such handle");
  return { t: "handle", id: frame.id, userId: account.userId, accountKey: account.accountKey, deviceList: account.deviceList };
};

/**
 * `fetch_devices`: account key and signed device list of a user, read without consuming
 * anything, so a client checks a sender device it does not know (or learns a contact's devices)
 * without spending the contact's one-time prekeys or its own bundle budgets (spec/relay.md §5).
 * Public signed data like a handle's answer, so answered on any connection and drawn from the
 * same lookup bucket: enumerating user ids costs what enumerating handles costs.
 */
export const handleFetchDevices: Handler<"fetch_devices"> = async (ctx, conn, frame) => {
  takeLookup(ctx, conn);
  const account = await ctx.store.getAccount(frame.userId);
  if (!account) throw new RelayError(RelayErrorCode.NotFound, "no such user");
  return { t: "devices", id: frame.id, userId: account.userId, accountKey: account.accountKey, deviceList: account.deviceList };
};

/** Takes one directory read from the connection's account, or its network address when anonymous; RATE_LIMITED when spent. */
function takeLookup(ctx: RelayContext, conn: Connection): void {
  const key = conn.mailbox ? hex(conn.mailbox.userId) : `address:${conn.addressKey}`;
  if (!ctx.accountBuckets.use().lookups.take(key)) {
    ctx.metrics.rateLimited.inc({ scope: "lookups" });
    throw new RelayError(RelayErrorCode.RateLimited, "too many directory lookups");
  }
}

/** `set_delivery_token`: stores only the token's hash, for the whole user. */
export const handleSetDeliveryToken: Handler<"set_delivery_token"> = async (ctx, conn, frame) => {
  const mailbox = requireDevice(conn);
  await ctx.store.setDeliveryToken(mailbox.userId, frame.tokenHash, frame.open);
  return { t: "ok", id: frame.id };
};
