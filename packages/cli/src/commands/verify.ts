/**
 * `parley verify @bob`: the safety number shared with a contact, as 12 groups of 5 digits and
 * a QR code of its payload drawn in the terminal (uqr's compact Unicode rendering). A handle not
 * yet among the contacts is looked up on the relay first.
 */

import type { Contact } from "@parley/protocol/client";
import { booleanFlag } from "../args.js";
import { type CommandContext, connectClient, passphraseOf, println, requireAccount } from "../context.js";
import { ExitCode } from "../errors.js";
import { openClient } from "../profile.js";
import { resolveContact } from "../targets.js";

export async function verify(ctx: CommandContext): Promise<number> {
  const target = ctx.args.positionals[0] as string;
  requireAccount(ctx);
  const client = await openClient(ctx.options, await passphraseOf(ctx));
  try {
    const handle = target.replace(/^@/, "").toLowerCase();
    const local = (await client.contacts()).find((c) => c.id === target || c.handle === handle);
    let contact: Contact;
    if (local) contact = local;
    else {
      await connectClient(client, ctx);
      contact = await resolveContact(client, target);
    }
    const number = await client.safetyNumber(contact.id);
    const who = contact.handle ? `@${contact.handle}` : contact.id;
    if (booleanFlag(ctx.args, "json")) {
      println(
        ctx,
        JSON.stringify({
          contact: contact.id,
          digits: number.digits,
          display: number.display,
          qr: Buffer.from(number.qrPayload).toString("base64"),
          verified: contact.verified,
        }),
      );
      return ExitCode.Ok;
    }
    const { renderUnicodeCompact } = await import("uqr");
    println(ctx, `Safety number with ${who}${contact.verified ? " (verified)" : ""}:`);
    const groups = number.display.split(" ");
    for (let i = 0; i < groups.length; i += 4) println(ctx, `  ${groups.slice(i, i + 4).join(" ")}`);
    println(ctx, "");
    println(ctx, renderUnicodeCompact([...number.qrPayload], { border: 1 }));
    println(ctx, `Compare these digits with ${who}'s (\`parley verify\` on their side): the same digits mean nobody is in between.`);
    return ExitCode.Ok;
  } finally {
    await client.close();
  }
}
