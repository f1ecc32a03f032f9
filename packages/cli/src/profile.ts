/**
 * Where a profile lives and how its client opens. A profile is one identity on this machine: a
 * directory holding the encrypted file store (keys, contacts, history) and a downloads folder.
 * The client code is imported only when a client opens, so `parley --help` starts fast.
 * The relay comes from `--relay`, else `PARLEY_RELAY`, else the local default; the data
 * directory from `--home`, else `PARLEY_HOME`, else `$XDG_DATA_HOME/parley` (or
 * `~/.local/share/parley`). Nothing secret is kept outside the store.
 */

import { existsSync } from "node:fs";
import { mkdir } from "node:fs/promises";
import { homedir } from "node:os";
import { join } from "node:path";
import type { ParleyClient } from "@parley/protocol/client";
import { CliError, ExitCode } from "./errors.js";

/** The relay a profile talks to when nothing else is set: `npm start` in the repository. */
export const DEFAULT_RELAY = "ws://localhost:8787";

/** The profile used when `--profile` is not given. */
export const DEFAULT_PROFILE = "default";

const PROFILE_NAME = /^[A-Za-z0-9][A-Za-z0-9_-]{0,31}$/;

/** Which profile, where its data lives, and which relay it talks to. */
export interface ProfileOptions {
  readonly profile: string;
  /** The data directory holding every profile. */
  readonly home: string;
  /** The relay's WebSocket URL (ws:// or wss://). */
  readonly relay: string;
}

/** Resolves the profile options from flags, then the environment, then defaults. */
export function resolveProfile(
  flags: { readonly profile?: string | undefined; readonly relay?: string | undefined; readonly home?: string | undefined },
  env: NodeJS.ProcessEnv = process.env,
): ProfileOptions {
  const profile = flags.profile ?? env.PARLEY_PROFILE ?? DEFAULT_PROFILE;
  if (!PROFILE_NAME.test(profile)) {
    throw new CliError(ExitCode.Usage, `invalid profile name "${profile}": use 1 to 32 letters, digits, "-" or "_"`);
  }
  const relay = flags.relay ?? env.PARLEY_RELAY ?? DEFAULT_RELAY;
  if (!/^wss?:\/\//.test(relay)) throw new CliError(ExitCode.Usage, `invalid relay URL "${relay}": it starts with ws:// or wss://`);
  const home = flags.home ?? env.PARLEY_HOME ?? join(env.XDG_DATA_HOME || join(homedir(), ".local", "share"), "parley");
  return { profile, relay, home };
}

/** The profile's directory. */
export function profileDir(options: ProfileOptions): string {
  return join(options.home, "profiles", options.profile);
}

/** The encrypted store's directory. */
export function storeDir(options: ProfileOptions): string {
  return join(profileDir(options), "store");
}

/** Where received files are saved unless a command names another folder. */
export function downloadsDir(options: ProfileOptions): string {
  return join(profileDir(options), "downloads");
}

/** Whether the profile has an account already. */
export function profileExists(options: ProfileOptions): boolean {
  return existsSync(storeDir(options));
}

/**
 * Imports the client and its Node store and transport (with their crypto): the first call loads
 * them, later calls get the same modules. The interactive chat calls it once its first screen is
 * drawn, so they are loaded by the time the passphrase is typed.
 */
export function loadClientModules(): Promise<[typeof import("@parley/protocol/client"), typeof import("@parley/protocol/node")]> {
  return Promise.all([import("@parley/protocol/client"), import("@parley/protocol/node")]);
}

/**
 * Opens an existing profile's client (not yet connected). A wrong passphrase is
 * ERR_STORE_PASSPHRASE from the store; another process holding the profile, ERR_STORE_LOCKED.
 */
export async function openClient(options: ProfileOptions, passphrase: string): Promise<ParleyClient> {
  if (!profileExists(options)) {
    throw new CliError(ExitCode.NoAccount, `no account in profile "${options.profile}" yet: run \`parley\` or \`parley init\` first`);
  }
  const [{ ParleyClient }, { FileStore, nodeTransport }] = await loadClientModules();
  const store = await FileStore.open(storeDir(options), { passphrase });
  try {
    return await ParleyClient.open({ relayUrl: options.relay, store, transport: nodeTransport });
  } catch (error) {
    await store.close();
    throw error;
  }
}

/** Creates the profile's account and device (not yet connected; the caller claims a handle once connected). */
export async function createClient(options: ProfileOptions, passphrase: string, displayName: string): Promise<ParleyClient> {
  if (profileExists(options)) throw new CliError(ExitCode.Usage, `profile "${options.profile}" already has an account`);
  const [{ ParleyClient }, { FileStore, nodeTransport }] = await loadClientModules();
  await mkdir(storeDir(options), { recursive: true, mode: 0o700 });
  const store = await FileStore.open(storeDir(options), { passphrase });
  try {
    return await ParleyClient.create({ relayUrl: options.relay, store, transport: nodeTransport, displayName });
  } catch (error) {
    await store.close();
    throw error;
  }
}
