/**
 * Runs a parsed command against the ParleyClient and reports back through the view's callbacks.
 * The only place the view calls the SDK for commands; everything shown comes from the store.
 */
import { existsSync } from "node:fs";
import { mkdir, open, rename, rm } from "node:fs/promises";
import { basename, extname, join, resolve } from "node:path";
import type { ChatMessage, ParleyClient } from "@parley/protocol/client";
import { isGroupConversation } from "@parley/protocol/client";
import { renderUnicodeCompact } from "uqr";
import { downloadsDir, type ProfileOptions } from "../profile.js";
import { COMMAND_HELP, type Command, type MessageRef } from "./commands.js";
import { emojiFromArg, replaceShortcodes } from "./emoji.js";
import { formatSize, progressBar } from "./format.js";
import type { ChatStore } from "./store.js";

/** The keys, for /help. */
export const KEY_HELP: readonly (readonly [string, string])[] = [
  ["Tab", "switch between the list and the input (or take the emoji completion)"],
  ["Ctrl+N / Ctrl+P, Alt+↓ / Alt+↑", "next / previous conversation"],
  ["↑ / ↓", "input history (in the list: move)"],
  ["PgUp / PgDn", "scroll the messages"],
  ["Esc", "close this panel"],
  ["Ctrl+C", "quit"],
];

export interface ActionContext {
  readonly client: ParleyClient;
  readonly store: ChatStore;
  readonly options: ProfileOptions;
  /** The focused conversation. */
  readonly conversationId: string | undefined;
  select(conversationId: string): void;
  status(text: string, kind?: "info" | "error" | "progress"): void;
  /** Shows lines in place of the message pane (Esc closes). */
  panel(title: string, lines: readonly string[]): void;
  quit(): void;
  /** A pending device link approval, kept between `/link REQUEST` and `/link confirm CODE`. */
  link: { pending?: Awaited<ReturnType<ParleyClient["approveLink"]>> | undefined };
}

function need(ctx: ActionContext): string {
  if (!ctx.conversationId) throw new UsageError("Open a conversation first: /msg @handle");
  return ctx.conversationId;
}

/** A mistake in how a command was used, shown as is. */
export class UsageError extends Error {}

/** The message a reference points to: number N of the pane, or the last one that fits. */
export function resolveRef(
  ids: readonly string[],
  messages: Readonly<Record<string, ChatMessage>>,
  ref: MessageRef,
  fits: (m: ChatMessage) => boolean = () => true,
): ChatMessage {
  if (ref === "last") {
    for (let i = ids.length - 1; i >= 0; i--) {
      const m = messages[ids[i] as string];
      if (m && m.kind !== "notice" && !m.deleted && fits(m)) return m;
    }
    throw new UsageError("There is no such message here.");
  }
  const m = messages[ids[ref - 1] ?? ""];
  if (!m) throw new UsageError(`There is no message ${ref} here.`);
  if (!fits(m)) throw new UsageError(`Message ${ref} cannot be used for that.`);
  return m;
}

/** User ids (hex) of the group members an `@name` in `text` names. */
function mentionsIn(ctx: ActionContext, conversationId: string, text: string): string[] {
  const group = ctx.store.getSnapshot().groupsById[conversationId];
  if (!group) return [];
  const words = new Set([...text.matchAll(/@([\p{L}\p{N}_]+)/gu)].map((m) => (m[1] as string).toLowerCase()));
  const contacts = ctx.store.getSnapshot().contactsById;
  return group.members
    .filter((member) => {
      if (member.self) return false;
      const contact = member.contactId ? contacts[member.contactId] : undefined;
      return [contact?.handle, member.displayName].some((n) => n && words.has(n.toLowerCase()));
    })
    .map((member) => member.userId);
}

async function contactFor(ctx: ActionContext, handle: string): Promise<string> {
  return (await ctx.client.findContact(handle)).id;
}

