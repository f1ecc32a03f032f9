/**
 * How a conversation's history is laid out in the store, as pure functions: messages sit in
 * numbered buckets of about `BUCKET_SIZE`, one key group per bucket, so a page reads one or two
 * groups (in `IndexedDbStore` a key group is the only unit a listing can narrow to). A small
 * per-conversation record (`HistoryRecord`) lists the buckets and carries the conversation's
 * summary (last message, unread count), and is rewritten in the same batch as every message
 * write (history.ts).
 *
 * - `messages`: `<conversation>#<bucket>/<receivedAt, 15 digits>-<id hex>` → ChatMessage, where
 *   `<conversation>` is the conversation id with `encodeURIComponent` (so it holds no "/" or "#").
 * - `message-index`: `<conversation id>/<id hex>` → the message's `messages` key (unchanged).
 * - `history`: `<conversation id>` → HistoryRecord.
 * - `history-layout`: `version` → 1 once the store is in this layout (history.ts migrates older stores).
 *
 * Buckets partition the conversation by key suffix (`<receivedAt>-<id>`, arrival order): bucket
 * `i > 0` holds the suffixes from `buckets[i].first` up to the next bucket's `first`, so listing
 * the buckets in order gives the conversation in arrival order. A new bucket opens only when the
 * newest is full and the message is newer than every stored one; a late message joins the bucket
 * its suffix falls in, which may then hold a few more than `BUCKET_SIZE`.
 */

import type { ChatMessage } from "./conversation.js";

/** Messages per bucket before the next one opens. */
export const BUCKET_SIZE = 100;

/** Largest `limit` a page may ask for. */
export const MAX_PAGE_LIMIT = 1000;

/** Store namespaces of the history layout besides `messages` and `message-index` (records.ts `NS`). */
export const HISTORY_NS = {
  /** `<conversation id>` → HistoryRecord. */
  records: "history",
  /** `version` → layout version (msgpack number). */
  layout: "history-layout",
  /**
   * Not stored: a write here asks the history layer to append a new message (key
   * `<conversation id>/<id>`, value the encoded ChatMessage); it becomes the `messages` and
   * `message-index` entries and the record update (context.ts `newMessageWrites`).
   */
  append: "history-append",
} as const;

/** The current layout version in `history-layout/version`. */
export const LAYOUT_VERSION = 1;

/** One bucket: the smallest key suffix it takes (unused for bucket 0, which takes everything older) and how many messages it holds. */
export interface BucketInfo {
  readonly first: string;
  readonly count: number;
}

/** A conversation's history record: its buckets and its summary. */
export interface HistoryRecord {
  readonly buckets: readonly BucketInfo[];
  /** The newest message and its key. */
  readonly last?: { readonly key: string; readonly message: ChatMessage };
  /** Received messages not yet read (notices and call lines excluded). */
  readonly unread: number;
}

/** A record for a conversation with no messages yet. */
export const EMPTY_RECORD: HistoryRecord = { buckets: [], unread: 0 };

/** Whether a message counts as unread. */
export function isUnread(message: ChatMessage): boolean {
  // Lines the client writes itself (notices, call history) are never unread: nobody sent them.
  return !message.outgoing && message.status === "received" && message.kind !== "notice" && message.kind !== "call";
}

/** The part of a key (or of a message) that orders a conversation: `<receivedAt, 15 digits>-<id>`. */
export function suffixOf(message: Pick<ChatMessage, "receivedAt" | "id">): string {
  return `${String(message.receivedAt).padStart(15, "0")}-${message.id}`;
}

/** The key group (ending in "/") of bucket `seq` of a conversation. */
export function bucketGroup(conversationId: string, seq: number): string {
  return `${encodeURIComponent(conversationId)}#${seq}/`;
}

/** The `messages` key of a message in bucket `seq`. */
export function messageKey(conversationId: string, seq: number, message: Pick<ChatMessage, "receivedAt" | "id">): string {
  return bucketGroup(conversationId, seq) + suffixOf(message);
}

/** The `message-index` key of a message. */
export function indexKey(conversationId: string, id: string): string {
  return `${conversationId}/${id}`;
}

/** The bucket number and suffix of a `messages` key in this layout, or undefined for any other key. */
export function parseKey(conversationId: string, key: string): { seq: number; suffix: string } | undefined {
  const group = `${encodeURIComponent(conversationId)}#`;
  if (!key.startsWith(group)) return undefined;
  const slash = key.indexOf("/", group.length);
  const digits = key.slice(group.length, slash);
  if (slash < 0 || !/^(0|[1-9][0-9]{0,8})$/.test(digits)) return undefined;
  return { seq: Number(digits), suffix: key.slice(slash + 1) };
}

/** The bucket a message with key suffix `suffix` goes to: a new bucket (`seq === buckets.length`) only when the newest is full and it is the newest message. */
export function placeSuffix(record: HistoryRecord, suffix: string, bucketSize = BUCKET_SIZE): number {
  const { buckets } = record;
  const newest = buckets.length - 1;
  if (newest < 0) return 0;
  const lastSuffix = record.last ? keySuffix(record.last.key) : "";
  if (suffix > lastSuffix && (buckets[newest] as BucketInfo).count >= bucketSize) return newest + 1;
  return bucketOf(buckets, suffix);
}

/** The bucket whose range holds `suffix` (binary search over `first`). */
export function bucketOf(buckets: readonly BucketInfo[], suffix: string): number {
  let low = 0;
  let high = buckets.length - 1;
  while (low < high) {
    const mid = (low + high + 1) >> 1;
    if ((buckets[mid] as BucketInfo).first <= suffix) low = mid;
    else high = mid - 1;
  }
  return Math.max(0, low);
}

/** The suffix of any `messages` key (after its first "/"). */
export function keySuffix(key: string): string {
  return key.slice(key.indexOf("/") + 1);
}

/** The record after `message` was appended at `key` in bucket `seq` (see `placeSuffix`). */
export function withAppended(record: HistoryRecord, seq: number, key: string, message: ChatMessage): HistoryRecord {
  const buckets = [...record.buckets];
  const suffix = keySuffix(key);
  if (seq === buckets.length) buckets.push({ first: suffix, count: 1 });
  else {
    const bucket = buckets[seq] as BucketInfo;
    buckets[seq] = { first: bucket.first, count: bucket.count + 1 };
  }
  const newest = !record.last || suffix > keySuffix(record.last.key);
  return {
    buckets,
    ...(newest ? { last: { key, message } } : record.last ? { last: record.last } : {}),
    unread: record.unread + (isUnread(message) ? 1 : 0),
  };
}

/** The record after the message at `key` changed from `before` to `after`. */
export function withUpdated(record: HistoryRecord, key: string, before: ChatMessage, after: ChatMessage): HistoryRecord {
  return {
    buckets: record.buckets,
    ...(record.last ? { last: record.last.key === key ? { key, message: after } : record.last } : {}),
    unread: record.unread - (isUnread(before) ? 1 : 0) + (isUnread(after) ? 1 : 0),
  };
}
