/**
 * `parley send`: a text or a file to a contact or a group, then waits until the relay has it.
 * When `parley read --follow` holds the profile, the message goes through it (control.ts).
 */

import { stat } from "node:fs/promises";
import { resolve } from "node:path";
import type { ParleyClient, UploadProgress } from "@parley/protocol/client";
import { stringFlag } from "../args.js";
import { type CommandContext, connectClient, flushWithin, passphraseOf, RELAY_DEADLINE_MS, requireAccount } from "../context.js";
import { type SendRequest, sendViaControl } from "../control.js";
import { CliError, ExitCode } from "../errors.js";
import { openClient } from "../profile.js";
import { resolveContact, resolveGroup } from "../targets.js";

/** Sends `request` with a connected client; resolves with the message id once queued. */
export async function performSend(
  client: ParleyClient,
  request: SendRequest,
  onProgress?: (progress: UploadProgress) => void,
): Promise<string> {
  let conversation: string;
  if (request.group !== undefined) {
    const group = await resolveGroup(client, request.group);
    if (!group.active) throw new CliError(ExitCode.NotFound, `you are no longer a member of "${group.name}"`);
    conversation = group.id;
  } else if (request.target !== undefined) {
    conversation = (await resolveContact(client, request.target)).id;
  } else {
    throw new CliError(ExitCode.Usage, "send to whom? Give @handle or --group NAME");
  }
  if (request.file !== undefined) {
    const message = await client.sendFile(conversation, request.file, {
      ...(request.text !== "" ? { caption: request.text } : {}),
      ...(onProgress ? { onProgress } : {}),
    });
    return message.id;
  }
  if (request.text.trim() === "") throw new CliError(ExitCode.Usage, "the message is empty");
  const message = await client.sendText(conversation, request.text, request.replyTo !== undefined ? { replyTo: request.replyTo } : {});
  return message.id;
}

/** Reads all of standard input as the text (a pipe or a file; never a terminal). */
async function readStdin(ctx: CommandContext): Promise<string> {
  if (ctx.stdin.isTTY) throw new CliError(ExitCode.Usage, 'no text given: `parley send @bob "hi"` (or pipe the text in)');
  const chunks: Buffer[] = [];
  for await (const chunk of ctx.stdin) chunks.push(Buffer.from(chunk as Uint8Array));
  return Buffer.concat(chunks)
    .toString("utf8")
    .replace(/\r?\n$/, "");
}

/** Builds the request from the command line: recipient, text (or standard input), file. */
async function requestOf(ctx: CommandContext): Promise<SendRequest> {
  const group = stringFlag(ctx.args, "group");
  const file = stringFlag(ctx.args, "file");
  const replyTo = stringFlag(ctx.args, "reply-to");
  const positionals = [...ctx.args.positionals];
  const target = group === undefined ? positionals.shift() : undefined;
  if (group === undefined && target === undefined)
    throw new CliError(ExitCode.Usage, 'send to whom? `parley send @bob "hi"` or `parley send --group NAME "hi"`');
  if (positionals.length > 1)
    throw new CliError(ExitCode.Usage, `too many arguments for \`parley send\` ("${positionals[1]}"): quote the text`);
  let text = positionals[0];
  if (text === undefined) text = file === undefined ? await readStdin(ctx) : "";
  let path: string | undefined;
  if (file !== undefined) {
    path = resolve(file);
    const info = await stat(path).catch(() => undefined);
    if (!info) throw new CliError(ExitCode.NotFound, `cannot send ${file}: no such file`);
    if (!info.isFile()) throw new CliError(ExitCode.Usage, `cannot send ${file}: it is not a file`);
  }
  return {
    text,
    ...(group !== undefined ? { group } : {}),
    ...(target !== undefined ? { target } : {}),
    ...(path !== undefined ? { file: path } : {}),
    ...(replyTo !== undefined ? { replyTo } : {}),
  };
}

/** Upload progress on stderr, on a terminal only (one line, redrawn). */
function progressPrinter(ctx: CommandContext): ((progress: UploadProgress) => void) | undefined {
  if (!ctx.stderr.isTTY) return undefined;
  return ({ uploaded, total }) => {
    const percent = total === 0 ? 100 : Math.floor((uploaded / total) * 100);
    ctx.stderr.write(`\ruploading… ${percent}% (${uploaded} of ${total} bytes)`);
    if (uploaded >= total) ctx.stderr.write("\n");
  };
}

export async function send(ctx: CommandContext): Promise<number> {
  requireAccount(ctx);
  const request = await requestOf(ctx);
  const passphrase = await passphraseOf(ctx);
  let client: ParleyClient;
  try {
    client = await openClient(ctx.options, passphrase);
  } catch (error) {
    if ((error as { code?: unknown }).code !== "ERR_STORE_LOCKED") throw error;
    // The profile is open elsewhere: a `parley read --follow` sends for us, anything else is a lock.
    if ((await sendViaControl(ctx.options, passphrase, request)) !== undefined) return ExitCode.Ok;
    throw error;
  }
  try {
    await connectClient(client, ctx);
    await performSend(client, request, progressPrinter(ctx));
    if (!(await flushWithin(client, RELAY_DEADLINE_MS)))
      throw new CliError(
        ExitCode.Failure,
        "the message is queued, but the relay has not taken it yet; it goes out with the next parley command",
      );
    return ExitCode.Ok;
  } finally {
    await client.close();
  }
}
