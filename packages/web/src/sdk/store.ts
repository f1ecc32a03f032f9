/**
 * ParleyStore: the web client's one view of a ParleyClient. It subscribes once to every client
 * event and keeps an immutable, normalized Snapshot; each event replaces only its slice, and
 * listeners are told at most once per microtask, so a burst of 200 receipts costs one React pass.
 * Components read it through `useParley(selector)` (hooks.ts). No protocol logic here: the
 * snapshot only mirrors what the client reports.
 */
import { toHex } from "@parley/protocol";
import type { ChatMessage, ConnectionState, Contact, ConversationSummary, GroupInfo, ParleyClient } from "@parley/protocol/client";

/** Where the app is: before an account exists, locked, displaced by another tab, or chatting. */
export type Phase = "starting" | "onboarding" | "locked" | "taken" | "ready" | "failed";

export interface Me {
  readonly userId: string;
  readonly deviceId: number;
  readonly handle: string | undefined;
  readonly displayName: string;
}

/** The loaded part of one conversation's history: message ids in arrival order. */
export interface Timeline {
  readonly ids: readonly string[];
  /** True while older messages may exist beyond `ids[0]`. */
  readonly hasOlder: boolean;
  readonly loading: boolean;
}

/** An upload or download the view shows a progress bar for, keyed by message id (or upload id). */
export interface Transfer {
  readonly direction: "up" | "down";
  readonly loaded: number;
  readonly total: number;
  readonly state: "active" | "done" | "failed" | "cancelled";
  readonly error?: string;
  /** Uploads: the conversation, the file's name, and the SDK's upload id once known (to resume or discard). */
  readonly conversationId?: string;
  readonly fileName?: string;
  readonly uploadId?: string;
}

export interface Toast {
  readonly id: number;
  readonly kind: "info" | "error" | "message";
  readonly text: string;
  /** For a message toast: the conversation to open when clicked. */
  readonly conversationId?: string;
}

export interface PresenceInfo {
  readonly presence: "offline" | "online" | "away";
  /** Our clock: when the contact was last seen online (SDK `lastSeen`, or when we saw it go offline). */
  readonly lastSeen?: number;
}

export interface Snapshot {
  readonly phase: Phase;
  /** Why the app could not start (phase "failed"), for people. */
  readonly failure?: string;
  readonly me?: Me;
  /** This account's device ids, from the newest signed device list this device has (SDK `devices` event). */
  readonly devices: readonly number[];
  readonly connection: { readonly state: ConnectionState; readonly code?: number; readonly reason?: string };
  /** True once everything queued at the relay while we were away has arrived. */
  readonly synced: boolean;
  /** Conversation ids, most recent activity first. */
  readonly conversations: readonly string[];
  readonly conversationsById: Readonly<Record<string, ConversationSummary>>;
  readonly contactsById: Readonly<Record<string, ContactView>>;
  readonly groupsById: Readonly<Record<string, GroupInfo>>;
  readonly timelines: Readonly<Record<string, Timeline>>;
  /** Messages of loaded timelines (and last messages), by message id. */
  readonly messagesById: Readonly<Record<string, ChatMessage>>;
  /** Conversation id → user ids (hex) typing now. */
  readonly typing: Readonly<Record<string, readonly string[]>>;
  /** Contact id → presence. */
  readonly presence: Readonly<Record<string, PresenceInfo>>;
  /** Contact id → the contact whose identity changed; sending is blocked until accepted. */
  readonly identityAlerts: Readonly<Record<string, Contact>>;
  readonly transfers: Readonly<Record<string, Transfer>>;
  readonly toasts: readonly Toast[];
}

export const initialSnapshot: Snapshot = {
  phase: "starting",
  connection: { state: "closed" as ConnectionState },
  synced: false,
  devices: [],
  conversations: [],
  conversationsById: {},
  contactsById: {},
  groupsById: {},
  timelines: {},
  messagesById: {},
  typing: {},
  presence: {},
  identityAlerts: {},
  transfers: {},
  toasts: [],
};

/** A typing line disappears after this long without a refresh (the sender repeats while typing). */
export const TYPING_TIMEOUT_MS = 6_000;
/** Conversation summaries are re-read at most this often during bursts. */
const SUMMARY_REFRESH_MS = 100;
/** Toasts shown at once; older ones drop. */
const MAX_TOASTS = 4;

type Listener = () => void;

export class ParleyStore {
  #snapshot: Snapshot = initialSnapshot;
  readonly #listeners = new Set<Listener>();
  #notifyScheduled = false;
  #client: ParleyClient | undefined;
  #detach: (() => void) | undefined;
  #summaryTimer: ReturnType<typeof setTimeout> | undefined;
  readonly #typingTimers = new Map<string, ReturnType<typeof setTimeout>>();
  #toastSeq = 0;

  /** For useSyncExternalStore: stable function identities. */
  readonly subscribe = (listener: Listener): (() => void) => {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  };

  readonly getSnapshot = (): Snapshot => this.#snapshot;

