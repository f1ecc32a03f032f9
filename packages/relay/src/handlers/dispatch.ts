/**
 * Entry point for every frame a connection receives: admission (size, frame and byte rates), decode, route to
 * its handler, and turn failures into `error` frames. Malformed frames are counted and the
 * connection is closed (4000) past the limit; nothing a client sends can throw out of here.
 */

import {
  type ClientFrame,
  CloseCode,
  decodeFrame,
  ErrorCode,
  type Frame,
  ParleyError,
  peekFrameType,
  peekRequestId,
  RelayErrorCode,
  type ServerFrame,
} from "@parley/protocol/wire";
import type { Connection } from "../connection.js";
import type { RelayContext } from "../context.js";
import { RelayError } from "../relay-error.js";
import { handleAuth, handlePublishDevices, handleRegister } from "./auth.js";
import type { Deferred, Handler } from "./common.js";
import { handleClaimHandle, handleFetchDevices, handleLookupHandle, handleSetDeliveryToken } from "./directory.js";
import { handleAck, handleSealedSend, handleSend } from "./mailbox.js";
import { handleBlobTicket, handlePing } from "./misc.js";
import { handleMultiSend } from "./multi-send.js";
import { handleFetchBundles, handleUploadPreKeys } from "./prekeys.js";
import { handleClearPush, handleFetchIceServers, handleFetchPushKey, handleSetPush } from "./push.js";

const HANDLERS: { readonly [T in ClientFrame["t"]]: Handler<T> } = {
  auth: handleAuth,
  register: handleRegister,
  publish_devices: handlePublishDevices,
  claim_handle: handleClaimHandle,
  lookup_handle: handleLookupHandle,
  upload_prekeys: handleUploadPreKeys,
  fetch_bundles: handleFetchBundles,
  fetch_devices: handleFetchDevices,
  set_delivery_token: handleSetDeliveryToken,
  send: handleSend,
  sealed_send: handleSealedSend,
  multi_send: handleMultiSend,
  ack: handleAck,
  blob_ticket: handleBlobTicket,
  set_push: handleSetPush,
  clear_push: handleClearPush,
  fetch_push_key: handleFetchPushKey,
  fetch_ice_servers: handleFetchIceServers,
  ping: handlePing,
};

function isClientFrame(frame: Frame): frame is ClientFrame {
  return Object.hasOwn(HANDLERS, frame.t);
}

/**
 * Admission, run synchronously as the bytes arrive, before anything is decoded: the frame size
 * (FRAME_TOO_LARGE, counted as a malformed frame), the connection's rates in frames and in
 * bytes, and its address's byte rate (shared by all its connections, so reconnecting buys
 * nothing). Charging bytes bounds decoding work too, since the wire scan bounds work per byte.
 * Returns false (after answering or closing) when the frame must be dropped.
 */
export function admitFrame(ctx: RelayContext, conn: Connection, bytes: Uint8Array): boolean {
  if (bytes.length > frameLimit(ctx, bytes)) {
    // Its bytes were received all the same: charge them, so oversized frames are throttled too.
    conn.bytes.spend(bytes.length);
    ctx.addressBytes.spend(conn.addressKey, bytes.length);
    conn.throttleReading(ctx.limits.maxFrameBytes, ctx.addressBytes.msUntil(conn.addressKey, ctx.limits.maxFrameBytes));
    conn.invalidFrames++;
    ctx.metrics.frames.inc({ type: "too_large" });
    sendError(ctx, conn, peekRequestId(bytes), RelayErrorCode.FrameTooLarge, `frames are limited to ${frameLimit(ctx, bytes)} bytes`);
    if (conn.invalidFrames > ctx.limits.maxInvalidFrames) conn.close(CloseCode.ProtocolError, "too many invalid frames");
    return false;
  }
  const admitted = conn.frames.take() && conn.bytes.take(bytes.length) && ctx.addressBytes.take(conn.addressKey, bytes.length);
  conn.throttleReading(ctx.limits.maxFrameBytes, ctx.addressBytes.msUntil(conn.addressKey, ctx.limits.maxFrameBytes));
  if (admitted) return true;
  ctx.metrics.rateLimited.inc({ scope: "connection" });
  conn.rateStrikes++;
  if (conn.rateStrikes > ctx.limits.maxRateLimitStrikes) {
    conn.close(CloseCode.RateLimited, "rate limit exceeded repeatedly");
  } else {
    sendError(ctx, conn, peekRequestId(bytes), RelayErrorCode.RateLimited, "slow down");
  }
  return false;
}

