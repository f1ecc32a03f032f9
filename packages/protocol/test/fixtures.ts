// Shared fixtures for protocol tests: every provider, and a small in-memory "device" with its
// prekeys, so each test reads as the protocol steps it checks.

import type { CryptoProvider, ProviderName } from "../src/crypto/provider.js";
import { createProvider } from "../src/crypto/select.js";
import type { Deps } from "../src/deps.js";
import type { PreKeyBundle } from "../src/keys/bundle.js";
import { type DeviceKeys, generateDevice } from "../src/keys/device-certificate.js";
import { type AccountKeys, generateAccount } from "../src/keys/identity.js";
import {
  generateKemPreKey,
  generateOneTimePreKeys,
  generateSignedPreKey,
  type KemPreKeySecret,
  type PreKeySecret,
} from "../src/keys/prekeys.js";
import type { PreKeyLookup } from "../src/session/record.js";

export const PROVIDER_NAMES: readonly ProviderName[] = ["node", "sodium", "noble"];

/** One instance of every built-in provider, created once per test file. */
export const providers: readonly CryptoProvider[] = await Promise.all(PROVIDER_NAMES.map((n) => createProvider(n)));

/** `[name, deps]` pairs for `describe.each`. */
export const allDeps: readonly [string, Deps][] = providers.map((crypto) => [crypto.name, { crypto }]);

/** A deterministic byte source (xorshift-based; tests only, never for keys in production). */
export function seededRandom(seed: number): (n: number) => Uint8Array {
  let state = seed >>> 0 || 1;
  return (n) => {
    const out = new Uint8Array(n);
    for (let i = 0; i < n; i++) {
      state ^= state << 13;
      state >>>= 0;
      state ^= state >>> 17;
      state ^= state << 5;
      state >>>= 0;
      out[i] = state & 0xff;
    }
    return out;
  };
}

/** A device with its prekeys held in maps, as a client store would. */
export interface TestDevice {
  account: AccountKeys;
  device: DeviceKeys;
  signed: Map<number, PreKeySecret>;
  oneTime: Map<number, PreKeySecret>;
  kem: Map<number, KemPreKeySecret>;
  lookup: PreKeyLookup;
}

export function makeDevice(deps: Deps, options: { deviceId?: number; oneTimeCount?: number; account?: AccountKeys } = {}): TestDevice {
  const account = options.account ?? generateAccount(deps);
  const device = generateDevice(deps, account, options.deviceId ?? 1);
  const signed = new Map([[1, generateSignedPreKey(deps, device, 1)]]);
  const oneTime = new Map(generateOneTimePreKeys(deps, 1, options.oneTimeCount ?? 2).map((k) => [k.id, k]));
  const kem = new Map([
    [1, generateKemPreKey(deps, device, 1, "one-time")],
    [2, generateKemPreKey(deps, device, 2, "last-resort")],
  ]);
  return {
    account,
    device,
    signed,
    oneTime,
    kem,
    lookup: { signedPreKey: (id) => signed.get(id), oneTimePreKey: (id) => oneTime.get(id), kemPreKey: (id) => kem.get(id) },
  };
}

/** A bundle as a relay would hand it out: takes (but does not delete) the lowest one-time keys. */
export function bundleOf(d: TestDevice, options: { oneTime?: boolean; kemId?: number } = {}): PreKeyBundle {
  const oneTimeKey = options.oneTime === false ? undefined : [...d.oneTime.values()][0];
  const kemKey = d.kem.get(options.kemId ?? [...d.kem.values()].find((k) => k.kind === "one-time")?.id ?? 2);
  if (!kemKey) throw new Error("no ML-KEM prekey");
  return {
    deviceCertificate: d.device.certificate,
    signedPreKey: (d.signed.get(1) as PreKeySecret).record,
    oneTimePreKey: oneTimeKey?.record,
    kemPreKey: kemKey.record,
  };
}

/** Deletes the prekeys a decryption reported as consumed, as a client must. */
export function consume(d: TestDevice, consumed: { oneTimePreKeyId?: number; kemPreKeyId?: number }): void {
  if (consumed.oneTimePreKeyId !== undefined) d.oneTime.delete(consumed.oneTimePreKeyId);
  if (consumed.kemPreKeyId !== undefined) d.kem.delete(consumed.kemPreKeyId);
}

export const utf8 = (s: string): Uint8Array => new TextEncoder().encode(s);
export const text = (b: Uint8Array): string => new TextDecoder().decode(b);