/** Runs `command`; errors propagate to the caller, which shows them on the status line. */
export async function runCommand(ctx: ActionContext, command: Command): Promise<void> {
  const { client, store } = ctx;
  const timeline = () => store.getSnapshot().timelines[ctx.conversationId ?? ""] ?? [];
  const messages = () => store.getSnapshot().messagesById;
  switch (command.kind) {
    case "text": {
      const id = need(ctx);
      const text = replaceShortcodes(command.text);
      const mentions = mentionsIn(ctx, id, text);
      await client.sendText(id, text, mentions.length > 0 ? { mentions } : {});
      return;
    }
    case "msg": {
      const id = await contactFor(ctx, command.handle);
      ctx.select(id);
      await store.refreshConversations();
      if (command.text) await client.sendText(id, replaceShortcodes(command.text));
      ctx.status(`Conversation with @${command.handle}.`);
      return;
    }
    case "reply": {
      const id = need(ctx);
      const target = resolveRef(timeline(), messages(), command.ref);
      const text = replaceShortcodes(command.text);
      const mentions = mentionsIn(ctx, id, text);
      await client.sendText(id, text, { replyTo: target.id, ...(mentions.length > 0 ? { mentions } : {}) });
      return;
    }
    case "react": {
      const id = need(ctx);
      const emoji = emojiFromArg(command.emoji);
      if (!emoji) throw new UsageError(`${command.emoji} is not an emoji or a known :shortcode:.`);
      const target = resolveRef(timeline(), messages(), command.ref);
      await client.react(id, target.id, emoji);
      return;
    }
    case "edit": {
      const id = need(ctx);
      const target = resolveRef(timeline(), messages(), command.ref, (m) => m.outgoing && m.kind === "text");
      await client.edit(id, target.id, replaceShortcodes(command.text));
      return;
    }
    case "delete": {
      const id = need(ctx);
      const target = resolveRef(timeline(), messages(), command.ref, (m) => m.outgoing || isGroupConversation(id));
      await client.deleteMessage(id, target.id);
      ctx.status("Deleted for everyone.");
      return;
    }
    case "file":
      return sendFile(ctx, need(ctx), resolve(command.path.replace(/^~(?=\/|$)/, process.env.HOME ?? "~")));
    case "save": {
      need(ctx);
      const target = resolveRef(timeline(), messages(), command.ref, (m) => m.kind === "attachment" && m.attachment !== undefined);
      return saveFile(ctx, target, command.dir ? resolve(command.dir) : downloadsDir(ctx.options));
    }
    case "group":
      return runGroup(ctx, command.group);
    case "verify": {
      const id = need(ctx);
      if (isGroupConversation(id)) throw new UsageError("Verify a person in your 1:1 conversation with them.");
      const number = await client.safetyNumber(id);
      const qr = renderUnicodeCompact([...number.qrPayload], { border: 1 }).split("\n");
      ctx.panel("Safety number: compare with your contact's screen, or scan", [
        ...chunk(number.display.split(" "), 4).map((g) => `  ${g.join(" ")}`),
        "",
        ...qr,
      ]);
      return;
    }
    case "accept": {
      const id = need(ctx);
      await client.acceptIdentity(id);
      ctx.status("New identity accepted; you can send again. Verify it with /verify.");
      return;
    }
    case "devices": {
      ctx.panel(
        "Devices",
        client.devices.map((d) => `  ${d}${d === client.deviceId ? "  (this device)" : ""}${d === 1 ? "  primary" : ""}`),
      );
      return;
    }
    case "link":
      return runLink(ctx, command);
    case "unlink":
      if (command.device === client.deviceId) throw new UsageError("That is this device.");
      await client.removeDevice(command.device);
      ctx.status(`Device ${command.device} removed.`);
      return;
    case "settings": {
      if (command.toggle) {
        const field = command.toggle === "receipts" ? "readReceipts" : command.toggle === "typing" ? "typingIndicators" : "presence";
        await client.updateSettings({ [field]: !client.settings[field] });
      }
      const s = client.settings;
      const onOff = (v: boolean) => (v ? "on " : "off");
      ctx.panel("Settings", [
        `  read receipts      ${onOff(s.readReceipts)}   /settings receipts`,
        `  typing indicators  ${onOff(s.typingIndicators)}   /settings typing`,
        `  presence           ${onOff(s.presence)}   /settings presence`,
      ]);
      return;
    }
    case "help":
      ctx.panel("Help", [
        ...COMMAND_HELP.map(([syntax, what]) => `  ${syntax.padEnd(36)} ${what}`),
        "",
        ...KEY_HELP.map(([keys, what]) => `  ${keys.padEnd(36)} ${what}`),
      ]);
      return;
    case "quit":
      ctx.quit();
      return;
  }
}

