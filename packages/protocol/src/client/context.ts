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
import type { ChatMessage } from "./conversation.js";
import { DEFAULT_UNSEALED_FALLBACK, type UnsealedFallback } from "./delivery-token.js";
import type { ClientEvents } from "./events.js";
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
  private readonly background = new Set<Promise<unknown>>();

  constructor(
    readonly deps: Deps,
    readonly store: Store,
    readonly local: LocalDevice,
    readonly connection: RelayConnection,
    /** Lazily opened connection without login, for sealed sends with delivery tokens. */
    readonly anonymous: () => RelayConnection,
    readonly emit: <K extends keyof ClientEvents>(event: K, payload: ClientEvents[K]) => void,
    /** What to do when a contact's delivery token is refused (see `ParleyClientOptions.unsealedFallback`). */
    readonly unsealedFallback: UnsealedFallback = DEFAULT_UNSEALED_FALLBACK,
  ) {
    this.pendingRepairs = new PendingRepairs(store);
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

  async message(contactId: string, id: string): Promise<{ key: string; message: ChatMessage } | undefined> {
    const keyBytes = await this.store.get(NS.messageIndex, `${contactId}/${id}`);
    if (!keyBytes) return undefined;
    const key = new TextDecoder().decode(keyBytes);
    const raw = await this.store.get(NS.messages, key);
    return raw ? { key, message: decodeRecord<ChatMessage>(raw) } : undefined;
  }

  async messages(contactId: string): Promise<ChatMessage[]> {
    return (await this.store.list(NS.messages, `${contactId}/`)).map(([, v]) => decodeRecord<ChatMessage>(v));
  }

  /**
   * Writes for a new message. Its key orders the conversation by our arrival time, then by
   * message id: unique without a counter, so concurrent batches cannot collide.
   */
  newMessageWrites(message: ChatMessage): StoreWrite[] {
    const key = `${message.contactId}/${String(message.receivedAt).padStart(15, "0")}-${message.id}`;
    return [
      { namespace: NS.messages, key, value: encodeRecord(message) },
      { namespace: NS.messageIndex, key: `${message.contactId}/${message.id}`, value: new TextEncoder().encode(key) },
    ];
  }

  updateMessageWrite(key: string, message: ChatMessage): StoreWrite {
    return { namespace: NS.messages, key, value: encodeRecord(message) };
  }
}
