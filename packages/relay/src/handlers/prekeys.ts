/**
 * Prekey handlers: `upload_prekeys` (every record verified against the device's certified
 * signing key) and `fetch_bundles` (one bundle per listed device, each atomically consuming a
 * one-time X25519 and a one-time ML-KEM prekey, falling back to the last-resort ML-KEM one),
 * rate-limited per connection, per requesting account, per requester and target, and per
 * target's one-time-prekey budget.
 */

import { type DeviceBundle, decodeOneTimePreKey, RelayErrorCode, verifyKemPreKey, verifySignedPreKey } from "@parley/protocol/wire";
import { RelayError } from "../relay-error.js";
import type { StoredPreKey } from "../store/store.js";
import { type Handler, hex, requireDevice, verified } from "./common.js";
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

/**
 * `fetch_bundles`. Devices without a signed prekey or any ML-KEM prekey are left out. Limits
 * (spec/relay.md §6): per connection, per requesting account and per (requester, target) →
 * RATE_LIMITED; past the target's one-time-prekey budget the bundles carry no one-time keys (the
 * last-resort ML-KEM key instead), so a drained budget slows no honest requester down.
 */
export const handleFetchBundles: Handler<"fetch_bundles"> = async (ctx, conn, frame) => {
  const requester = requireDevice(conn);
  const buckets = ctx.accountBuckets.use();
  const limited = (scope: string) => {
    ctx.metrics.rateLimited.inc({ scope });
    return new RelayError(RelayErrorCode.RateLimited, "too many bundle fetches");
  };
  if (!conn.bundleFetches.take()) throw limited("bundles");
  const requesterKey = hex(requester.userId);
  if (!buckets.bundleRequester.take(requesterKey)) throw limited("bundles_requester");
  // The target must exist before a pair bucket is made for it (no buckets for made-up ids).
  const account = await ctx.store.getAccount(frame.userId);
  if (!account) throw new RelayError(RelayErrorCode.NotFound, "no such user");
  const targetKey = hex(frame.userId);
  if (!buckets.bundlePair.take(`${requesterKey}>${targetKey}`)) throw limited("bundles_pair");
  let deviceIds = account.deviceIds;
  if (frame.deviceId !== undefined) {
    if (!deviceIds.includes(frame.deviceId)) throw new RelayError(RelayErrorCode.NotFound, "no such device");
    deviceIds = [frame.deviceId];
  }
  const consumeOneTime = buckets.targetOneTime.take(targetKey);
  if (!consumeOneTime) ctx.metrics.rateLimited.inc({ scope: "bundles_target_one_time" });
  const bundles: DeviceBundle[] = [];
  for (const deviceId of deviceIds) {
    const mailbox = { userId: frame.userId, deviceId };
    const taken = await ctx.store.takeBundle(mailbox, consumeOneTime);
    if (!taken) continue;
    const { remaining, oneTimePreKey, ...rest } = taken;
    bundles.push(oneTimePreKey ? { ...rest, oneTimePreKey } : rest);
    await notifyIfPreKeysLow(ctx, mailbox, remaining);
  }
  ctx.metrics.bundlesServed.inc(bundles.length);
  return { t: "bundles", id: frame.id, deviceList: account.deviceList, bundles };
};