async function runGroup(ctx: ActionContext, group: Extract<Command, { kind: "group" }>["group"]): Promise<void> {
  const { client } = ctx;
  if (group.op === "create") {
    const members = await Promise.all(group.members.map((h) => contactFor(ctx, h)));
    const info = await client.groups.create({ name: group.name, members });
    ctx.select(info.id);
    await ctx.store.refreshConversations();
    ctx.status(`Group “${info.name}” created with ${info.members.length} members.`);
    return;
  }
  const id = need(ctx);
  if (!isGroupConversation(id)) throw new UsageError("This is not a group conversation.");
  switch (group.op) {
    case "add":
      await client.groups.add(id, [await contactFor(ctx, group.member)]);
      return;
    case "remove":
      await client.groups.remove(id, [await contactFor(ctx, group.member)]);
      return;
    case "promote":
      await client.groups.promote(id, await contactFor(ctx, group.member));
      return;
    case "demote":
      await client.groups.demote(id, await contactFor(ctx, group.member));
      return;
    case "leave":
      await client.groups.leave(id);
      ctx.status("You left the group.");
      return;
    case "rename":
      await client.groups.rename(id, group.name);
      return;
    case "info": {
      const info = await client.groups.get(id);
      if (!info) throw new UsageError("No such group.");
      ctx.panel(`#${info.name}`, [
        ...(info.description ? [`  ${info.description}`, ""] : []),
        `  ${info.members.length} members${info.active ? "" : " (you left)"}; ${info.settings.send === "admins" ? "only admins send" : "everyone sends"}`,
        ...info.members.map(
          (m) =>
            `  ${m.role === "admin" ? "★" : " "} ${m.self ? "you" : (m.displayName ?? m.userId.slice(0, 8))}${m.contactId?.startsWith("@") ? ` ${m.contactId}` : ""}  ${m.role}`,
        ),
      ]);
      return;
    }
  }
}

async function runLink(ctx: ActionContext, command: Extract<Command, { kind: "link" }>): Promise<void> {
  const { client } = ctx;
  if (command.confirm !== undefined) {
    const pending = ctx.link.pending;
    if (!pending) throw new UsageError("No link to confirm: paste the new device's request first (/link REQUEST).");
    const approval = await pending.confirm(command.confirm);
    ctx.link.pending = undefined;
    ctx.panel("Link a device", ["Codes match. Give this approval to the new device:", "", approval]);
    return;
  }
  if (command.request === undefined) {
    ctx.panel("Link a device", [
      'On the new device, run `parley link` (or, in the web client, "Link to my account on another device") and copy the request it shows.',
      "Here, type /link REQUEST; compare the 40-digit codes, then /link confirm CODE.",
      client.isPrimary ? "" : "Only the account's primary device can link devices.",
    ]);
    return;
  }
  const pending = await client.approveLink(command.request);
  ctx.link.pending = pending;
  ctx.panel("Link a device", [
    `Device ${pending.deviceId} asks to join this account. Its code must match:`,
    "",
    `  ${chunk([...pending.code], 5)
      .map((g) => g.join(""))
      .join(" ")}`,
    "",
    "If it does, type /link confirm followed by the code the new device shows.",
  ]);
}

async function sendFile(ctx: ActionContext, conversationId: string, path: string): Promise<void> {
  const name = basename(path);
  const key = `up:${name}:${Date.now()}`;
  ctx.status(`Uploading ${name} ${progressBar(0, 1)}`, "progress");
  try {
    await ctx.client.sendFile(conversationId, path, {
      onProgress: ({ uploaded, total }) => {
        ctx.store.setTransfer(key, { direction: "up", conversationId, fileName: name, loaded: uploaded, total });
        ctx.status(`Uploading ${name} ${progressBar(uploaded, total)} of ${formatSize(total)}`, "progress");
      },
    });
    ctx.status(`Sent ${name}.`);
  } finally {
    ctx.store.setTransfer(key, undefined);
  }
}

/** A file name safe to write: the base name only, without control characters. */
export function safeFileName(name: string): string {
  const base = basename(name.replace(/\\/g, "/")).replace(/\p{Cc}/gu, "");
  return base === "" || base === "." || base === ".." ? "file" : base;
}

async function saveFile(ctx: ActionContext, message: ChatMessage, dir: string): Promise<void> {
  const attachment = message.attachment;
  if (!attachment) throw new UsageError("That message has no file.");
  await mkdir(dir, { recursive: true });
  const name = safeFileName(attachment.fileName);
  let target = join(dir, name);
  for (let i = 1; existsSync(target); i++) target = join(dir, `${basename(name, extname(name))} (${i})${extname(name)}`);
  const part = `${target}.part`;
  const key = `down:${message.id}`;
  let loaded = 0;
  const total = attachment.size;
  const show = () => {
    ctx.store.setTransfer(key, { direction: "down", conversationId: message.contactId, fileName: attachment.fileName, loaded, total });
    ctx.status(`Downloading ${name} ${progressBar(loaded, total)} of ${formatSize(total)}`, "progress");
  };
  show();
  try {
    // The stream's last piece comes only after the whole digest matched: rename only then.
    const file = await open(part, "w", 0o600);
    try {
      for await (const piece of ctx.client.openAttachment(message)) {
        await file.write(piece);
        loaded += piece.byteLength;
        show();
      }
    } finally {
      await file.close();
    }
    await rename(part, target);
    ctx.status(`Saved ${target}`);
  } catch (error) {
    await rm(part, { force: true });
    throw error;
  } finally {
    ctx.store.setTransfer(key, undefined);
  }
}

function chunk<T>(items: readonly T[], size: number): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += size) out.push(items.slice(i, i + size));
  return out;
}
