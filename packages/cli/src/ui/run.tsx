/** The interactive terminal chat (Ink). */
import type { ProfileOptions } from "../profile.js";

/** Runs the interactive chat until the user quits; resolves with the exit code. */
export async function runInteractive(_options: ProfileOptions, _passphrase?: string): Promise<number> {
  throw new Error("not built yet");
}
