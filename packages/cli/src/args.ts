/**
 * Command-line parsing: global flags (accepted before or after the command), the command, its
 * own flags and its positional arguments. Pure (no I/O), so every rule is unit-tested; unknown
 * flags and missing values are usage errors (exit code 2) that name the command's help.
 */

import { CliError, ExitCode } from "./errors.js";

/** A flag's shape: a boolean switch or a flag that takes a value. */
export type FlagType = "boolean" | "string";

/** The flags every command accepts. */
export const GLOBAL_FLAGS: Readonly<Record<string, FlagType>> = {
  relay: "string",
  profile: "string",
  home: "string",
  "passphrase-file": "string",
  help: "boolean",
  version: "boolean",
};

const SHORT: Readonly<Record<string, string>> = { h: "help", V: "version" };

/** Each scriptable command's own flags, and how many positional arguments it takes. */
export const COMMANDS = {
  init: { flags: { handle: "string", name: "string" }, positionals: [0, 0] },
  link: { flags: { approval: "string" }, positionals: [0, 0] },
  send: { flags: { group: "string", file: "string", "reply-to": "string" }, positionals: [0, 2] },
  read: { flags: { json: "boolean", follow: "boolean" }, positionals: [0, 0] },
  contacts: { flags: { json: "boolean" }, positionals: [0, 0] },
  groups: { flags: { json: "boolean" }, positionals: [0, 0] },
  whoami: { flags: { json: "boolean" }, positionals: [0, 0] },
  verify: { flags: { json: "boolean", accept: "boolean", matches: "string" }, positionals: [1, 1] },
  help: { flags: {}, positionals: [0, 1] },
} as const satisfies Record<string, { flags: Record<string, FlagType>; positionals: readonly [number, number] }>;

export type CommandName = keyof typeof COMMANDS;

/** The parsed command line. `command` is undefined for the interactive chat (no command). */
export interface ParsedArgs {
  readonly command: CommandName | undefined;
  readonly global: {
    readonly relay?: string;
    readonly profile?: string;
    readonly home?: string;
    readonly passphraseFile?: string;
    readonly help: boolean;
    readonly version: boolean;
  };
  /** The command's own flags by name (booleans are `true` when given). */
  readonly flags: Readonly<Record<string, string | true>>;
  readonly positionals: readonly string[];
}

export function isCommand(name: string): name is CommandName {
  return Object.hasOwn(COMMANDS, name);
}

/** Parses `argv` (without node and the script). Throws CliError(Usage) on anything it does not understand. */
export function parseArgs(argv: readonly string[]): ParsedArgs {
  const global: Record<string, string | true> = {};
  const flags: Record<string, string | true> = {};
  const positionals: string[] = [];
  let command: CommandName | undefined;
  const where = () => (command ? `\`parley ${command}\`` : "`parley`");
  const helpHint = () => (command ? `see \`parley ${command} --help\`` : "see `parley --help`");

  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i] as string;
    if (arg === "--") {
      positionals.push(...argv.slice(i + 1));
      break;
    }
    if (arg.startsWith("-") && arg !== "-") {
      const long = arg.startsWith("--");
      const body = long ? arg.slice(2) : arg.slice(1);
      const eq = body.indexOf("=");
      const rawName = eq >= 0 ? body.slice(0, eq) : body;
      const name = long ? rawName : SHORT[rawName];
      if (name === undefined || rawName === "") throw new CliError(ExitCode.Usage, `unknown flag ${arg} for ${where()}: ${helpHint()}`);
      const commandFlags: Readonly<Record<string, FlagType>> = command ? COMMANDS[command].flags : {};
      const type = commandFlags[name] ?? GLOBAL_FLAGS[name];
      if (type === undefined) throw new CliError(ExitCode.Usage, `unknown flag --${name} for ${where()}: ${helpHint()}`);
      const target = Object.hasOwn(commandFlags, name) ? flags : global;
      if (type === "boolean") {
        if (eq >= 0) throw new CliError(ExitCode.Usage, `--${name} takes no value: ${helpHint()}`);
        target[name] = true;
        continue;
      }
      let value: string | undefined;
      if (eq >= 0) value = body.slice(eq + 1);
      else {
        value = argv[i + 1];
        if (value === undefined || (value.startsWith("--") && value.length > 2))
          throw new CliError(ExitCode.Usage, `--${name} needs a value: ${helpHint()}`);
        i++;
      }
      if (value === "") throw new CliError(ExitCode.Usage, `--${name} needs a value: ${helpHint()}`);
      target[name] = value;
      continue;
    }
    if (command === undefined && positionals.length === 0) {
      if (!isCommand(arg)) throw new CliError(ExitCode.Usage, `unknown command "${arg}": see \`parley --help\``);
      command = arg;
      continue;
    }
    positionals.push(arg);
  }

  if (command && !global.help) {
    const [min, max] = COMMANDS[command].positionals;
    if (positionals.length > max)
      throw new CliError(ExitCode.Usage, `too many arguments for \`parley ${command}\` ("${positionals[max]}"): ${helpHint()}`);
    if (positionals.length < min) throw new CliError(ExitCode.Usage, `\`parley ${command}\` needs an argument: ${helpHint()}`);
  }
  return {
    command,
    global: {
      ...(typeof global.relay === "string" ? { relay: global.relay } : {}),
      ...(typeof global.profile === "string" ? { profile: global.profile } : {}),
      ...(typeof global.home === "string" ? { home: global.home } : {}),
      ...(typeof global["passphrase-file"] === "string" ? { passphraseFile: global["passphrase-file"] } : {}),
      help: global.help === true,
      version: global.version === true,
    },
    flags,
    positionals,
  };
}

/** A string flag's value, or undefined. */
export function stringFlag(args: ParsedArgs, name: string): string | undefined {
  const value = args.flags[name];
  return typeof value === "string" ? value : undefined;
}

/** Whether a boolean flag was given. */
export function booleanFlag(args: ParsedArgs, name: string): boolean {
  return args.flags[name] === true;
}
