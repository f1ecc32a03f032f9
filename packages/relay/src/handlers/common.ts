/**
 * Helpers shared by the handlers: the handler type, the authentication guard, mapping protocol
 * verification errors to relay codes, hashing and constant-time comparison of tokens.
 */

import { timingSafeEqual } from "node:crypto";
import { type ClientFrame, ErrorCode, type FrameOf, ParleyError, RelayErrorCode, type ServerFrame } from "@parley/protocol/wire";
import type { Connection } from "../connection.js";
import type { RelayContext } from "../context.js";
import { RelayError } from "../relay-error.js";
import type { Mailbox } from "../store/store.js";

/** A response sent when the promise settles, without holding up the connection's next frame (sends wait for their commit). */
export interface Deferred {
  readonly deferred: Promise<ServerFrame>;
}

/** Handles one decoded client frame; returns the response, if any. */
export type Handler<T extends ClientFrame["t"]> = (
  ctx: RelayContext,
  conn: Connection,
  frame: FrameOf<T>,
) => Promise<ServerFrame | Deferred | undefined>;

/** The connection's mailbox, or UNAUTHORIZED. */
export function requireDevice(conn: Connection): Mailbox {
  if (!conn.mailbox) throw new RelayError(RelayErrorCode.Unauthorized, "this request needs an authenticated device");
  return conn.mailbox;
}

/** Runs a protocol verification, turning its ParleyError into BAD_SIGNATURE / BAD_REQUEST. */
export function verified<T>(what: string, check: () => T): T {
  try {
    return check();
  } catch (e) {
    if (ParleyError.is(e, ErrorCode.InvalidSignature))
      throw new RelayError(RelayErrorCode.BadSignature, `${what}: signature does not verify`);
    if (ParleyError.is(e)) throw new RelayError(RelayErrorCode.BadRequest, `${what}: ${e.code}`);
    throw e;
  }
}

/** SHA-256 of a delivery token. */
export function hashToken(ctx: RelayContext, token: Uint8Array): Uint8Array {
  return ctx.deps.crypto.sha256(token);
}

/** Constant-time equality of two hashes. */
export function sameHash(a: Uint8Array, b: Uint8Array): boolean {
  return a.length === b.length && timingSafeEqual(a, b);
}

/** Hex of bytes (for map keys and blob ids; never logged for identities). */
export function hex(b: Uint8Array): string {
  return Buffer.from(b.buffer, b.byteOffset, b.byteLength).toString("hex");
}
