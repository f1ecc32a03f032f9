/**
 * Identity handlers: `auth` (log in as a registered device), `register` (new account or new
 * device, with certificate and device list checked) and `publish_devices` (a newer device
 * list; removed devices lose their mailbox and prekeys and are disconnected).
 */

import { CloseCode, RelayErrorCode, verifyAuthSignature, verifyDeviceCertificate, verifyDeviceList } from "@parley/protocol/wire";
import type { RelayContext } from "../context.js";
import { mailboxKey } from "../delivery/live-devices.js";
import { RelayError } from "../relay-error.js";
import { type Handler, requireDevice, verified } from "./common.js";
import { startDeviceSession } from "./session.js";

const authFailed = () => new RelayError(RelayErrorCode.Unauthorized, "authentication failed");

/** `auth`: the device signs the connection's challenge with its registered signing key. */
export const handleAuth: Handler<"auth"> = async (ctx, conn, frame) => {
  if (conn.mailbox) throw new RelayError(RelayErrorCode.AlreadyAuthenticated);
  const mailbox = { userId: frame.userId, deviceId: frame.deviceId };
  const device = await ctx.store.getDevice(mailbox);
  if (!device) throw authFailed();
  if (!verifyAuthSignature(ctx.deps, device.signingKey, frame.signature, conn.nonce, ctx.relayId, frame.userId, frame.deviceId)) {
    throw authFailed();
  }
  await startDeviceSession(ctx, conn, mailbox, { t: "ok", id: frame.id });
  return undefined;
};

/** `register`: certificate and device list verified, device key proven by the challenge signature. */
export const handleRegister: Handler<"register"> = async (ctx, conn, frame) => {
  if (conn.mailbox) throw new RelayError(RelayErrorCode.AlreadyAuthenticated);
  const cert = verified("device certificate", () => verifyDeviceCertificate(ctx.deps, frame.certificate));
  const list = verified("device list", () => verifyDeviceList(ctx.deps, frame.deviceList, cert.accountKey));
  if (!list.deviceIds.includes(cert.deviceId))
    throw new RelayError(RelayErrorCode.StaleDeviceList, "the device list does not name this device");
  const { userId } = cert.address;
  if (!verifyAuthSignature(ctx.deps, cert.signingKey, frame.signature, conn.nonce, ctx.relayId, userId, cert.deviceId)) throw authFailed();
  const result = await ctx.store.saveDeviceList({
    userId,
    accountKey: cert.accountKey,
    deviceList: frame.deviceList,
    sequence: list.sequence,
    deviceIds: list.deviceIds,
    device: { userId, deviceId: cert.deviceId, certificate: frame.certificate, signingKey: cert.signingKey },
  });
  if (!result.ok) throw new RelayError(RelayErrorCode.StaleDeviceList, "the device list is older than the stored one");
  disconnectRemoved(ctx, userId, result.removed);
  await startDeviceSession(ctx, conn, { userId, deviceId: cert.deviceId }, { t: "ok", id: frame.id });
  return undefined;
};

/** `publish_devices`: a newer list signed by the account key. */
export const handlePublishDevices: Handler<"publish_devices"> = async (ctx, conn, frame) => {
  const mailbox = requireDevice(conn);
  const account = await ctx.store.getAccount(mailbox.userId);
  if (!account) throw new RelayError(RelayErrorCode.NotFound, "account not found");
  const list = verified("device list", () => verifyDeviceList(ctx.deps, frame.deviceList, account.accountKey));
  const result = await ctx.store.saveDeviceList({
    userId: mailbox.userId,
    accountKey: account.accountKey,
    deviceList: frame.deviceList,
    sequence: list.sequence,
    deviceIds: list.deviceIds,
  });
  if (!result.ok) throw new RelayError(RelayErrorCode.StaleDeviceList, "the device list sequence must increase");
  conn.send({ t: "ok", id: frame.id });
  disconnectRemoved(ctx, mailbox.userId, result.removed);
  return undefined;
};

/** Closes the removed devices' connections, here and (in a cluster) on every other node. */
function disconnectRemoved(ctx: RelayContext, userId: Uint8Array, removed: readonly number[]): void {
  const keys = removed.map((deviceId) => mailboxKey({ userId, deviceId }));
  for (const key of keys) ctx.live.get(key)?.close(CloseCode.DeviceRemoved, "device removed");
  ctx.cluster?.devicesRemoved(keys);
}
