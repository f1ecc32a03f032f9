/**
 * Conversation history over the store (layout: history-layout.ts): paged reads, one message by
 * id, per-conversation summaries, and the write side that keeps them right.
 *
 * The write side is a `Store` wrapper (`HistoryStore`) the client writes everything through.
 * Batches that touch no message pass straight on. A batch that appends (`HISTORY_NS.append`),
 * changes or removes messages is completed with the buckets' keys, the `message-index` entries
 * and the conversations' new history records, computed from the records as the earlier message
 * batches left them: message batches are prepared one after another, each once the one before
 * is durable, and every batch still reaches the store in call order. So a record always matches
 * the messages stored with it, whichever code path wrote them, with no lock held by callers.
 *
 * Stores written before this layout (messages under `<contactId>/<receivedAt>-<id>`) are moved
 * into buckets once, before the first history read or message write (`History.ready`), in
 * batches of at most `MIGRATION_BATCH` messages; a crash part-way leaves a store that the next
 * open finishes migrating.
 */

import type { ChatMessage } from "./conversation.js";
import {
  BUCKET_SIZE,
  bucketGroup,
  EMPTY_RECORD,
  HISTORY_NS,
  type HistoryRecord,
  indexKey,
  isUnread,
  LAYOUT_VERSION,
  MAX_PAGE_LIMIT,
  messageKey,
  parseKey,
  placeSuffix,
  suffixOf,
  withAppended,
  withUpdated,
} from "./history-layout.js";
import { decodeRecord, encodeRecord, NS } from "./records.js";
import type { Store, StoreWrite } from "./store/store.js";

/** Rewrites of one bucket in a batch from which its old values are read with one listing rather than one read each. */
const PREFETCH_LISTING = 8;

/** Messages moved per batch when an older store is migrated. */
export const MIGRATION_BATCH = 500;

/** Options of `ParleyClient.messages`: a page of history. */
export interface MessagePageOptions {
  /** At most this many messages (an integer from 1 to `MAX_PAGE_LIMIT`, 1,000); default: all. */
  readonly limit?: number | undefined;
  /** Only messages that arrived before the message with this id (it must be in the conversation); default: up to the newest. */
  readonly before?: string | undefined;
}

/** A message with its `messages` key. */
export interface StoredMessage {
  readonly key: string;
  readonly message: ChatMessage;
}

/** Per-conversation summary as kept in the history record. */
export interface HistorySummary {
  readonly lastMessage: ChatMessage | undefined;
  readonly unread: number;
  /** Arrival time of the last message. */
  readonly lastActivity: number | undefined;
}

const encoder = new TextEncoder();
const noop = () => {};
const decoder = new TextDecoder();

/** Checks `ParleyClient.messages` options: RangeError/TypeError on a bad limit or before. */
export function checkPageOptions(options: MessagePageOptions | undefined): void {
  if (options === undefined) return;
  if (typeof options !== "object" || options === null) throw new TypeError("options must be an object");
  const { limit, before } = options;
  if (limit !== undefined && (!Number.isInteger(limit) || limit < 1 || limit > MAX_PAGE_LIMIT))
    throw new RangeError(`limit must be an integer from 1 to ${MAX_PAGE_LIMIT}`);
  if (before !== undefined && typeof before !== "string") throw new TypeError("before must be a message id");
}

/** Reads and writes conversation histories in one store (the store given is the one the client writes through, e.g. claimed). */
export class History {
  #ready: Promise<void> | undefined;

  /** `bucketSize`: messages per bucket (tests use small ones to cross bucket edges often). */
  constructor(
    private readonly store: Store,
    private readonly bucketSize = BUCKET_SIZE,
  ) {}

