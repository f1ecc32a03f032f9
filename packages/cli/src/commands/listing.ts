/**
 * `parley whoami`, `parley contacts`, `parley groups`: what the profile holds, read from its
 * store without connecting to the relay. `--json` prints one JSON document.
 */

import type { ParleyClient } from "@parley/protocol/client";
import { booleanFlag } from "../args.js";
import { type CommandContext, passphraseOf, println, requireAccount } from "../context.js";
import { ExitCode } from "../errors.js";
import { openClient } from "../profile.js";

const hex = (bytes: Uint8Array) => Buffer.from(bytes).toString("hex");

async function withClient(ctx: CommandContext, run: (client: ParleyClient) => Promise<void>): Promise<number> {
  requireAccount(ctx);
  const client = await openClient(ctx.options, await passphraseOf(ctx));
  try {
    await run(client);
    return ExitCode.Ok;
  } finally {
    await client.close();
  }
}

export function whoami(ctx: CommandContext): Promise<number> {
  return withClient(ctx, async (client) => {
    const me = {
      ...(client.handle ? { handle: client.handle } : {}),
      name: client.displayName,
      userId: client.userId,
      deviceId: client.deviceId,
      primary: client.isPrimary,
      profile: ctx.options.profile,
      relay: ctx.options.relay,
    };
    if (booleanFlag(ctx.args, "json")) return println(ctx, JSON.stringify(me));
    println(ctx, `${me.handle ? `@${me.handle}` : "(no handle yet: run `parley init --handle NAME`)"} ${me.name}`);
    println(ctx, `user id   ${me.userId}`);
    println(ctx, `device    ${me.deviceId}${me.primary ? " (primary)" : ""}`);
    println(ctx, `profile   ${me.profile} on ${me.relay}`);
  });
}

export function contacts(ctx: CommandContext): Promise<number> {
  return withClient(ctx, async (client) => {
    const list = (await client.contacts()).map((c) => ({
      id: c.id,
      ...(c.handle ? { handle: c.handle } : {}),
      name: c.displayName ?? (c.handle ? `@${c.handle}` : hex(c.userId).slice(0, 8)),
      userId: hex(c.userId),
      verified: c.verified,
      identityChanged: c.pendingIdentity !== undefined,
    }));
    if (booleanFlag(ctx.args, "json")) return println(ctx, JSON.stringify(list));
    if (list.length === 0) return println(ctx, 'no contacts yet: `parley send @handle "hi"` adds one');
    for (const c of list)
      println(
        ctx,
        `${c.handle ? `@${c.handle}` : c.id}  ${c.name}${c.verified ? "  ✓ verified" : ""}${c.identityChanged ? "  ⚠ identity changed" : ""}`,
      );
  });
}

export function groups(ctx: CommandContext): Promise<number> {
  return withClient(ctx, async (client) => {
    const list = (await client.groups.list()).map((g) => ({
      id: g.id,
      name: g.name,
      description: g.description,
      active: g.active,
      admin: g.isAdmin,
      members: g.members.map((m) => ({
        userId: m.userId,
        ...(m.displayName !== undefined ? { name: m.displayName } : {}),
        role: m.role,
        self: m.self,
      })),
    }));
    if (booleanFlag(ctx.args, "json")) return println(ctx, JSON.stringify(list));
    if (list.length === 0) return println(ctx, "no groups yet");
    for (const g of list) {
      const members = g.members.map((m) => `${m.self ? "you" : (m.name ?? m.userId.slice(0, 8))}${m.role === "admin" ? "*" : ""}`);
      println(ctx, `${g.name}  (${g.members.length} members: ${members.join(", ")})${g.active ? "" : "  [left]"}  ${g.id}`);
    }
  });
}
