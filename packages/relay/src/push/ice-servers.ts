/**
 * STUN/TURN servers handed to authenticated devices (spec/relay.md §14.4). TURN credentials use
 * the time-limited scheme coturn accepts with `use-auth-secret` (the "TURN REST API" draft):
 * username `${expiry}:${handle}`, credential base64(HMAC-SHA1(secret, username)). The handle is
 * an HMAC of the device's mailbox, so the TURN server can tell devices apart without learning
 * account ids.
 */

import { createHmac } from "node:crypto";
import type { IceServer } from "@parley/protocol/wire";
import type { Mailbox } from "../store/store.js";

/** Default lifetime of TURN credentials: long enough for a long call to re-allocate, short enough that a leaked one soon dies. */
export const DEFAULT_TURN_TTL_MS = 6 * 3600 * 1000;

/**
 * Shortest `--turn-ttl` the relay accepts: expiries are whole seconds, and a credential must
 * outlive the round trip to the device and ICE gathering (tests use 10 s–30 s lifetimes).
 */
export const MIN_TURN_TTL_MS = 10_000;

/** The relay's ICE configuration (flags `--stun-url`, `--turn-url`, `--turn-secret`, `--turn-ttl`). */
export interface IceConfig {
  readonly stunUrls: readonly string[];
  readonly turnUrls: readonly string[];
  /** The secret shared with the TURN server (coturn `static-auth-secret`); without it no TURN server is listed. */
  readonly turnSecret: string | undefined;
  /** How long issued TURN credentials work (ms). */
  readonly turnTtlMs: number;
}

/** A TURN username and credential. */
export interface TurnCredential {
  readonly username: string;
  readonly credential: string;
}

/**
 * The coturn `use-auth-secret` credential for `handle`, valid until `expirySeconds` (Unix time).
 *
 * @example
 * turnCredential("secret", "device", 1_700_000_000) // { username: "1700000000:device", credential: "…=" }
 */
export function turnCredential(secret: string, handle: string, expirySeconds: number): TurnCredential {
  const username = `${expirySeconds}:${handle}`;
  return { username, credential: createHmac("sha1", secret).update(username).digest("base64") };
}

/** The opaque per-device handle in TURN usernames: stable per device, unlinkable to its account without the secret. */
export function turnHandle(secret: string, mailbox: Mailbox): string {
  return createHmac("sha256", secret)
    .update("parley-turn-handle\0")
    .update(mailbox.userId)
    .update(String(mailbox.deviceId))
    .digest("base64url")
    .slice(0, 22);
}

/** The `ice_servers` answer for `mailbox` at `nowMs`: STUN servers, then TURN with fresh credentials (when configured). */
export function iceServersFor(config: IceConfig, mailbox: Mailbox, nowMs: number): { servers: IceServer[]; expiresAt?: number } {
  const servers: IceServer[] = [];
  if (config.stunUrls.length > 0) servers.push({ urls: [...config.stunUrls] });
  if (config.turnUrls.length === 0 || config.turnSecret === undefined) return { servers };
  const expirySeconds = Math.floor((nowMs + config.turnTtlMs) / 1000);
  servers.push({ urls: [...config.turnUrls], ...turnCredential(config.turnSecret, turnHandle(config.turnSecret, mailbox), expirySeconds) });
  return { servers, expiresAt: expirySeconds * 1000 };
}
