/** The interactive terminal chat (Ink): the entry point `parley` calls with no command on a TTY. */
import type { ProfileOptions } from "../profile.js";

/** Runs the interactive chat until the user quits; resolves with the exit code. */
export async function runInteractive(options: ProfileOptions, passphrase?: string): Promise<number> {
  // Ink's colours (chalk) read FORCE_COLOR once, when first imported: honour NO_COLOR
  // (https://no-color.org) by setting it before the view loads. Marks carry every meaning without colour.
  if (process.env.NO_COLOR && process.env.FORCE_COLOR === undefined) process.env.FORCE_COLOR = "0";
  const { startChat } = await import("./root.js");
  return startChat(options, passphrase);
}
