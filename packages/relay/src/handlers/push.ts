/**
 * Web Push and ICE handlers (spec/relay.md §14): `set_push` / `clear_push` (the device's
 * subscription), `fetch_push_key` (the relay's VAPID public key) and `fetch_ice_servers`
 * (STUN/TURN with short-lived credentials, rate-limited per account).
 */

import { RelayErrorCode } from "@parley/protocol/wire";
import { iceServersFor } from "../push/ice-servers.js";
import { isP256Point, pushEndpointProblem } from "../push/push-endpoint.js";
import { RelayError } from "../relay-error.js";
import { type Handler, hex, requireDevice } from "./common.js";

/** `set_push`: stores the device's subscription (VAL-PUSH-2 checked here, VAL-PUSH-1 by the decoder). */
export const handleSetPush: Handler<"set_push"> = async (ctx, conn, frame) => {
  const mailbox = requireDevice(conn);
  const refused = pushEndpointProblem(frame.endpoint, ctx.push.allowLoopback);
  if (refused) throw new RelayError(RelayErrorCode.BadRequest, refused);
  if (!isP256Point(frame.p256dh)) throw new RelayError(RelayErrorCode.BadRequest, "p256dh is not a point on P-256");
  const stored = await ctx.store.setPushSubscription(mailbox, { endpoint: frame.endpoint, p256dh: frame.p256dh, auth: frame.auth });
  if (!stored) throw new RelayError(RelayErrorCode.NotFound, "this device is no longer registered");
  return { t: "ok", id: frame.id };
};

/** `clear_push`: deletes the device's subscription, if any. */
export const handleClearPush: Handler<"clear_push"> = async (ctx, conn, frame) => {
  await ctx.store.deletePushSubscription(requireDevice(conn));
  return { t: "ok", id: frame.id };
};

/** `fetch_push_key`: the VAPID public key (public; no login needed). */
export const handleFetchPushKey: Handler<"fetch_push_key"> = async (ctx, _conn, frame) => ({
  t: "push_key",
  id: frame.id,
  vapidPublicKey: ctx.push.vapidPublicKey,
});

/** `fetch_ice_servers`: the configured STUN/TURN servers, TURN with credentials for this device. */
export const handleFetchIceServers: Handler<"fetch_ice_servers"> = async (ctx, conn, frame) => {
  const mailbox = requireDevice(conn);
  if (!ctx.push.iceBuckets.take(hex(mailbox.userId))) {
    ctx.metrics.rateLimited.inc({ scope: "ice_servers" });
    throw new RelayError(RelayErrorCode.RateLimited, "too many ice server requests");
  }
  return { t: "ice_servers", id: frame.id, ...iceServersFor(ctx.push.ice, mailbox, ctx.now()) };
};
