/** The interactive terminal chat (Ink): the entry point `parley` calls with no command on a TTY. */
import type { ParleyClient } from "@parley/protocol/client";
import { openClient, type ProfileOptions, profileExists } from "../profile.js";
import { currentBundle } from "./bundle.js";

/** Runs the interactive chat until the user quits; resolves with the exit code. */
export async function runInteractive(options: ProfileOptions, passphrase?: string): Promise<number> {
  // Ink's colours (chalk) read FORCE_COLOR once, when first imported: honour NO_COLOR
  // (https://no-color.org) by setting it before the view loads. Marks carry every meaning without colour.
  if (process.env.NO_COLOR && process.env.FORCE_COLOR === undefined) process.env.FORCE_COLOR = "0";
  // Ink draws only the last frame when it thinks it runs in CI (a CI or CONTINUOUS_INTEGRATION
  // variable, read once on import): the chat is only started on a terminal, so it is interactive.
  for (const name of ["CI", "CONTINUOUS_INTEGRATION"]) if (name in process.env) process.env[name] = "0";
  // A passphrase given on start opens the profile at once: loading the SDK and deriving the
  // store's key (scrypt, on libuv's threads) overlap with loading the view, which awaits it.
  const opening = passphrase !== undefined && profileExists(options) ? openClient(options, passphrase) : undefined;
  opening?.catch(() => {}); // Reported by the view.
  let view: typeof import("./root.js");
  try {
    view = await loadView();
  } catch (error) {
    await closeOpened(opening);
    throw error;
  }
  return view.startChat(options, passphrase, opening);
}

/** Closes a client whose opening the view never took over. */
async function closeOpened(opening: Promise<ParleyClient> | undefined): Promise<void> {
  await opening?.then(
    (client) => client.close(),
    () => {},
  );
}

/**
 * The view's root module: from the bundle when it is current (see bundle.ts), else the compiled
 * modules one by one. DEV=true (Ink's React DevTools mode, which needs Ink's own files) takes
 * the modules too.
 */
async function loadView(): Promise<typeof import("./root.js")> {
  const bundle = process.env.DEV === "true" ? undefined : currentBundle(new URL("../", import.meta.url));
  return bundle ? await import(bundle.href) : await import("./root.js");
}