/**
 * The size limit of this frame: `maxFrameBytes`, or `maxMultiSendFrameBytes` for a `multi_send`
 * (its type is peeked only when the frame is over the general limit, which costs a scan up to `t`).
 */
function frameLimit(ctx: RelayContext, bytes: Uint8Array): number {
  const { maxFrameBytes, maxMultiSendFrameBytes } = ctx.limits;
  if (bytes.length <= maxFrameBytes || maxMultiSendFrameBytes <= maxFrameBytes) return maxFrameBytes;
  return bytes.length <= maxMultiSendFrameBytes && peekFrameType(bytes) === "multi_send" ? maxMultiSendFrameBytes : maxFrameBytes;
}

/** Decodes and handles one frame. Never rejects. */
export async function dispatchFrame(ctx: RelayContext, conn: Connection, bytes: Uint8Array): Promise<void> {
  let frame: Frame;
  try {
    frame = decodeFrame(bytes);
  } catch (e) {
    conn.invalidFrames++;
    const code = ParleyError.is(e, ErrorCode.UnsupportedVersion) ? RelayErrorCode.UnsupportedVersion : RelayErrorCode.InvalidFrame;
    ctx.metrics.frames.inc({ type: "invalid" });
    sendError(ctx, conn, peekRequestId(bytes), code, ParleyError.is(e) ? e.message : "invalid frame");
    if (conn.invalidFrames > ctx.limits.maxInvalidFrames) conn.close(CloseCode.ProtocolError, "too many invalid frames");
    return;
  }
  ctx.metrics.frames.inc({ type: frame.t });
  const id = "id" in frame ? frame.id : undefined;
  if (!isClientFrame(frame)) {
    sendError(ctx, conn, id, RelayErrorCode.BadRequest, `"${frame.t}" is a relay-to-client frame`);
    return;
  }
  if (!ctx.accepting) {
    sendError(ctx, conn, frame.id, RelayErrorCode.Unavailable, "the relay is shutting down");
    return;
  }
  try {
    const response = await (HANDLERS[frame.t] as Handler<ClientFrame["t"]>)(ctx, conn, frame);
    if (response === undefined) return;
    if ("deferred" in response) {
      (response as Deferred).deferred.then(
        (r) => conn.send(r),
        (e: unknown) => fail(ctx, conn, frame, e),
      );
    } else {
      conn.send(response as ServerFrame);
    }
  } catch (e) {
    fail(ctx, conn, frame, e);
  }
}

function fail(ctx: RelayContext, conn: Connection, frame: ClientFrame, e: unknown): void {
  if (e instanceof RelayError) {
    sendError(ctx, conn, frame.id, e.code, e.message);
    return;
  }
  // Only the error's name and message: never the frame, which may carry envelopes or keys.
  const err = e instanceof Error ? { name: e.name, message: e.message } : { message: String(e) };
  ctx.log.error({ conn: conn.serial, type: frame.t, err }, "request failed");
  sendError(ctx, conn, frame.id, RelayErrorCode.Internal, "internal error");
}

function sendError(ctx: RelayContext, conn: Connection, id: number | undefined, code: RelayErrorCode, message: string): void {
  ctx.metrics.errors.inc({ code });
  ctx.log.debug({ conn: conn.serial, code }, "error answered");
  conn.send(id === undefined ? { t: "error", code, message } : { t: "error", id, code, message });
}