  /** Migrates an older store on first call; every history read and write waits for it. A failed migration is tried again by the next call. */
  ready(): Promise<void> {
    this.#ready ??= migrate(this.store, this.bucketSize).catch((error: unknown) => {
      this.#ready = undefined;
      throw error;
    });
    return this.#ready;
  }

  /** A conversation's history record (buckets and summary), or undefined when it has no messages. */
  async record(conversationId: string): Promise<HistoryRecord | undefined> {
    await this.ready();
    return this.#record(conversationId);
  }

  async #record(conversationId: string): Promise<HistoryRecord | undefined> {
    const raw = await this.store.get(HISTORY_NS.records, conversationId);
    return raw ? decodeRecord<HistoryRecord>(raw) : undefined;
  }

  /** One message with its key, or undefined. */
  async message(conversationId: string, id: string): Promise<StoredMessage | undefined> {
    await this.ready();
    const keyBytes = await this.store.get(NS.messageIndex, indexKey(conversationId, id));
    if (!keyBytes) return undefined;
    const key = decoder.decode(keyBytes);
    const raw = await this.store.get(NS.messages, key);
    return raw ? { key, message: decodeRecord<ChatMessage>(raw) } : undefined;
  }

  /** Every message of a conversation, in arrival order (each bucket listed once). */
  async all(conversationId: string): Promise<ChatMessage[]> {
    const record = await this.record(conversationId);
    if (!record) return [];
    const lists = await Promise.all(record.buckets.map((_, seq) => this.store.list(NS.messages, bucketGroup(conversationId, seq))));
    return lists.flat().map(([, value]) => decodeRecord<ChatMessage>(value));
  }

  /** A page (see `MessagePageOptions`), reading buckets newest first until it has `limit`. */
  async page(conversationId: string, options: MessagePageOptions = {}): Promise<ChatMessage[]> {
    checkPageOptions(options);
    if (options.limit === undefined && options.before === undefined) return this.all(conversationId);
    const record = await this.record(conversationId);
    let seq = (record?.buckets.length ?? 0) - 1;
    let bound: string | undefined;
    if (options.before !== undefined) {
      const found = await this.message(conversationId, options.before);
      const parsed = found && parseKey(conversationId, found.key);
      if (!parsed) throw new RangeError("no such message in this conversation");
      seq = parsed.seq;
      bound = found.key;
    }
    const limit = options.limit ?? Number.POSITIVE_INFINITY;
    const pages: Array<Array<[string, Uint8Array]>> = [];
    let have = 0;
    for (; seq >= 0 && have < limit; seq--) {
      let entries = await this.store.list(NS.messages, bucketGroup(conversationId, seq));
      if (bound !== undefined) {
        const before = bound;
        entries = entries.filter(([key]) => key < before);
        bound = undefined;
      }
      const take = entries.slice(Math.max(0, entries.length - (limit - have)));
      pages.push(take);
      have += take.length;
    }
    return pages.reverse().flatMap((entries) => entries.map(([, value]) => decodeRecord<ChatMessage>(value)));
  }

  /** The unread messages of a conversation, oldest first: newest buckets first, stopping once the record's unread count is found. */
  async unread(conversationId: string): Promise<StoredMessage[]> {
    const record = await this.record(conversationId);
    if (!record || record.unread === 0) return [];
    const found: StoredMessage[][] = [];
    let count = 0;
    for (let seq = record.buckets.length - 1; seq >= 0 && count < record.unread; seq--) {
      const bucket: StoredMessage[] = [];
      for (const [key, value] of await this.store.list(NS.messages, bucketGroup(conversationId, seq))) {
        const message = decodeRecord<ChatMessage>(value);
        if (isUnread(message)) bucket.push({ key, message });
      }
      found.push(bucket);
      count += bucket.length;
    }
    return found.reverse().flat();
  }

  /**
   * The messages a mark-read looks at, in arrival order: the ones named (each looked up by id,
   * unknown ids skipped), or every unread one.
   */
  async toMarkRead(conversationId: string, messageIds?: readonly string[]): Promise<StoredMessage[]> {
    if (!messageIds) return this.unread(conversationId);
    const found = await Promise.all([...new Set(messageIds)].map((id) => this.message(conversationId, id)));
    return found.filter((m): m is StoredMessage => m !== undefined).sort((a, b) => (suffixOf(a.message) < suffixOf(b.message) ? -1 : 1));
  }

  /** Every conversation's summary, by conversation id (one listing of the records). */
  async summaries(): Promise<Map<string, HistorySummary>> {
    await this.ready();
    const out = new Map<string, HistorySummary>();
    for (const [id, raw] of await this.store.list(HISTORY_NS.records)) out.set(id, summaryOf(decodeRecord<HistoryRecord>(raw)));
    return out;
  }

  /**
   * The batch to commit for `writes`: appends placed into buckets, and for every conversation
   * whose messages change, its new record. Reads the store, so it must only run once every
   * earlier message batch is durable (HistoryStore does that).
   */
  async complete(writes: readonly StoreWrite[]): Promise<StoreWrite[]> {
    await this.ready();
    const records = new Map<string, HistoryRecord>();
    const recordOf = async (conversationId: string): Promise<HistoryRecord> => {
      const known = records.get(conversationId);
      if (known) return known;
      return (await this.#record(conversationId)) ?? EMPTY_RECORD;
    };
    // Values written earlier in this batch, so a later write in it sees them.
    const written = new Map<string, Uint8Array | undefined>();
    const stored = await this.#prefetch(writes);
    const current = async (key: string): Promise<Uint8Array | undefined> =>
      written.has(key) ? written.get(key) : stored.has(key) ? stored.get(key) : this.store.get(NS.messages, key);
    const out: StoreWrite[] = [];
    for (const write of writes) {
      if (write.namespace === HISTORY_NS.append) {
        if (write.value === undefined) throw new TypeError("a history append needs a message");
        const message = decodeRecord<ChatMessage>(write.value);
        const conversationId = message.contactId;
        const record = await recordOf(conversationId);
        const seq = placeSuffix(record, suffixOf(message), this.bucketSize);
        const key = messageKey(conversationId, seq, message);
        // Newer than the last message (the usual case): nothing can be stored under its key yet.
        const newest = !record.last || suffixOf(message) > suffixOf(record.last.message);
        const before = newest && !written.has(key) ? undefined : await current(key);
        if (before !== undefined) {
          // The same message appended again: it replaces the stored one, as a put of the same key did before.
          records.set(conversationId, withUpdated(record, key, decodeRecord<ChatMessage>(before), message));
        } else records.set(conversationId, withAppended(record, seq, key, message));
        written.set(key, write.value);
        out.push(
          { namespace: NS.messages, key, value: write.value },
          { namespace: NS.messageIndex, key: indexKey(conversationId, message.id), value: encoder.encode(key) },
        );
      } else if (write.namespace === NS.messages) {
        const before = await current(write.key);
        written.set(write.key, write.value);
        out.push(write);
        if (before === undefined && write.value === undefined) continue;
        const beforeMessage = before && decodeRecord<ChatMessage>(before);
        const afterMessage = write.value && decodeRecord<ChatMessage>(write.value);
        const conversationId = ((beforeMessage || afterMessage) as ChatMessage).contactId;
        const parsed = parseKey(conversationId, write.key);
        const record = await recordOf(conversationId);
        if (!parsed || parsed.seq > record.buckets.length) throw new RangeError("message write outside the history layout");
        if (beforeMessage && afterMessage) records.set(conversationId, withUpdated(record, write.key, beforeMessage, afterMessage));
        else if (afterMessage) records.set(conversationId, withAppended(record, parsed.seq, write.key, afterMessage));
        else if (beforeMessage)
          records.set(conversationId, await this.#withRemoved(conversationId, record, parsed.seq, write.key, beforeMessage, written));
      } else out.push(write);
    }
    for (const [conversationId, record] of records)
      out.push({ namespace: HISTORY_NS.records, key: conversationId, value: encodeRecord(record) });
    return out;
  }

  /**
   * The stored values of the messages `writes` rewrite, read in parallel: a bucket with many of
   * them (a mark-read of a long backlog) in one listing, the others one by one.
   */
  async #prefetch(writes: readonly StoreWrite[]): Promise<Map<string, Uint8Array | undefined>> {
    const byGroup = new Map<string, string[]>();
    for (const { namespace, key } of writes) {
      if (namespace !== NS.messages) continue;
      const group = key.slice(0, key.indexOf("/") + 1);
      byGroup.set(group, [...(byGroup.get(group) ?? []), key]);
    }
    const found = new Map<string, Uint8Array | undefined>();
    await Promise.all(
      [...byGroup].map(async ([group, keys]) => {
        if (keys.length >= PREFETCH_LISTING && group !== "") {
          const listed = new Map(await this.store.list(NS.messages, group));
          for (const key of keys) found.set(key, listed.get(key));
        } else await Promise.all(keys.map(async (key) => found.set(key, await this.store.get(NS.messages, key))));
      }),
    );
    return found;
  }

  /** The record after the message at `key` was removed: its bucket is one smaller, and the last message looked up again if it was that one. */
  async #withRemoved(
    conversationId: string,
    record: HistoryRecord,
    seq: number,
    key: string,
    before: ChatMessage,
    written: ReadonlyMap<string, Uint8Array | undefined>,
  ): Promise<HistoryRecord> {
    const buckets = record.buckets.map((bucket, i) => (i === seq ? { first: bucket.first, count: Math.max(0, bucket.count - 1) } : bucket));
    const unread = record.unread - (isUnread(before) ? 1 : 0);
    let last = record.last;
    if (last?.key === key) {
      last = undefined;
      for (let s = seq; s >= 0 && !last; s--) {
        const stored = new Map(await this.store.list(NS.messages, bucketGroup(conversationId, s)));
        for (const [k, v] of written)
          if (k.startsWith(bucketGroup(conversationId, s))) v === undefined ? stored.delete(k) : stored.set(k, v);
        const newest = [...stored.keys()].sort().at(-1);
        if (newest !== undefined) last = { key: newest, message: decodeRecord<ChatMessage>(stored.get(newest) as Uint8Array) };
      }
    }
    return { buckets, ...(last ? { last } : {}), unread };
  }
}

