/**
 * Opening this browser's Parley account: the IndexedDB store (encrypted at rest under
 * non-extractable WebCrypto keys, optionally wrapped by a passphrase), then a ParleyClient over
 * the relay that served this page. One writer per store: a second tab gets ERR_STORE_LOCKED and
 * the app offers to take over (`steal`), which stops the first tab (ERR_STORE_TAKEN_OVER there).
 */
import { IndexedDbStore, ParleyClient, type Store } from "@parley/protocol/client";
import { type CryptoProvider, loadCryptoProvider } from "@parley/protocol/crypto";
import { markStart } from "../app/marks.js";
import { profileName } from "../app/profile.js";
import type { ParleyStore } from "./store.js";

/** The relay is the origin that served the page: same host, WebSocket scheme. */
export function relayUrlFromLocation(location: Location = window.location): string {
  return `${location.protocol === "https:" ? "wss" : "ws"}://${location.host}`;
}

/** The IndexedDB database of a profile. */
export function databaseName(profile: string): string {
  return `parley-web-${profile}`;
}

export interface OpenOptions {
  readonly profile: string;
  readonly passphrase?: string;
  /** Take the store over from another tab. */
  readonly steal?: boolean;
}

/** True when the store is protected by a passphrase and none (or a wrong one) was given. */
export function needsPassphrase(error: unknown): boolean {
  return (error as { code?: unknown } | null)?.code === "ERR_STORE_PASSPHRASE";
}

/** PBKDF2 iterations for a passphrase-protected store (the IndexedDbStore default). */
const KDF_ITERATIONS = 600_000;

/**
 * Starts the profile over with an empty store locked by `passphrase` (the passphrase is fixed when
 * a store is created): closes and deletes the empty one that `empty` holds, then creates it again.
 * Only for a store that holds no account.
 */
export async function recreateWithPassphrase(empty: IndexedDbStore, profile: string, passphrase: string): Promise<IndexedDbStore> {
  if (!(await empty.isEmpty())) throw new Error("the store already holds data");
  await empty.close();
  await new Promise<void>((resolve, reject) => {
    const request = indexedDB.deleteDatabase(databaseName(profile));
    request.onsuccess = () => resolve();
    request.onerror = () => reject(request.error);
    request.onblocked = () => resolve();
  });
  return IndexedDbStore.open(databaseName(profile), { passphrase, kdfIterations: KDF_ITERATIONS });
}

let cryptoLoading: Promise<CryptoProvider> | undefined;

/**
 * The crypto provider every client of this page uses (`loadCryptoProvider`: libsodium's wasm, the
 * largest download and compile of a start). The first call starts loading it, so calling this
 * before the store is open runs both at once; a failed load is tried again on the next call.
 */
export function cryptoProvider(): Promise<CryptoProvider> {
  if (!cryptoLoading) {
    const loading = loadCryptoProvider();
    cryptoLoading = loading;
    loading.then(
      () => markStart("crypto-ready"),
      () => {
        if (cryptoLoading === loading) cryptoLoading = undefined;
      },
    );
  }
  return cryptoLoading;
}

let earlyOpen: { readonly profile: string; readonly store: Promise<IndexedDbStore> } | undefined;

/**
 * Starts opening `profile`'s store (no passphrase, no take-over) before the app renders; the next
 * `openStore` of that profile with the same options takes this open over, errors included
 * (ERR_STORE_LOCKED, ERR_STORE_PASSPHRASE), so the start behaves as if it had opened it itself.
 */
export function openStoreEarly(profile: string): void {
  const store = IndexedDbStore.open(databaseName(profile));
  store.catch(() => {}); // handled by the openStore that takes it
  earlyOpen = { profile, store };
}

export async function openStore(options: OpenOptions): Promise<IndexedDbStore> {
  const early = earlyOpen;
  earlyOpen = undefined;
  if (early && early.profile === options.profile && options.passphrase === undefined && !options.steal) return early.store;
  // Another profile or other options: that early open is not wanted; close it if it succeeded.
  early?.store.then(
    (store) => store.close(),
    () => {},
  );
  const store = await IndexedDbStore.open(databaseName(options.profile), {
    ...(options.passphrase === undefined ? {} : { passphrase: options.passphrase }),
    ...(options.steal ? { steal: true } : {}),
  });
  // The tab we took it from stops at its next write (ERR_STORE_TAKEN_OVER); tell it now, so it
  // says so at once instead of when it next writes.
  if (options.steal) tabChannel(options.profile)?.postMessage("taken");
  return store;
}

/** The profile's channel between this origin's tabs (none where BroadcastChannel is missing). */
function tabChannel(profile: string): BroadcastChannel | undefined {
  return typeof BroadcastChannel === "undefined" ? undefined : new BroadcastChannel(`parley-tabs-${profile}`);
}

let tabListener: BroadcastChannel | undefined;

/** Stops this tab's client when another tab takes the profile over. */
function listenForTakeOver(client: ParleyClient, view: ParleyStore): void {
  tabListener?.close();
  const channel = tabChannel(profileName());
  if (!channel) return;
  tabListener = channel;
  channel.onmessage = (event) => {
    if (event.data !== "taken") return;
    channel.close();
    view.setPhase("taken");
    void client.close().catch(() => {});
  };
}

