/**
 * `parley read [--json] [--follow]`. "Unread" is what the SDK counts: messages received on this
 * device and not yet marked read (notices excluded). So no mail is lost, it connects, waits until
 * the relay has sent everything it queued for this device (`synced`) and the client has stored
 * it, then prints the unread messages oldest first, marks them read, and waits until the read
 * receipts reached the relay. Changes that arrived meanwhile (reactions, edits, deletes) and
 * notices print as lines of their own. `--follow` then keeps printing as messages arrive, and
 * sends for `parley send` through the control socket, until SIGINT/SIGTERM.
 */

import type { ChatMessage, ParleyClient } from "@parley/protocol/client";
import { booleanFlag } from "../args.js";
import { type CommandContext, connectClient, flushWithin, passphraseOf, println, RELAY_DEADLINE_MS, requireAccount } from "../context.js";
import { serveControl } from "../control.js";
import { CliError, ExitCode, formatError } from "../errors.js";
import { type Author, changesBetween, type MessageEvent, type Names, toJson, toText, withOutgoing } from "../message-line.js";
import { openClient } from "../profile.js";
import { performSend } from "./send.js";

/** Messages per conversation kept to tell what a change changed (the newest, seeded at start). */
const SEEN_PER_CONVERSATION = 100;
/** Messages remembered in all (a long --follow run must not grow without end). */
const SEEN_MAX = 20_000;

const hex = (bytes: Uint8Array) => Buffer.from(bytes).toString("hex");

/** Names of people and groups, refreshed from the client when one is missing. */
class NameBook implements Names {
  private authors = new Map<string, Author>();
  private groups = new Map<string, string>();
  readonly quotes = new Map<string, string>();

  constructor(private readonly client: ParleyClient) {}

  async refresh(): Promise<void> {
    const authors = new Map<string, Author>();
    authors.set(this.client.userId, {
      ...(this.client.handle ? { handle: this.client.handle } : {}),
      name: this.client.displayName,
      userId: this.client.userId,
    });
    for (const contact of await this.client.contacts()) {
      const userId = hex(contact.userId);
      authors.set(userId, {
        ...(contact.handle ? { handle: contact.handle } : {}),
        name: contact.displayName ?? (contact.handle ? `@${contact.handle}` : userId.slice(0, 8)),
        userId,
      });
    }
    this.authors = authors;
    this.groups = new Map((await this.client.groups.list()).map((g) => [g.id, g.name]));
  }

  /** Set when a contact or group changed: names are read again before the next line. */
  stale = false;

  /** Makes sure the names and the quoted text `event` needs are at hand. */
  async prepare(event: MessageEvent): Promise<void> {
    const m = event.message;
    const actor = event.type === "reaction" ? event.actor : m.sender;
    if (this.stale || !this.authors.has(actor) || (m.contactId.startsWith("group:") && !this.groups.has(m.contactId))) {
      this.stale = false;
      await this.refresh();
    }
    if (event.type === "message" && m.replyTo !== undefined && !this.quotes.has(m.replyTo)) {
      const quoted = await this.client.message(m.contactId, m.replyTo).catch(() => undefined);
      if (quoted) this.quotes.set(m.replyTo, quoted.text);
    }
  }

  author(userId: string): Author {
    return this.authors.get(userId) ?? { name: userId.slice(0, 8), userId };
  }

  groupName(conversationId: string): string | undefined {
    return conversationId.startsWith("group:") ? (this.groups.get(conversationId) ?? "") : undefined;
  }

  quoted(message: ChatMessage): string | undefined {
    return message.replyTo !== undefined ? this.quotes.get(message.replyTo) : undefined;
  }
}

/** The latest version of messages seen, to tell what a `messageUpdated` changed. */
class SeenMessages {
  private readonly byKey = new Map<string, ChatMessage>();
  private key = (m: Pick<ChatMessage, "contactId" | "id">) => `${m.contactId}/${m.id}`;

  get(m: ChatMessage): ChatMessage | undefined {
    return this.byKey.get(this.key(m));
  }

  set(m: ChatMessage): void {
    const key = this.key(m);
    this.byKey.delete(key);
    this.byKey.set(key, m);
    if (this.byKey.size > SEEN_MAX) this.byKey.delete(this.byKey.keys().next().value as string);
  }
}

/** The unread messages of every conversation, oldest first (pages back until each conversation's count is found). */
async function unreadMessages(client: ParleyClient): Promise<ChatMessage[]> {
  const out: ChatMessage[] = [];
  for (const conversation of await client.conversations()) {
    if (conversation.unread === 0) continue;
    const found: ChatMessage[] = [];
    let before: string | undefined;
    for (;;) {
      const page = await client.messages(conversation.id, { limit: 200, ...(before !== undefined ? { before } : {}) });
      found.push(...page.filter((m) => !m.outgoing && m.status === "received" && m.kind !== "notice"));
      if (found.length >= conversation.unread || page.length < 200) break;
      before = page[0]?.id;
    }
    out.push(...found);
  }
  return out.sort((a, b) => a.receivedAt - b.receivedAt);
}