function summaryOf(record: HistoryRecord): HistorySummary {
  return { lastMessage: record.last?.message, unread: record.unread, lastActivity: record.last?.message.receivedAt };
}

/**
 * Moves messages kept under the layout before buckets (`<contactId>/<receivedAt>-<id>`) into
 * buckets, with their index entries and records, `MIGRATION_BATCH` messages per batch, then
 * marks the store migrated. Each batch is atomic and carries the records as far as it got, so a
 * crash part-way is finished by the next run.
 */
async function migrate(store: Store, bucketSize: number): Promise<void> {
  if ((await store.get(HISTORY_NS.layout, "version")) !== undefined) return;
  const records = new Map<string, HistoryRecord>();
  let pending: StoreWrite[] = [];
  const touched = new Set<string>();
  const flush = async () => {
    if (pending.length === 0) return;
    const writes = [...pending];
    for (const id of touched) writes.push({ namespace: HISTORY_NS.records, key: id, value: encodeRecord(records.get(id)) });
    await store.batch(writes);
    pending = [];
    touched.clear();
  };
  let moved = 0;
  for (const [key, value] of await store.list(NS.messages)) {
    const message = decodeRecord<ChatMessage>(value);
    const conversationId = message.contactId;
    if (parseKey(conversationId, key)) continue;
    let record = records.get(conversationId);
    if (!record) {
      const raw = await store.get(HISTORY_NS.records, conversationId);
      record = raw ? decodeRecord<HistoryRecord>(raw) : EMPTY_RECORD;
    }
    // The old key ended in the same suffix; taken from the message, as a contact id may hold a "/".
    const seq = placeSuffix(record, suffixOf(message), bucketSize);
    const newKey = messageKey(conversationId, seq, message);
    records.set(conversationId, withAppended(record, seq, newKey, message));
    touched.add(conversationId);
    pending.push(
      { namespace: NS.messages, key: newKey, value },
      { namespace: NS.messages, key, value: undefined },
      { namespace: NS.messageIndex, key: indexKey(conversationId, message.id), value: encoder.encode(newKey) },
    );
    if (++moved % MIGRATION_BATCH === 0) await flush();
  }
  await flush();
  await store.batch([{ namespace: HISTORY_NS.layout, key: "version", value: encodeRecord(LAYOUT_VERSION) }]);
}

