/**
 * `parley init --handle H [--name N]`: creates the profile's account and device, logs in (which
 * registers the device and publishes its prekeys) and claims the handle. A taken handle leaves the
 * account in place: `parley init --handle OTHER` then only claims. Again with the handle the
 * profile has: nothing to do.
 */

import { stringFlag } from "../args.js";
import { type CommandContext, connectClient, passphraseOf, println } from "../context.js";
import { CliError, describeError, ExitCode } from "../errors.js";
import { createClient, openClient, profileExists } from "../profile.js";

export async function init(ctx: CommandContext): Promise<number> {
  const handle = stringFlag(ctx.args, "handle")?.replace(/^@/, "");
  if (!handle) throw new CliError(ExitCode.Usage, "`parley init` needs --handle NAME: see `parley init --help`");
  const existing = profileExists(ctx.options);
  const passphrase = await passphraseOf(ctx, !existing);
  const client = existing
    ? await openClient(ctx.options, passphrase)
    : await createClient(ctx.options, passphrase, stringFlag(ctx.args, "name") ?? handle);
  try {
    if (existing && client.handle !== undefined) {
      if (client.handle === handle.toLowerCase()) {
        println(ctx, `profile "${ctx.options.profile}" is already @${client.handle}`);
        return ExitCode.Ok;
      }
      throw new CliError(
        ExitCode.Usage,
        `profile "${ctx.options.profile}" already has an account (@${client.handle}); use --profile for another identity`,
      );
    }
    await connectClient(client, ctx);
    try {
      await client.claimHandle(handle);
    } catch (error) {
      const report = describeError(error);
      if ((error as { reason?: unknown }).reason === "HANDLE_TAKEN" || (error as { reason?: unknown }).reason === "HANDLE_INVALID") {
        throw new CliError(
          report.code,
          `@${handle}: ${report.message}; the account was created, so run \`parley init --handle OTHER\` to claim another`,
        );
      }
      throw error;
    }
    println(ctx, `@${client.handle} (${client.displayName}) is ready on ${ctx.options.relay} in profile "${ctx.options.profile}"`);
    return ExitCode.Ok;
  } finally {
    await client.close();
  }
}