  get client(): ParleyClient | undefined {
    return this.#client;
  }

  /** Replaces the snapshot with `fn(snapshot)`; listeners hear about it once per microtask. */
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

  setPhase(phase: Phase, failure?: string): void {
    this.update((s) => ({ ...s, phase, ...(failure === undefined ? {} : { failure }) }));
  }

  /** Shows a toast; returns its id. Errors stay until dismissed or pushed out. */
  toast(kind: Toast["kind"], text: string, conversationId?: string): number {
    const id = ++this.#toastSeq;
    const toast: Toast = { id, kind, text, ...(conversationId ? { conversationId } : {}) };
    this.update((s) => ({ ...s, toasts: [...s.toasts, toast].slice(-MAX_TOASTS) }));
    return id;
  }

  dismissToast(id: number): void {
    this.update((s) => (s.toasts.some((t) => t.id === id) ? { ...s, toasts: s.toasts.filter((t) => t.id !== id) } : s));
  }

  setTransfer(key: string, transfer: Transfer | undefined): void {
    this.update((s) => {
      const transfers = { ...s.transfers };
      if (transfer) transfers[key] = transfer;
      else delete transfers[key];
      return { ...s, transfers };
    });
  }

  #shellShown = false;
  #onShellShown: Array<() => void> = [];

