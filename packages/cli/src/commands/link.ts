/**
 * `parley link [--approval TEXT]`: makes this profile a new device of an account that exists on
 * another device (the SDK's device linking). Without --approval it creates the profile's store, prints
 * the link request and its code, and on a terminal waits for the approval to be pasted; without a
 * terminal, `parley link --approval TEXT` finishes later (the request is kept in the store). With
 * the approval it completes the link, logs in and says which device this is.
 */

import { mkdir } from "node:fs/promises";
import { createInterface } from "node:readline/promises";
import { stringFlag } from "../args.js";
import { type CommandContext, connectClient, passphraseOf, println } from "../context.js";
import { CliError, ExitCode } from "../errors.js";
import { profileExists, storeDir } from "../profile.js";

export async function link(ctx: CommandContext): Promise<number> {
  const [{ ParleyClient }, { FileStore, nodeTransport }] = await Promise.all([
    import("@parley/protocol/client"),
    import("@parley/protocol/node"),
  ]);
  const fresh = !profileExists(ctx.options);
  const passphrase = await passphraseOf(ctx, fresh);
  if (fresh) await mkdir(storeDir(ctx.options), { recursive: true, mode: 0o700 });
  const store = await FileStore.open(storeDir(ctx.options), { passphrase });
  let handedOver = false;
  try {
    if (await ParleyClient.hasAccount(store)) {
      throw new CliError(ExitCode.Usage, `profile "${ctx.options.profile}" already has an account; use --profile NAME for a new device`);
    }
    let approval = stringFlag(ctx.args, "approval");
    if (approval === undefined) {
      const { request, code } = await ParleyClient.requestLink({ store });
      println(ctx, "Give this link request to your account's primary device:");
      println(ctx, "");
      println(ctx, request);
      println(ctx, "");
      println(ctx, `It must show this code: ${code.replace(/(\d{5})(?=\d)/g, "$1 ")}`);
      if (!ctx.stdin.isTTY) {
        println(ctx, "Then run: parley link --approval TEXT");
        return ExitCode.Ok;
      }
      const lines = createInterface({ input: ctx.stdin, output: ctx.stderr, terminal: true });
      try {
        approval = await lines.question("Paste the approval it gives back: ");
      } finally {
        lines.close();
      }
    }
    const client = await ParleyClient.completeLink({ relayUrl: ctx.options.relay, store, transport: nodeTransport }, approval.trim());
    handedOver = true;
    try {
      await connectClient(client, ctx);
      const who = client.handle ? `@${client.handle}` : client.displayName;
      println(ctx, `This profile is now device ${client.deviceId} of ${who}.`);
    } finally {
      await client.close();
    }
    return ExitCode.Ok;
  } finally {
    if (!handedOver) await store.close();
  }
}
