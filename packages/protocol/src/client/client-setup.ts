/**
 * How a ParleyClient comes to be, before its constructor runs: the options checked, the crypto
 * provider chosen, the store claimed for one writer, and this device created, loaded, restored
 * from a backup or completed from a link approval. `ParleyClient`'s statics delegate here.
 */

import type { CryptoProvider } from "../crypto/provider.js";
import { loadCryptoProvider } from "../crypto/select.js";
import type { Deps } from "../deps.js";
import { StaticAgreementCache } from "../envelope/agreement-cache.js";
import { ErrorCode, ParleyError } from "../errors.js";
import { type PreparedRestore, prepareRestore } from "./backup.js";
import { checkOptions, type ParleyClientOptions } from "./client-options.js";
import { decodeLinkApproval, encodeLinkRequest, linkCode } from "./linking.js";
import { LocalDevice, type PendingLink } from "./local-device.js";
import { decodeRecord, encodeRecord, NS } from "./records.js";
import { claimStore, type Store } from "./store/store.js";

/** What a client is made of: its options (with the claimed store), dependencies and device. */
export interface ClientSetup {
  readonly options: ParleyClientOptions;
  readonly deps: Deps;
  readonly local: LocalDevice;
  /**
   * Wires the moment another client, tab or process claims the store (`claimStore`): this
   * client's next write then rejects `ERR_STORE_TAKEN_OVER`, and `handler` is told.
   */
  onTakenOver(handler: (error: Error) => void): void;
}

/** True when `store` holds an account. */
export async function hasAccount(store: Store): Promise<boolean> {
  return (await store.get(NS.identity, "self")) !== undefined;
}

/** A new account and device in an empty store (`ERR_ACCOUNT_EXISTS` otherwise). */
export async function createAccount(options: ParleyClientOptions & { displayName: string }): Promise<ClientSetup> {
  checkOptions(options);
  const deps = await depsFor(options);
  if (await hasAccount(options.store))
    throw new ParleyError(ErrorCode.AccountExists, "this store already holds an account: use ParleyClient.open");
  const { claimed, onTakenOver } = await claim(options);
  const { device, writes } = LocalDevice.create(deps, options.displayName);
  await claimed.store.batch(writes);
  return { options: claimed, deps, local: device, onTakenOver };
}

/** The account and device kept in `store` (`ERR_NO_ACCOUNT` when it holds none). */
export async function openAccount(options: ParleyClientOptions): Promise<ClientSetup> {
  checkOptions(options);
  const deps = await depsFor(options);
  if (!(await hasAccount(options.store)))
    throw new ParleyError(ErrorCode.NoAccount, "this store holds no account: use ParleyClient.create");
  const { claimed, onTakenOver } = await claim(options);
  const device = await LocalDevice.load(deps.crypto, claimed.store);
  if (!device) throw new ParleyError(ErrorCode.NoAccount, "this store holds no account: use ParleyClient.create");
  return { options: claimed, deps, local: device, onTakenOver };
}

/** A backup checked and prepared for an empty store; the client commits it once made (`commitRestore`). */
export async function restoreAccount(
  options: ParleyClientOptions,
  backup: Uint8Array,
  passphrase: string,
): Promise<{ setup: ClientSetup; prepared: PreparedRestore }> {
  checkOptions(options);
  const deps = await depsFor(options);
  if (await hasAccount(options.store)) throw new ParleyError(ErrorCode.AccountExists, "restore a backup into an empty store");
  const prepared = await prepareRestore(deps, options, backup, passphrase);
  const { claimed, onTakenOver } = await claim(options);
  return { setup: { options: claimed, deps, local: prepared.device, onTakenOver }, prepared };
}

/** Linking step 1 on the new device: its keys kept in `store`, the request and its check code. */
export async function requestLink(options: { store: Store; crypto?: CryptoProvider }): Promise<{ request: string; code: string }> {
  const deps = await depsFor(options as ParleyClientOptions);
  if (await hasAccount(options.store)) throw new ParleyError(ErrorCode.AccountExists, "this store already holds an account");
  const { pending, request } = LocalDevice.pendingLink(deps);
  await options.store.batch([{ namespace: NS.identity, key: "pending-link", value: encodeRecord(pending) }]);
  return { request: encodeLinkRequest(request), code: linkCode(deps, request) };
}

/** Linking step 3 on the new device: the approval taken, the device stored as one of the account's. */
export async function completeLink(options: ParleyClientOptions, approval: string): Promise<ClientSetup> {
  checkOptions(options);
  const deps = await depsFor(options);
  const raw = await options.store.get(NS.identity, "pending-link");
  if (!raw) throw new TypeError("no link was requested with this store: call ParleyClient.requestLink first");
  const { device, writes } = LocalDevice.completeLink(deps, decodeRecord<PendingLink>(raw), decodeLinkApproval(approval));
  const { claimed, onTakenOver } = await claim(options);
  await claimed.store.batch([...writes, device.update({}), { namespace: NS.identity, key: "pending-link", value: undefined }]);
  return { options: claimed, deps, local: device, onTakenOver };
}

/** Claims `options.store` for one client (see `claimStore`); the takeover goes to the handler set later. */
async function claim<T extends { store: Store }>(
  options: T,
): Promise<{ claimed: T; onTakenOver: (handler: (error: Error) => void) => void }> {
  let onTakenOver: ((error: Error) => void) | undefined;
  const store = await claimStore(options.store, (error) => onTakenOver?.(error));
  return {
    claimed: { ...options, store },
    onTakenOver: (handler) => {
      onTakenOver = handler;
    },
  };
}

async function depsFor(options: ParleyClientOptions): Promise<Deps> {
  const crypto = options.crypto ?? (await loadCryptoProvider());
  // One static–static agreement per peer identity key, remembered for sealed envelopes.
  return { crypto, agreements: new StaticAgreementCache(), ...(options.now ? { now: options.now } : {}) };
}