/**
 * The store the client writes through: message batches are completed by `History.complete` (see
 * the file comment); every other batch passes on, in call order.
 */
export class HistoryStore implements Store {
  /** Resolves once every batch called so far has been handed to the store. */
  #handedOn: Promise<void> = Promise.resolve();
  /** Settles once the latest message batch is durable (or failed). */
  #lastMessageBatch: Promise<void> = Promise.resolve();
  /** Batches waiting for a message batch before them to be handed on. */
  #waiting = 0;
  readonly history: History;

  constructor(
    private readonly inner: Store,
    bucketSize = BUCKET_SIZE,
  ) {
    this.history = new History(inner, bucketSize);
  }

  get(namespace: string, key: string): Promise<Uint8Array | undefined> {
    return this.inner.get(namespace, key);
  }

  list(namespace: string, prefix?: string): Promise<Array<[key: string, value: Uint8Array]>> {
    return this.inner.list(namespace, prefix);
  }

  batch(writes: readonly StoreWrite[]): Promise<void> {
    const touchesHistory = Array.isArray(writes) && writes.some((w) => w?.namespace === NS.messages || w?.namespace === HISTORY_NS.append);
    if (!touchesHistory && this.#waiting === 0) return this.inner.batch(writes);
    const previous = this.#handedOn;
    const previousMessages = this.#lastMessageBatch;
    let handedOn = () => {};
    this.#handedOn = new Promise((resolve) => {
      handedOn = resolve;
    });
    this.#waiting++;
    // Resolves once the batch is durable (an async function adopts the store's promise it returns).
    const done = (async () => {
      let committing: Promise<void>;
      try {
        await previous;
        if (touchesHistory) {
          await previousMessages;
          committing = this.inner.batch(await this.history.complete(writes));
        } else committing = this.inner.batch(writes);
      } catch (error) {
        committing = Promise.reject(error);
      } finally {
        this.#waiting--;
        handedOn();
      }
      return committing;
    })();
    if (touchesHistory) this.#lastMessageBatch = done.then(noop, noop);
    return done;
  }

  close(): Promise<void> {
    return this.inner.close();
  }
}