/** An open client and what it runs on. */
export interface Session {
  readonly client: ParleyClient;
  readonly store: Store;
  readonly relayUrl: string;
}

/** Opens the existing account in `store`, attaches it to the view store and connects in the background. */
export async function openSession(store: Store, view: ParleyStore, relayUrl = relayUrlFromLocation()): Promise<Session> {
  const client = await ParleyClient.open({ relayUrl, store, crypto: await cryptoProvider() });
  markStart("client-open");
  watchTakeOver(client, view);
  await startClient(client, view);
  return { client, store, relayUrl };
}

/** Creates an account (new identity and device) in an empty store, then claims `handle`. */
export async function createSession(
  store: Store,
  view: ParleyStore,
  profile: { readonly handle: string; readonly displayName: string },
  relayUrl = relayUrlFromLocation(),
): Promise<Session> {
  // A failed attempt (handle taken) leaves the new account in the store: reuse it, keep its keys.
  const client = (await ParleyClient.hasAccount(store))
    ? await ParleyClient.open({ relayUrl, store, keepStoreOpen: true, crypto: await cryptoProvider() })
    : await ParleyClient.create({ relayUrl, store, displayName: profile.displayName, keepStoreOpen: true, crypto: await cryptoProvider() });
  try {
    await client.connect();
    await client.claimHandle(profile.handle);
  } catch (error) {
    await client.close();
    throw error;
  }
  watchTakeOver(client, view);
  await startClient(client, view);
  return { client, store, relayUrl };
}

/**
 * Device linking, last step on this (new) browser: takes the approval from the account's primary
 * device (`ParleyClient.requestLink` was called with `store` before), opens the account as a
 * client of it, attaches it to the view store and connects in the background.
 */
export async function linkSession(store: Store, view: ParleyStore, approval: string, relayUrl = relayUrlFromLocation()): Promise<Session> {
  const client = await ParleyClient.completeLink({ relayUrl, store, crypto: await cryptoProvider() }, approval);
  await startClient(client, view);
  return { client, store, relayUrl };
}

async function startClient(client: ParleyClient, view: ParleyStore): Promise<void> {
  const offReady = client.on("connection", (c) => {
    if (c.state !== "ready") return;
    markStart("connected");
    offReady();
  });
  await view.attach(client);
  markStart("list-read");
  view.setPhase("ready");
  // Reconnects on its own after drops; the connection slice shows the state meanwhile. Dialled
  // once the shell (the chat list) has been shown: the login and the first sync's work would
  // otherwise share the main thread with the list's first render.
  view.whenShellShown(() => {
    if (client.connectionState !== "ready") client.connect().catch(() => {});
  });
}

/** Another tab took the store: this one stops and says so (TakenOver). */
function watchTakeOver(client: ParleyClient, view: ParleyStore): void {
  listenForTakeOver(client, view);
  client.on("error", (e) => {
    if ((e as { code?: unknown } | null)?.code === "ERR_STORE_TAKEN_OVER") view.setPhase("taken");
  });
}

/**
 * Opens a passphrase-protected profile (the Unlock screen): rejects `ERR_STORE_PASSPHRASE` for a
 * wrong passphrase. Resolves with the store when it holds no account yet (onboarding follows).
 */
export async function unlockProfile(profile: string, passphrase: string, view: ParleyStore): Promise<IndexedDbStore | undefined> {
  const store = await openStore({ profile, passphrase });
  if (!(await ParleyClient.hasAccount(store))) {
    view.setPhase("onboarding");
    return store;
  }
  await openSession(store, view);
  return undefined;
}

/** The SDK's backup API, where this build of the protocol has it. */
export interface BackupCapable {
  exportBackup(passphrase: string): Promise<Uint8Array>;
  importBackup(backup: Uint8Array, passphrase: string): Promise<void>;
}

type RestoreFn = (
  options: { relayUrl: string; store: Store; crypto: CryptoProvider },
  backup: Uint8Array,
  passphrase: string,
) => Promise<ParleyClient>;

/** True when the SDK can restore an account from a backup file. */
export function canRestoreBackup(): boolean {
  return typeof (ParleyClient as unknown as { restoreBackup?: unknown }).restoreBackup === "function";
}

/** A new device of the account in `backup` (fresh device keys), in the empty `store`. */
export async function restoreSession(
  store: Store,
  view: ParleyStore,
  backup: Uint8Array,
  passphrase: string,
  relayUrl = relayUrlFromLocation(),
): Promise<Session> {
  const restore = (ParleyClient as unknown as { restoreBackup?: RestoreFn }).restoreBackup;
  if (typeof restore !== "function") throw new Error("restoring a backup is not available in this version");
  const client = await restore.call(ParleyClient, { relayUrl, store, crypto: await cryptoProvider() }, backup, passphrase);
  watchTakeOver(client, view);
  await startClient(client, view);
  return { client, store, relayUrl };
}
