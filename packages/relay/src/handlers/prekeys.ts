/**
 * Prekey handlers: `upload_prekeys` (every record verified against the device's certified
 * signing key) and `fetch_bundles` (one bundle per listed device, each atomically consuming a
 * one-time X25519 and a one-time ML-KEM prekey, falling back to the last-resort ML-KEM one).
 */

import { type DeviceBundle, decodeOneTimePreKey, RelayErrorCode, verifyKemPreKey, verifySignedPreKey } from "@parley/protocol/wire";
import { RelayError } from "../relay-error.js";
import type { StoredPreKey } from "../store/store.js";
import { type Handler, requireDevice, verified } from "./common.js";
import { notifyIfPreKeysLow } from "./session.js";

/** `upload_prekeys`. */
export const handleUploadPreKeys: Handler<"upload_prekeys"> = async (ctx, conn, frame) => {
  const mailbox = requireDevice(conn);
  const device = await ctx.store.getDevice(mailbox);
  if (!device) throw new RelayError(RelayErrorCode.NotFound, "device not found");
  const key = device.signingKey;
  const signedPreKey = frame.signedPreKey;
  if (signedPreKey) verified("signed prekey", () => verifySignedPreKey(ctx.deps, signedPreKey, key));
  const oneTime: StoredPreKey[] = (frame.oneTimePreKeys ?? []).map((record) => ({
    id: verified("one-time prekey", () => decodeOneTimePreKey(record)).id,
    record,
  }));
  const kemOneTime: StoredPreKey[] = [];
  const lastResort: StoredPreKey[] = [];
  for (const record of frame.kemPreKeys ?? []) {
    const kem = verified("ML-KEM prekey", () => verifyKemPreKey(ctx.deps, record, key));
    (kem.kind === "last-resort" ? lastResort : kemOneTime).push({ id: kem.id, record });
  }
  if (lastResort.length > 1) throw new RelayError(RelayErrorCode.BadRequest, "at most one last-resort ML-KEM prekey per upload");
  const stored = await ctx.store.putPreKeys(
    mailbox,
    { signedPreKey, oneTime, kemOneTime, kemLastResort: lastResort[0] },
    ctx.limits.maxStoredPreKeys,
  );
  if (!stored) throw new RelayError(RelayErrorCode.TooManyPreKeys, `at most ${ctx.limits.maxStoredPreKeys} one-time prekeys of each kind`);
  return { t: "ok", id: frame.id };
};

/** `fetch_bundles`. Devices without a signed prekey or any ML-KEM prekey are left out. */
export const handleFetchBundles: Handler<"fetch_bundles"> = async (ctx, conn, frame) => {
  requireDevice(conn);
  if (!conn.bundleFetches.take()) {
    ctx.metrics.rateLimited.inc({ scope: "bundles" });
    throw new RelayError(RelayErrorCode.RateLimited, "too many bundle fetches");
  }
  const account = await ctx.store.getAccount(frame.userId);
  if (!account) throw new RelayError(RelayErrorCode.NotFound, "no such user");
  let deviceIds = account.deviceIds;
  if (frame.deviceId !== undefined) {
    if (!deviceIds.includes(frame.deviceId)) throw new RelayError(RelayErrorCode.NotFound, "no such device");
    deviceIds = [frame.deviceId];
  }
  const bundles: DeviceBundle[] = [];
  for (const deviceId of deviceIds) {
    const mailbox = { userId: frame.userId, deviceId };
    const taken = await ctx.store.takeBundle(mailbox);
    if (!taken) continue;
    const { remaining, oneTimePreKey, ...rest } = taken;
    bundles.push(oneTimePreKey ? { ...rest, oneTimePreKey } : rest);
    await notifyIfPreKeysLow(ctx, mailbox, remaining);
  }
  ctx.metrics.bundlesServed.inc(bundles.length);
  return { t: "bundles", id: frame.id, deviceList: account.deviceList, bundles };
};
