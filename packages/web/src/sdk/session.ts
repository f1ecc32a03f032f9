/**
 * Opening this browser's Parley account: the IndexedDB store (encrypted at rest under
 * non-extractable WebCrypto keys, optionally wrapped by a passphrase), then a ParleyClient over
 * the relay that served this page. One writer per store: a second tab gets ERR_STORE_LOCKED and
 * the app offers to take over (`steal`), which stops the first tab (ERR_STORE_TAKEN_OVER there).
 */
import { IndexedDbStore, ParleyClient, type Store } from "@parley/protocol/client";
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

export function openStore(options: OpenOptions): Promise<IndexedDbStore> {
  return IndexedDbStore.open(databaseName(options.profile), {
    ...(options.passphrase === undefined ? {} : { passphrase: options.passphrase }),
    ...(options.steal ? { steal: true } : {}),
  });
}

/** An open client and what it runs on. */
export interface Session {
  readonly client: ParleyClient;
  readonly store: Store;
  readonly relayUrl: string;
}

/** Opens the existing account in `store`, attaches it to the view store and connects in the background. */
export async function openSession(store: Store, view: ParleyStore, relayUrl = relayUrlFromLocation()): Promise<Session> {
  const client = await ParleyClient.open({ relayUrl, store });
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
  const client = await ParleyClient.create({ relayUrl, store, displayName: profile.displayName });
  await client.connect();
  await client.claimHandle(profile.handle);
  await startClient(client, view);
  return { client, store, relayUrl };
}

/**
 * Device linking, last step on this (new) browser: takes the approval from the account's primary
 * device (`ParleyClient.requestLink` was called with `store` before), opens the account as a
 * client of it, attaches it to the view store and connects in the background.
 */
export async function linkSession(store: Store, view: ParleyStore, approval: string, relayUrl = relayUrlFromLocation()): Promise<Session> {
  const client = await ParleyClient.completeLink({ relayUrl, store }, approval);
  await startClient(client, view);
  return { client, store, relayUrl };
}

async function startClient(client: ParleyClient, view: ParleyStore): Promise<void> {
  await view.attach(client);
  view.setPhase("ready");
  // Reconnects on its own after drops; the connection slice shows the state meanwhile.
  if (client.connectionState !== "ready") client.connect().catch(() => {});
}
