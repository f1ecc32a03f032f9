/**
 * ChatStore: the terminal view's one mirror of a ParleyClient. It subscribes once to the client's
 * events and keeps an immutable snapshot; each event replaces only its slice, and listeners hear
 * of changes at most once per microtask, so a burst of receipts costs one render. No protocol
 * logic here: the snapshot only mirrors what the client reports.
 */

import type {
  CallInfo,
  ChatMessage,
  ConnectionState,
  Contact,
  ConversationSummary,
  GroupInfo,
  ParleyClient,
} from "@parley/protocol/client";
import { ringsHere } from "./calls.js";

export interface PresenceInfo {
  readonly presence: "offline" | "online" | "away";
  readonly lastSeen?: number;
}

/** An upload or download with a progress bar, keyed by a local id. */
export interface Transfer {
  readonly direction: "up" | "down";
  readonly conversationId: string;
  readonly fileName: string;
  readonly loaded: number;
  readonly total: number;
}

/** A contact with its user id in hex (the form typing events and group members use). */
export type ContactView = Contact & { readonly userIdHex: string };

export interface Snapshot {
  readonly me: { readonly userId: string; readonly handle: string | undefined; readonly displayName: string };
  readonly connection: ConnectionState;
  /** Conversation ids, most recent activity first. */
  readonly conversations: readonly string[];
  readonly conversationsById: Readonly<Record<string, ConversationSummary>>;
  readonly contactsById: Readonly<Record<string, ContactView>>;
  readonly groupsById: Readonly<Record<string, GroupInfo>>;
  /** Loaded message ids per conversation, in arrival order. */
  readonly timelines: Readonly<Record<string, readonly string[]>>;
  readonly messagesById: Readonly<Record<string, ChatMessage>>;
  /** Conversation id → user ids (hex) typing now. */
  readonly typing: Readonly<Record<string, readonly string[]>>;
  /** Contact id → presence. */
  readonly presence: Readonly<Record<string, PresenceInfo>>;
  readonly transfers: Readonly<Record<string, Transfer>>;
  /** Incoming calls ringing on this device now, oldest first (the terminal never answers them). */
  readonly ringing: readonly CallInfo[];
}

/** A typing mark disappears after this long without a refresh (senders repeat while typing). */
export const TYPING_TIMEOUT_MS = 6_000;
/** Conversation summaries are re-read at most this often during bursts. */
const SUMMARY_REFRESH_MS = 100;
/** How many messages of a conversation are loaded when it opens. */
export const PAGE_SIZE = 200;

type Listener = () => void;

export class ChatStore {
  #snapshot: Snapshot;
  readonly #listeners = new Set<Listener>();
  #notifyScheduled = false;
  #offs: (() => void)[] = [];
  #summaryTimer: ReturnType<typeof setTimeout> | undefined;
  #refreshSeq = 0;
  readonly #typingTimers = new Map<string, ReturnType<typeof setTimeout>>();
  /** Called for each new incoming message (notifications). */
  onIncoming: ((message: ChatMessage) => void) | undefined;
  /** Called when a call starts ringing on this device (the bell). */
  onIncomingCall: ((call: CallInfo) => void) | undefined;

