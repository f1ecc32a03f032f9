/**
 * What every command gets: the parsed arguments, the resolved profile, the streams it prints on,
 * and helpers to get the passphrase, connect within a deadline and wait for sends to reach the
 * relay. Streams are injected so unit tests can capture them.
 */

import type { ParleyClient } from "@parley/protocol/client";
import type { ParsedArgs } from "./args.js";
import { CliError, ExitCode } from "./errors.js";
import { resolvePassphrase } from "./passphrase.js";
import { type ProfileOptions, profileExists } from "./profile.js";

/** How long a command waits to log in to the relay, and for its sends to reach it. */
export const RELAY_DEADLINE_MS = 20_000;

export interface CommandContext {
  readonly args: ParsedArgs;
  readonly options: ProfileOptions;
  readonly env: NodeJS.ProcessEnv;
  readonly stdin: NodeJS.ReadStream;
  readonly stdout: NodeJS.WriteStream;
  readonly stderr: NodeJS.WriteStream;
}

/** The profile's passphrase (see passphrase.ts); `confirm` asks twice on a terminal. */
export function passphraseOf(ctx: CommandContext, confirm = false): Promise<string> {
  return resolvePassphrase(
    { file: ctx.args.global.passphraseFile, env: ctx.env.PARLEY_PASSPHRASE },
    { input: ctx.stdin, output: ctx.stderr },
    confirm,
  );
}

/** Connects and logs in, or fails with one sentence naming the relay. */
export async function connectClient(client: ParleyClient, ctx: CommandContext): Promise<void> {
  try {
    await client.connect({ timeoutMs: RELAY_DEADLINE_MS });
  } catch (error) {
    if ((error as { code?: unknown }).code === "ERR_TIMEOUT")
      throw new CliError(ExitCode.Failure, `could not reach the relay at ${ctx.options.relay} (is it running? see --relay)`);
    throw error;
  }
}

/** Waits until every queued send reached the relay; false if that took longer than `ms`. */
export async function flushWithin(client: ParleyClient, ms: number): Promise<boolean> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<false>((resolve) => {
    timer = setTimeout(() => resolve(false), ms);
  });
  try {
    return await Promise.race([client.flush().then(() => true as const), late]);
  } finally {
    clearTimeout(timer);
  }
}

/** Prints one line on stdout. */
export function println(ctx: CommandContext, line: string): void {
  ctx.stdout.write(`${line}\n`);
}

/** Fails with exit code 3 before asking for a passphrase when the profile has no account. */
export function requireAccount(ctx: CommandContext): void {
  if (!profileExists(ctx.options))
    throw new CliError(ExitCode.NoAccount, `no account in profile "${ctx.options.profile}" yet: run \`parley init --handle NAME\` first`);
}
