/**
 * Command-line dispatch: global flags, then the interactive chat (no command) or a scriptable
 * command. Each command's module is imported only when it runs, so `parley --help` and
 * `parley --version` load neither the client and its crypto nor Ink and React.
 */

import { type CommandName, parseArgs } from "./args.js";
import type { CommandContext } from "./context.js";
import { CliError, ExitCode, formatError } from "./errors.js";
import { helpText, version } from "./help.js";
import { resolveProfile } from "./profile.js";

/** The streams `main` uses (the process's by default; tests pass their own). */
export interface MainIo {
  readonly env?: NodeJS.ProcessEnv;
  readonly stdin?: NodeJS.ReadStream;
  readonly stdout?: NodeJS.WriteStream;
  readonly stderr?: NodeJS.WriteStream;
}

type Command = (ctx: CommandContext) => Promise<number>;

const COMMANDS: Record<Exclude<CommandName, "help">, () => Promise<Command>> = {
  init: async () => (await import("./commands/init.js")).init,
  link: async () => (await import("./commands/link.js")).link,
  send: async () => (await import("./commands/send.js")).send,
  read: async () => (await import("./commands/read.js")).read,
  contacts: async () => (await import("./commands/listing.js")).contacts,
  groups: async () => (await import("./commands/listing.js")).groups,
  whoami: async () => (await import("./commands/listing.js")).whoami,
  verify: async () => (await import("./commands/verify.js")).verify,
};

/** Runs `parley` with `argv` (without node and the script); resolves with the exit code. Never throws. */
export async function main(argv: readonly string[], io: MainIo = {}): Promise<number> {
  const env = io.env ?? process.env;
  const stdout = io.stdout ?? process.stdout;
  const stderr = io.stderr ?? process.stderr;
  const stdin = io.stdin ?? process.stdin;
  try {
    const args = parseArgs(argv);
    if (args.global.version) {
      stdout.write(`${version()}\n`);
      return ExitCode.Ok;
    }
    if (args.command === "help" || args.global.help) {
      const topic = args.command === "help" ? args.positionals[0] : args.command;
      if (topic !== undefined && !(topic in COMMANDS))
        throw new CliError(ExitCode.Usage, `unknown command "${topic}": see \`parley --help\``);
      stdout.write(helpText(topic as CommandName | undefined));
      return ExitCode.Ok;
    }
    const options = resolveProfile(args.global, env);
    if (args.command === undefined) {
      if (!stdin.isTTY || !stdout.isTTY)
        throw new CliError(ExitCode.Usage, "the interactive chat needs a terminal; for scripts use a command (see `parley --help`)");
      const { resolvePassphrase } = await import("./passphrase.js");
      const passphrase =
        args.global.passphraseFile !== undefined || env.PARLEY_PASSPHRASE
          ? await resolvePassphrase({ file: args.global.passphraseFile, env: env.PARLEY_PASSPHRASE })
          : undefined;
      return await (await import("./ui/run.js")).runInteractive(options, passphrase);
    }
    const run = await COMMANDS[args.command]();
    return await run({ args, options, env, stdin, stdout, stderr });
  } catch (error) {
    const { code, text } = formatError(error, Boolean(env.PARLEY_DEBUG));
    stderr.write(text);
    return code;
  }
}