  constructor(readonly client: ParleyClient) {
    this.#snapshot = {
      me: { userId: client.userId, handle: client.handle, displayName: client.displayName },
      connection: client.connectionState,
      conversations: [],
      conversationsById: {},
      contactsById: {},
      groupsById: {},
      timelines: {},
      messagesById: {},
      typing: {},
      presence: {},
      transfers: {},
      ringing: [],
    };
  }

  readonly subscribe = (listener: Listener): (() => void) => {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  };

  readonly getSnapshot = (): Snapshot => this.#snapshot;

  /** Replaces the snapshot with `fn(snapshot)`; listeners hear once per microtask. */
  update(fn: (s: Snapshot) => Snapshot): void {
    const next = fn(this.#snapshot);
    if (next === this.#snapshot) return;
    this.#snapshot = next;
    if (this.#notifyScheduled) return;
    this.#notifyScheduled = true;
    queueMicrotask(() => {
      this.#notifyScheduled = false;
      for (const listener of [...this.#listeners]) listener();
    });
  }

  /** Follows the client's events, then reads contacts, groups and conversations. */
  async attach(): Promise<void> {
    const client = this.client;
    this.#offs = [
      client.on("message", (m) => this.#onMessage(m)),
      client.on("messageUpdated", (m) => this.update((s) => ({ ...s, messagesById: { ...s.messagesById, [m.id]: m } }))),
      client.on("typing", (t) => this.#onTyping(t.contactId, t.userId ?? this.#snapshot.contactsById[t.contactId]?.userIdHex, t.typing)),
      client.on("presence", (p) => this.#onPresence(p.contactId, p.presence, p.lastSeen)),
      client.on("identityChanged", (c) => this.#onContact(c)),
      client.on("contact", (c) => this.#onContact(c)),
      client.on("group", (g) => {
        this.update((s) => ({ ...s, groupsById: { ...s.groupsById, [g.id]: g } }));
        this.#scheduleSummaryRefresh();
      }),
      client.on("connection", (c) => this.update((s) => ({ ...s, connection: c.state }))),
      client.calls.on("incoming", (call) => {
        this.#onCall(call);
        if (ringsHere(call)) this.onIncomingCall?.(call);
      }),
      client.calls.on("state", (call) => this.#onCall(call)),
    ];
    const [contacts, groups] = await Promise.all([client.contacts(), client.groups.list()]);
    this.update((s) => {
      const contactsById: Record<string, ContactView> = {};
      const presence: Record<string, PresenceInfo> = {};
      for (const c of contacts) {
        contactsById[c.id] = withHex(c);
        if (c.presence) presence[c.id] = { presence: c.presence, ...(c.lastSeen === undefined ? {} : { lastSeen: c.lastSeen }) };
      }
      const groupsById: Record<string, GroupInfo> = {};
      for (const g of groups) groupsById[g.id] = g;
      return { ...s, contactsById, groupsById, presence };
    });
    await this.refreshConversations();
  }

  detach(): void {
    for (const off of this.#offs) off();
    this.#offs = [];
    clearTimeout(this.#summaryTimer);
    for (const timer of this.#typingTimers.values()) clearTimeout(timer);
    this.#typingTimers.clear();
  }

  /** Our own identity fields again (after claiming a handle). */
  refreshMe(): void {
    const c = this.client;
    this.update((s) => ({ ...s, me: { userId: c.userId, handle: c.handle, displayName: c.displayName } }));
  }

  /** Re-reads the conversation list. Reads can overlap: only the newest started one is applied, so a slow older read never brings back a stale unread count. */
  async refreshConversations(): Promise<void> {
    const seq = ++this.#refreshSeq;
    const list = await this.client.conversations();
    if (seq !== this.#refreshSeq) return;
    this.update((s) => {
      const conversationsById: Record<string, ConversationSummary> = {};
      for (const c of list) conversationsById[c.id] = c;
      const at = (c: ConversationSummary) => (c.lastMessage ? Math.max(c.lastMessage.receivedAt, c.lastMessage.sentAt) : 0);
      const conversations = [...list].sort((a, b) => at(b) - at(a) || (a.id < b.id ? -1 : 1)).map((c) => c.id);
      return { ...s, conversations, conversationsById };
    });
  }

  /** Loads the newest page of a conversation's messages. */
  async loadTimeline(conversationId: string): Promise<void> {
    const messages = await this.client.messages(conversationId, { limit: PAGE_SIZE });
    this.update((s) => {
      const messagesById = { ...s.messagesById };
      for (const m of messages) messagesById[m.id] = m;
      const loaded = messages.map((m) => m.id);
      // Messages that arrived while the page was read stay at the end.
      const later = (s.timelines[conversationId] ?? []).filter((id) => !loaded.includes(id));
      return { ...s, messagesById, timelines: { ...s.timelines, [conversationId]: [...loaded, ...later] } };
    });
  }

  setTransfer(key: string, transfer: Transfer | undefined): void {
    this.update((s) => {
      const transfers = { ...s.transfers };
      if (transfer) transfers[key] = transfer;
      else delete transfers[key];
      return { ...s, transfers };
    });
  }

  /** Adds a message we just sent (the SDK resolves with it; no event comes for our own sends). */
  addOwn(m: ChatMessage): void {
    this.#onMessage(m, false);
  }

  #onMessage(m: ChatMessage, notify = true): void {
    this.update((s) => {
      const timeline = s.timelines[m.contactId];
      const timelines = timeline && !timeline.includes(m.id) ? { ...s.timelines, [m.contactId]: [...timeline, m.id] } : s.timelines;
      const typers = s.typing[m.contactId];
      const typing = typers?.includes(m.sender) ? { ...s.typing, [m.contactId]: typers.filter((u) => u !== m.sender) } : s.typing;
      return { ...s, messagesById: { ...s.messagesById, [m.id]: m }, timelines, typing };
    });
    if (notify && !m.outgoing && m.kind !== "notice") this.onIncoming?.(m);
    this.#scheduleSummaryRefresh();
  }

  /** Keeps `ringing` to the calls that ring here: a call that was answered elsewhere, ended or declined leaves it. */
  #onCall(call: CallInfo): void {
    this.update((s) => {
      const others = s.ringing.filter((c) => c.id !== call.id);
      if (ringsHere(call)) return { ...s, ringing: [...others, call] };
      return others.length === s.ringing.length ? s : { ...s, ringing: others };
    });
  }

  #onTyping(conversationId: string, userId: string | undefined, typing: boolean): void {
    if (!userId) return;
    const key = `${conversationId}\n${userId}`;
    clearTimeout(this.#typingTimers.get(key));
    this.#typingTimers.delete(key);
    if (typing)
      this.#typingTimers.set(
        key,
        setTimeout(() => this.#onTyping(conversationId, userId, false), TYPING_TIMEOUT_MS),
      );
    this.update((s) => {
      const now = s.typing[conversationId] ?? [];
      if (now.includes(userId) === typing) return s;
      const next = typing ? [...now, userId] : now.filter((u) => u !== userId);
      return { ...s, typing: { ...s.typing, [conversationId]: next } };
    });
  }

  #onPresence(contactId: string, presence: PresenceInfo["presence"], lastSeen: number | undefined): void {
    this.update((s) => ({
      ...s,
      presence: { ...s.presence, [contactId]: { presence, ...(lastSeen === undefined ? {} : { lastSeen }) } },
    }));
  }

  #onContact(c: Contact): void {
    this.update((s) => ({ ...s, contactsById: { ...s.contactsById, [c.id]: withHex(c) } }));
    this.#scheduleSummaryRefresh();
  }

  #scheduleSummaryRefresh(): void {
    if (this.#summaryTimer !== undefined) return;
    this.#summaryTimer = setTimeout(() => {
      this.#summaryTimer = undefined;
      this.refreshConversations().catch(() => {});
    }, SUMMARY_REFRESH_MS);
  }
}

export function toHex(bytes: Uint8Array): string {
  let out = "";
  for (const b of bytes) out += b.toString(16).padStart(2, "0");
  return out;
}

function withHex(c: Contact): ContactView {
  return { ...c, userIdHex: toHex(c.userId) };
}

/** A conversation's title: the group name, or the contact's display name / @handle. */
export function conversationTitle(s: Snapshot, id: string): string {
  const group = s.groupsById[id] ?? s.conversationsById[id]?.group;
  if (group) return `# ${group.name}`;
  const contact = s.contactsById[id] ?? s.conversationsById[id]?.contact;
  return contact?.displayName ?? (contact?.handle ? `@${contact.handle}` : id.slice(0, 8));
}

/** A user's name as shown beside messages: "you", a contact's or group member's name, or a short id. */
export function userName(s: Snapshot, userId: string, conversationId?: string): string {
  if (userId === s.me.userId) return "you";
  for (const c of Object.values(s.contactsById))
    if (c.userIdHex === userId) return c.displayName ?? (c.handle ? `@${c.handle}` : userId.slice(0, 8));
  const member = conversationId ? s.groupsById[conversationId]?.members.find((m) => m.userId === userId) : undefined;
  return member?.displayName ?? userId.slice(0, 8);
}
