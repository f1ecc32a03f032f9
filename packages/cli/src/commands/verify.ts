/**
 * `parley verify @bob`: the safety number shared with a contact, as 12 groups of 5 digits and
 * a QR code of its payload drawn in the terminal (uqr's compact Unicode rendering).
 *
 * The contact's handle is looked up on the relay again when it can be reached, so a handle that
 * now names another account shows up here (offline, the identity this profile knows is used and
 * a note says so). Two flags act on the result, for scripts and bots:
 * - `--accept` accepts a changed identity (sending to the contact works again; it is not
 *   verified) and prints the new safety number;
 * - `--matches DIGITS` compares the 60 digits the other side read out with the safety number and
 *   marks the contact verified only when they are equal (exit 1 and nothing marked otherwise).
 */

import type { Contact, ParleyClient } from "@parley/protocol/client";
import { booleanFlag, stringFlag } from "../args.js";
import { type CommandContext, passphraseOf, println, requireAccount } from "../context.js";
import { CliError, ExitCode } from "../errors.js";
import { openClient } from "../profile.js";
import { resolveContact } from "../targets.js";

/** How long `verify` tries to reach the relay to re-check the handle before going on offline. */
export const VERIFY_LOOKUP_DEADLINE_MS = 5_000;

/** The 60 digits of `text` (spaces and dashes between groups allowed), or a usage error. */
export function safetyDigits(text: string): string {
  const digits = text.replace(/[\s-]/g, "");
  if (!/^\d{60}$/.test(digits))
    throw new CliError(ExitCode.Usage, "--matches takes the 60 digits of the other side's safety number (spaces between groups are fine)");
  return digits;
}

export async function verify(ctx: CommandContext): Promise<number> {
  const target = ctx.args.positionals[0] as string;
  const matches = stringFlag(ctx.args, "matches");
  const expected = matches === undefined ? undefined : safetyDigits(matches);
  const accept = booleanFlag(ctx.args, "accept");
  requireAccount(ctx);
  const client = await openClient(ctx.options, await passphraseOf(ctx));
  try {
    let contact = await currentIdentity(client, ctx, target);
    const who = contact.handle ? `@${contact.handle}` : contact.id;
    let accepted = false;
    if (accept && contact.pendingIdentity) {
      contact = await client.acceptIdentity(contact.id);
      accepted = true;
    }
    const changed = contact.pendingIdentity !== undefined;
    if (expected !== undefined && changed)
      throw new CliError(
        ExitCode.Failure,
        `${who}'s identity changed: accept it first (\`parley verify ${who} --accept\`), then compare the new safety number`,
      );
    const number = await client.safetyNumber(contact.id);
    if (expected !== undefined) {
      if (expected !== number.digits)
        throw new CliError(
          ExitCode.Failure,
          `these digits are not your safety number with ${who}: someone may be in between, so nothing was marked`,
        );
      await client.markVerified(contact.id);
      contact = { ...contact, verified: true };
    }
    if (booleanFlag(ctx.args, "json")) {
      println(
        ctx,
        JSON.stringify({
          contact: contact.id,
          digits: number.digits,
          display: number.display,
          qr: Buffer.from(number.qrPayload).toString("base64"),
          verified: contact.verified,
          identityChanged: changed,
          accepted,
        }),
      );
      return ExitCode.Ok;
    }
    if (accepted) println(ctx, `Accepted ${who}'s new identity. Compare the new safety number before you trust it.`);
    if (changed) {
      println(ctx, `${who}'s identity changed: the handle now names another account, so sending to ${who} is blocked.`);
      println(ctx, `Compare safety numbers with them another way, then run \`parley verify ${who} --accept\`.`);
      println(ctx, "The number below is the one of the identity you knew.");
    }
    if (expected !== undefined) println(ctx, `The digits match: ${who} is now verified.`);
    const { renderUnicodeCompact } = await import("uqr");
    println(ctx, `Safety number with ${who}${contact.verified ? " (verified)" : ""}:`);
    const groups = number.display.split(" ");
    for (let i = 0; i < groups.length; i += 4) println(ctx, `  ${groups.slice(i, i + 4).join(" ")}`);
    println(ctx, "");
    println(ctx, renderUnicodeCompact([...number.qrPayload], { border: 1 }));
    if (expected === undefined)
      println(
        ctx,
        `Compare these digits with ${who}'s (\`parley verify\` on their side): the same digits mean nobody is in between. ` +
          `Then \`parley verify ${who} --matches "DIGITS"\` marks ${who} verified.`,
      );
    return ExitCode.Ok;
  } finally {
    await client.close();
  }
}

/**
 * The contact `target` names, with its handle looked up on the relay again when the relay can be
 * reached within VERIFY_LOOKUP_DEADLINE_MS (a changed identity is then held as pending). A new
 * handle needs the relay; a known contact falls back to what this profile knows, with a note.
 */
async function currentIdentity(client: ParleyClient, ctx: CommandContext, target: string): Promise<Contact> {
  const handle = target.replace(/^@/, "").toLowerCase();
  const local = (await client.contacts()).find((c) => c.id === target || c.handle === handle);
  try {
    await client.connect({ timeoutMs: VERIFY_LOOKUP_DEADLINE_MS });
  } catch (error) {
    if (!local) {
      if ((error as { code?: unknown }).code === "ERR_TIMEOUT")
        throw new CliError(
          ExitCode.Failure,
          `could not reach the relay at ${ctx.options.relay} to look up ${target} (is it running? see --relay)`,
        );
      throw error;
    }
    ctx.stderr.write(`parley: the relay could not be reached: showing the identity of ${target} this profile knows\n`);
    return local;
  }
  if (!local?.handle) return local ?? resolveContact(client, target);
  try {
    return await client.findContact(local.handle);
  } catch (error) {
    if ((error as { reason?: unknown }).reason !== "NOT_FOUND") throw error;
    ctx.stderr.write(`parley: nobody has the handle @${local.handle} on this relay any more: showing the identity this profile knows\n`);
    return local;
  }
}
