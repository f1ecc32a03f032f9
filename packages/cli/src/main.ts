/** Command-line dispatch: global flags, then the interactive chat or a scriptable command. */
import { resolveProfile } from "./profile.js";

/** Runs `parley` with `argv` (without node and the script); resolves with the exit code. */
export async function main(argv: readonly string[]): Promise<number> {
  const options = resolveProfile({});
  if (argv.length === 0) return (await import("./ui/run.js")).runInteractive(options);
  return 2;
}
