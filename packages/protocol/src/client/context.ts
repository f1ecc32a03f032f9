/**
 * Shared state of one ParleyClient: dependencies, the local device, the relay connections,
 * the per-address session lock, and small typed helpers over the store (contacts, sessions,
 * messages). The incoming and outgoing halves of the client both work through it.
 */

import { bytesToHex as hex } from "../crypto/bytes.js";
import type { Deps } from "../deps.js";
import { type Address, addressKey } from "../keys/identity.js";
import type { SessionRecord } from "../session/record.js";
import { decodeSessionRecord, encodeSessionRecord } from "../session/serialize.js";
import type { ReceivedCallSignal } from "./calls/received.js";
import type { ChatMessage } from "./conversation.js";
import { DEFAULT_UNSEALED_FALLBACK, type UnsealedFallback } from "./delivery-token.js";
import type { ClientEvents } from "./events.js";
import { type History, HistoryStore, type MessagePageOptions, type StoredMessage } from "./history.js";
import { HISTORY_NS, indexKey } from "./history-layout.js";
import { KeyedLock } from "./keyed-lock.js";
import type { LocalDevice } from "./local-device.js";
import { type Contact, decodeRecord, encodeRecord, NS } from "./records.js";
import type { RelayConnection } from "./relay-connection.js";
import { PendingRepairs } from "./repair-limit.js";
import type { Store, StoreWrite } from "./store/store.js";

export class ClientContext {
  /** Serialises work on one remote device's session. */
  readonly lock = new KeyedLock();
  /** Devices recently refused as not listed (address key → when), so a flood of their messages costs one list fetch. */
  readonly refusedDevices = new Map<string, number>();
  /** Senders with a session repair waiting to be re-armed (repair-limit.ts). */
  readonly pendingRepairs: PendingRepairs;
  /** Orders outbox keys created in the same millisecond. */
  outboxSeq = 0;
  /** The running outbox flush, if any (one at a time). */
  flushing: Promise<void> | undefined;
  /** Set by close(): no new background work starts. */
  closed = false;
  /** Where received call signals go (calls/calls-api.ts sets it); dropped while unset. */
  onCallSignal: ((signal: ReceivedCallSignal) => void) | undefined;
  private readonly background = new Set<Promise<unknown>>();
  /**
   * The store, written through the history layer (history.ts): message batches also update the
   * conversations' buckets and summaries.
   */
  readonly store: Store;
  /** Conversation histories: pages, single messages, summaries. */
  readonly history: History;

  constructor(
    readonly deps: Deps,
    store: Store,
    readonly local: LocalDevice,
    readonly connection: RelayConnection,
    /** Lazily opened connection without login, for sealed sends with delivery tokens. */
    readonly anonymous: () => RelayConnection,
    readonly emit: <K extends keyof ClientEvents>(event: K, payload: ClientEvents[K]) => void,
    /** What to do when a contact's delivery token is refused (see `ParleyClientOptions.unsealedFallback`). */
    readonly unsealedFallback: UnsealedFallback = DEFAULT_UNSEALED_FALLBACK,
  ) {
    const writer = new HistoryStore(store);
    this.store = writer;
    this.history = writer.history;
    this.pendingRepairs = new PendingRepairs(this.store);
  }

  /** Our user id in hex. */
  get me(): string {
    return hex(this.local.userId);
  }

  private lastArrival = 0;

  now(): number {
    return this.deps.now ? this.deps.now() : Date.now();
  }

  /** The clock, but strictly increasing: messages stored in one millisecond keep their order. */
  arrivalTime(): number {
    this.lastArrival = Math.max(this.now(), this.lastArrival + 1);
    return this.lastArrival;
  }

  /** Runs `task` in the background (unless closed), reporting failures as `error` events; close() waits for it. */
  spawn(task: () => Promise<unknown>): void {
    if (this.closed) return;
    const running = task()
      .catch((error) => {
        if (!this.closed) this.emit("error", error instanceof Error ? error : new Error(String(error)));
      })
      .finally(() => this.background.delete(running));
    this.background.add(running);
  }

  /** Stops new background work and waits for what is running. */
  async settle(): Promise<void> {
    this.closed = true;
    while (this.background.size > 0 || this.flushing) {
      await Promise.allSettled([...this.background, this.flushing]);
    }
  }

  // ---- sessions -------------------------------------------------------------------------

  async loadRecord(address: Address): Promise<SessionRecord | undefined> {
    const raw = await this.store.get(NS.sessions, addressKey(address));
    return raw ? decodeSessionRecord(raw) : undefined;
  }

  recordWrite(address: Address, record: SessionRecord): StoreWrite {
    return { namespace: NS.sessions, key: addressKey(address), value: encodeSessionRecord(record) };
  }

  // ---- contacts -------------------------------------------------------------------------

  async contact(id: string): Promise<Contact | undefined> {
    const raw = await this.store.get(NS.contacts, id);
    return raw ? decodeRecord<Contact>(raw) : undefined;
  }

  async contactByUser(userIdHex: string): Promise<Contact | undefined> {
    const id = await this.store.get(NS.contactByUser, userIdHex);
    return id ? this.contact(new TextDecoder().decode(id)) : undefined;
  }

  async contacts(): Promise<Contact[]> {
    return (await this.store.list(NS.contacts)).map(([, v]) => decodeRecord<Contact>(v));
  }

  contactWrites(contact: Contact): StoreWrite[] {
    return [
      { namespace: NS.contacts, key: contact.id, value: encodeRecord(contact) },
      { namespace: NS.contactByUser, key: hex(contact.userId), value: new TextEncoder().encode(contact.id) },
    ];
  }

  // ---- messages -------------------------------------------------------------------------

  /** One message of a conversation with its store key, or undefined. */
  message(contactId: string, id: string): Promise<StoredMessage | undefined> {
    return this.history.message(contactId, id);
  }

  /** A conversation's messages in arrival order: all, or a page (history.ts). */
  messages(contactId: string, options?: MessagePageOptions): Promise<ChatMessage[]> {
    return this.history.page(contactId, options);
  }

  /**
   * Writes for a new message: an append the history layer turns into the message in its
   * conversation's newest bucket (ordered by our arrival time, then message id), its index entry
   * and the conversation's updated record, in the same batch.
   */
  newMessageWrites(message: ChatMessage): StoreWrite[] {
    return [{ namespace: HISTORY_NS.append, key: indexKey(message.contactId, message.id), value: encodeRecord(message) }];
  }

  /** Rewrites a stored message (key from `message`); the history layer updates the summary with it. */
  updateMessageWrite(key: string, message: ChatMessage): StoreWrite {
    return { namespace: NS.messages, key, value: encodeRecord(message) };
  }
}