export async function read(ctx: CommandContext): Promise<number> {
  const json = booleanFlag(ctx.args, "json");
  const follow = booleanFlag(ctx.args, "follow");
  requireAccount(ctx);
  const passphrase = await passphraseOf(ctx);
  const client = await openClient(ctx.options, passphrase);
  const names = new NameBook(client);
  const seen = new SeenMessages();
  /** Ids printed (or to be printed) as new messages: never twice. */
  const printed = new Set<string>();
  /** Events before the first print (arrival order), then nothing: live events print at once. */
  let pending: Array<{ at: number; event: MessageEvent }> | undefined = [];
  let printing = Promise.resolve();

  const emit = (event: MessageEvent) => {
    printing = printing.then(async () => {
      await names.prepare(event);
      const line = withOutgoing(toJson(event, names, Date.now()), client.userId);
      println(ctx, json ? JSON.stringify(line) : toText(line));
      if (follow && event.type === "message" && !event.message.outgoing && event.message.kind !== "notice" && event.message.kind !== "call")
        await client.markRead(event.message.contactId, [event.message.id]).catch(() => undefined);
    });
  };
  const report = (event: MessageEvent) => {
    if (pending) pending.push({ at: Date.now(), event });
    else emit(event);
  };

  let stop: (() => void) | undefined;
  const stopped = new Promise<void>((resolve) => {
    stop = resolve;
  });
  client.on("message", (message) => {
    seen.set(message);
    // Our own sends from this process (sent for `parley send` while following) are not mail.
    if (message.outgoing && message.senderDevice === client.deviceId) return;
    if (printed.has(message.id)) return;
    printed.add(message.id);
    report({ type: "message", message });
  });
  client.on("messageUpdated", (message) => {
    const before = seen.get(message);
    seen.set(message);
    for (const change of changesBetween(before, message)) report(change);
  });
  const namesChanged = () => {
    names.stale = true;
  };
  client.on("contact", namesChanged);
  client.on("group", namesChanged);
  client.on("error", (error) => {
    if ((error as { code?: unknown }).code === "ERR_STORE_TAKEN_OVER") stop?.();
    if (process.env.PARLEY_DEBUG) ctx.stderr.write(formatError(error, true).text);
  });

  let closeControl: (() => Promise<void>) | undefined;
  const onSignal = () => stop?.();
  // From the start, so a signal during the first sync still ends in a clean close.
  if (follow) {
    process.once("SIGINT", onSignal);
    process.once("SIGTERM", onSignal);
  }
  try {
    // Seed what each conversation's recent messages look like, so later changes can be told apart.
    for (const conversation of await client.conversations())
      for (const m of await client.messages(conversation.id, { limit: SEEN_PER_CONVERSATION })) seen.set(m);
    await names.refresh();

    const synced = client.once("synced");
    await connectClient(client, ctx);
    let timer: NodeJS.Timeout | undefined;
    const late = new Promise<false>((resolve) => {
      timer = setTimeout(() => resolve(false), RELAY_DEADLINE_MS);
    });
    const drained = await Promise.race([synced.then(() => true as const), late]);
    clearTimeout(timer);
    if (!drained) throw new CliError(ExitCode.Failure, "the relay did not finish sending this device's queued mail in time; try again");

    const unread = await unreadMessages(client);
    const unreadIds = new Set(unread.map((m) => m.id));
    for (const m of unread) printed.add(m.id);
    const early = (pending ?? []).filter(({ event }) => !(event.type === "message" && unreadIds.has(event.message.id)));
    pending = undefined;
    const all = [...unread.map((message) => ({ at: message.receivedAt, event: { type: "message", message } as MessageEvent })), ...early];
    all.sort((a, b) => a.at - b.at);
    for (const { event } of all) emit(event);
    await printing;
    for (const conversation of new Set(unread.map((m) => m.contactId))) await client.markRead(conversation);

    if (follow) {
      closeControl = await serveControl(ctx.options, passphrase, async (request) => {
        const id = await performSend(client, request);
        if (!(await flushWithin(client, RELAY_DEADLINE_MS)))
          throw new CliError(ExitCode.Failure, "the message is queued, but the relay has not taken it yet");
        return id;
      }).catch((error: unknown) => {
        ctx.stderr.write(`parley: \`parley send\` cannot hand messages to this process (${(error as Error).message})\n`);
        return undefined;
      });
      await stopped;
      await printing;
    }
    await flushWithin(client, follow ? 3_000 : RELAY_DEADLINE_MS);
    return ExitCode.Ok;
  } finally {
    process.off("SIGINT", onSignal);
    process.off("SIGTERM", onSignal);
    await closeControl?.();
    await client.close();
  }
}
