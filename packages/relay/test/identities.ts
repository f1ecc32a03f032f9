// Real identities for relay tests: accounts, devices, signed device lists and prekeys made with
// the protocol's own functions (no mocks), so every signature the relay checks is genuine.
import {
  type AccountKeys,
  type Deps,
  type DeviceKeys,
  generateAccount,
  generateDevice,
  generateKemPreKey,
  generateOneTimePreKeys,
  generateSignedPreKey,
  loadCryptoProvider,
  signDeviceList,
} from "@parley/protocol";

export const deps: Deps = { crypto: await loadCryptoProvider() };

/** One device of an account, with the device list to register it with. */
export interface TestIdentity {
  readonly account: AccountKeys;
  readonly device: DeviceKeys;
  readonly deviceList: Uint8Array;
  readonly listSequence: number;
}

/** A new account with device `deviceId` (default 1) and a list naming just it. */
export function newIdentity(deviceId = 1): TestIdentity {
  const account = generateAccount(deps);
  const device = generateDevice(deps, account, deviceId);
  return { account, device, deviceList: signDeviceList(deps, account, 1, [deviceId]), listSequence: 1 };
}

/** Another device of the same account, with a newer list naming `deviceIds`. */
export function addDevice(base: TestIdentity, deviceId: number, deviceIds: number[], sequence = base.listSequence + 1): TestIdentity {
  const device = generateDevice(deps, base.account, deviceId);
  return { account: base.account, device, deviceList: signDeviceList(deps, base.account, sequence, deviceIds), listSequence: sequence };
}

/** Encoded prekey records for an upload: a signed prekey, `count` one-time of each kind, and a last-resort ML-KEM prekey. */
export function preKeyRecords(identity: TestIdentity, count: number, firstId = 1) {
  return {
    signedPreKey: generateSignedPreKey(deps, identity.device, firstId).record,
    oneTimePreKeys: generateOneTimePreKeys(deps, firstId, count).map((k) => k.record),
    kemPreKeys: [
      ...Array.from({ length: count }, (_, i) => generateKemPreKey(deps, identity.device, firstId + i, "one-time").record),
      generateKemPreKey(deps, identity.device, firstId + count, "last-resort").record,
    ],
  };
}

/** 16 random bytes: a message id. */
export const messageId = (): Uint8Array => deps.crypto.randomBytes(16);
export const utf8 = (s: string): Uint8Array => new TextEncoder().encode(s);