  /** Runs `fn` once the shell has been shown (now, if it has): see `shellShown`. */
  whenShellShown(fn: () => void): void {
    if (this.#shellShown) fn();
    else this.#onShellShown.push(fn);
  }

  /** Called by the shell after its first paint (an effect); runs what waited for it, once. */
  shellShown(): void {
    if (this.#shellShown) return;
    this.#shellShown = true;
    const waiting = this.#onShellShown;
    this.#onShellShown = [];
    for (const fn of waiting) fn();
  }

  /** Starts mirroring `client`: reads contacts, groups and conversations, then follows events. */
  async attach(client: ParleyClient): Promise<void> {
    this.#detach?.();
    this.#client = client;
    const offs = [
      client.on("message", (m) => this.#onMessage(m)),
      client.on("messageUpdated", (m) => this.#onMessageUpdated(m)),
      client.on("typing", (t) => this.#onTyping(t.contactId, t.userId ?? this.#snapshot.contactsById[t.contactId]?.userIdHex, t.typing)),
      client.on("presence", (p) => this.#onPresence(p.contactId, p.presence, (p as { lastSeen?: number }).lastSeen)),
      client.on("identityChanged", (c) => this.#onContact(c)),
      client.on("contact", (c) => this.#onContact(c)),
      client.on("group", (g) => this.#onGroup(g)),
      client.on("connection", (c) => this.update((s) => ({ ...s, connection: c, ...(c.state === "ready" ? {} : { synced: false }) }))),
      client.on("synced", () => this.update((s) => ({ ...s, synced: true }))),
      // Our own profile and device list: renamed here or on our primary device; devices linked or removed.
      client.on("profile", () => this.refreshMe()),
      client.on("devices", (d) => this.update((s) => ({ ...s, devices: d.deviceIds }))),
    ];
    this.#detach = () => {
      for (const off of offs) off();
      clearTimeout(this.#summaryTimer);
      for (const timer of this.#typingTimers.values()) clearTimeout(timer);
      this.#typingTimers.clear();
    };
    this.update((s) => ({ ...s, connection: { state: client.connectionState } }));
    this.refreshMe();
    // The three reads run at once; the conversation list is applied with them, in one pass.
    const [contacts, groups, list] = await Promise.all([client.contacts(), client.groups.list(), client.conversations()]);
    this.update((s) => {
      const contactsById: Record<string, ContactView> = {};
      const identityAlerts: Record<string, Contact> = {};
      const presence: Record<string, PresenceInfo> = {};
      for (const c of contacts) {
        contactsById[c.id] = withHex(c);
        if (c.pendingIdentity) identityAlerts[c.id] = c;
        if (c.presence) presence[c.id] = presenceOf(c);
      }
      const groupsById: Record<string, GroupInfo> = {};
      for (const g of groups) groupsById[g.id] = g;
      return { ...s, contactsById, groupsById, identityAlerts, presence };
    });
    this.#applyConversations(list);
  }

  /** Stops following the client (on close or logout). */
  detach(): void {
    this.#detach?.();
    this.#detach = undefined;
    this.#client = undefined;
  }

  /** Re-reads our own account (name, handle, devices) from the client, e.g. after claiming a handle. */
  refreshMe(): void {
    const client = this.#client;
    if (!client) return;
    const me: Me = { userId: client.userId, deviceId: client.deviceId, handle: client.handle, displayName: client.displayName };
    this.update((s) => ({ ...s, me, devices: client.devices }));
  }

  /** Re-reads the conversation list (summaries) now. */
  async refreshConversations(): Promise<void> {
    const client = this.#client;
    if (!client) return;
    this.#applyConversations(await client.conversations());
  }

  #applyConversations(list: readonly ConversationSummary[]): void {
    this.update((s) => {
      const conversationsById: Record<string, ConversationSummary> = {};
      const messagesById = { ...s.messagesById };
      for (const c of list) {
        conversationsById[c.id] = c;
        if (c.lastMessage) messagesById[c.lastMessage.id] = c.lastMessage;
      }
      const conversations = list
        .map((c) => ({ id: c.id, at: activity(c) }))
        .sort((a, b) => b.at - a.at || (a.id < b.id ? -1 : 1))
        .map((c) => c.id);
      return { ...s, conversations, conversationsById, messagesById };
    });
  }

  /** Sets a conversation's loaded timeline (from history.ts). */
  setTimeline(conversationId: string, messages: readonly ChatMessage[], hasOlder: boolean, mode: "replace" | "prepend"): void {
    this.update((s) => {
      const messagesById = { ...s.messagesById };
      for (const m of messages) messagesById[m.id] = m;
      const ids = messages.map((m) => m.id);
      const old = s.timelines[conversationId];
      const merged = mode === "prepend" && old ? [...ids.filter((id) => !old.ids.includes(id)), ...old.ids] : ids;
      return { ...s, messagesById, timelines: { ...s.timelines, [conversationId]: { ids: merged, hasOlder, loading: false } } };
    });
  }

  setTimelineLoading(conversationId: string, loading: boolean): void {
    this.update((s) => {
      const old = s.timelines[conversationId] ?? { ids: [], hasOlder: true, loading: false };
      return old.loading === loading ? s : { ...s, timelines: { ...s.timelines, [conversationId]: { ...old, loading } } };
    });
  }

  #scheduleSummaryRefresh(): void {
    if (this.#summaryTimer !== undefined) return;
    this.#summaryTimer = setTimeout(() => {
      this.#summaryTimer = undefined;
      this.refreshConversations().catch(() => {});
    }, SUMMARY_REFRESH_MS);
  }

  #onMessage(m: ChatMessage): void {
    this.update((s) => {
      const timeline = s.timelines[m.contactId];
      const timelines =
        timeline && !timeline.ids.includes(m.id)
          ? { ...s.timelines, [m.contactId]: { ...timeline, ids: [...timeline.ids, m.id] } }
          : s.timelines;
      // A message from someone ends their typing line.
      const typers = s.typing[m.contactId];
      const typing = typers?.includes(m.sender) ? { ...s.typing, [m.contactId]: typers.filter((u) => u !== m.sender) } : s.typing;
      return { ...s, messagesById: { ...s.messagesById, [m.id]: m }, timelines, typing };
    });
    this.#scheduleSummaryRefresh();
  }

  #onMessageUpdated(m: ChatMessage): void {
    this.update((s) => ({ ...s, messagesById: { ...s.messagesById, [m.id]: m } }));
    this.#scheduleSummaryRefresh();
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
      const has = now.includes(userId);
      if (has === typing) return s;
      const next = typing ? [...now, userId] : now.filter((u) => u !== userId);
      return { ...s, typing: { ...s.typing, [conversationId]: next } };
    });
  }

  #onPresence(contactId: string, presence: PresenceInfo["presence"], lastSeen: number | undefined): void {
    this.update((s) => {
      const before = s.presence[contactId];
      // Going offline: "last seen" is now, unless the SDK says otherwise.
      const seen = lastSeen ?? (presence === "offline" && before && before.presence !== "offline" ? Date.now() : before?.lastSeen);
      const info: PresenceInfo = { presence, ...(seen === undefined ? {} : { lastSeen: seen }) };
      return { ...s, presence: { ...s.presence, [contactId]: info } };
    });
  }

  #onContact(c: Contact): void {
    this.update((s) => {
      const identityAlerts = { ...s.identityAlerts };
      if (c.pendingIdentity) identityAlerts[c.id] = c;
      else delete identityAlerts[c.id];
      const presence = c.presence && !s.presence[c.id] ? { ...s.presence, [c.id]: presenceOf(c) } : s.presence;
      return { ...s, contactsById: { ...s.contactsById, [c.id]: withHex(c) }, identityAlerts, presence };
    });
    this.#scheduleSummaryRefresh();
  }

  #onGroup(g: GroupInfo): void {
    this.update((s) => ({ ...s, groupsById: { ...s.groupsById, [g.id]: g } }));
    this.#scheduleSummaryRefresh();
  }
}

/** A contact with its user id also in hex (the form typing/receipt events and group members use). */
export type ContactView = Contact & { readonly userIdHex: string };

function withHex(c: Contact): ContactView {
  return { ...c, userIdHex: toHex(c.userId) };
}

function presenceOf(c: Contact): PresenceInfo {
  const lastSeen = (c as { lastSeen?: number }).lastSeen;
  return { presence: c.presence ?? "offline", ...(lastSeen === undefined ? {} : { lastSeen }) };
}

function activity(c: ConversationSummary): number {
  return c.lastMessage ? Math.max(c.lastMessage.receivedAt, c.lastMessage.sentAt) : 0;
}
