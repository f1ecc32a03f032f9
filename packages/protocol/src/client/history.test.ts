/**
 * Conversation history in buckets (history.ts, history-layout.ts), driven through `HistoryStore`
 * with the writes the client makes (appends, rewrites of a looked-up message, mark-read):
 * - a model check against plain arrays: random appends (late and concurrent ones too), edits,
 *   deletes, removals, mark-reads and pages; any page sequence concatenates to the history, and
 *   the summaries equal the ones recomputed from it;
 * - the limits: bucket size at N and N+1, `limit` at 1,000 and 1,001;
 * - pages read only the buckets they need (counted store listings);
 * - every store (memory, file, IndexedDB), with a reopen;
 * - migration of a store in the layout before buckets, also after a crash part-way, and under a
 *   ParleyClient opened over one.
 */
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fc, test } from "@fast-check/vitest";
import { IDBFactory, IDBKeyRange } from "fake-indexeddb";
import { describe, expect, it } from "vitest";
import { ParleyClient } from "./client.js";
import type { ChatMessage } from "./conversation.js";
import { History, HistoryStore, MIGRATION_BATCH } from "./history.js";
import { BUCKET_SIZE, HISTORY_NS, isUnread, MAX_PAGE_LIMIT, suffixOf } from "./history-layout.js";
import { decodeRecord, encodeRecord, NS } from "./records.js";
import { FileStore } from "./store/file-store.js";
import { IndexedDbStore } from "./store/indexeddb-store.js";
import { MemoryStore } from "./store/memory-store.js";
import type { Store, StoreWrite } from "./store/store.js";

const CONVERSATIONS = ["@ana", "b0b0", "group:00ff", "@we/ird#id"];
const soakRuns = Number(process.env.PARLEY_FUZZ_RUNS ?? 0) / 10;

let nextId = 0;
function chat(contactId: string, receivedAt: number, fields: Partial<ChatMessage> = {}): ChatMessage {
  const id = (nextId++).toString(16).padStart(32, "0");
  return {
    id,
    contactId,
    sender: fields.outgoing ? "me" : "them",
    senderDevice: 1,
    outgoing: false,
    kind: "text",
    text: `m${id}`,
    sentAt: receivedAt,
    receivedAt,
    deleted: false,
    reactions: {},
    status: fields.outgoing ? "sent" : "received",
    ...fields,
  };
}

const append = (message: ChatMessage): StoreWrite => ({
  namespace: HISTORY_NS.append,
  key: `${message.contactId}/${message.id}`,
  value: encodeRecord(message),
});

/** Rewrites a stored message the way the client does: looked up by id, put back under its key. */
async function rewrite(store: HistoryStore, conversationId: string, id: string, change: (m: ChatMessage) => ChatMessage | undefined) {
  const found = await store.history.message(conversationId, id);
  if (!found) throw new Error(`lost ${id}`);
  const next = change(found.message);
  await store.batch([{ namespace: NS.messages, key: found.key, value: next && encodeRecord(next) }]);
}

/** What the summary must be, recomputed from the whole history. */
function expectedSummary(messages: readonly ChatMessage[]) {
  return {
    lastMessage: messages.at(-1),
    unread: messages.filter(isUnread).length,
    lastActivity: messages.at(-1)?.receivedAt,
  };
}

/** Pages backwards with `limit` from the newest, returns their concatenation. */
async function pageThrough(history: History, conversationId: string, limit: number): Promise<ChatMessage[]> {
  const pages: ChatMessage[][] = [];
  let before: string | undefined;
  for (;;) {
    const page = await history.page(conversationId, { limit, ...(before ? { before } : {}) });
    expect(page.length).toBeLessThanOrEqual(limit);
    if (page.length === 0) break;
    pages.unshift(page);
    before = page[0]?.id;
  }
  return pages.flat();
}

/** Every message list/get call a store gets, to check what a read touched. */
function counting(inner: Store) {
  const lists: Array<[string, string | undefined]> = [];
  const store: Store = {
    get: (ns, key) => inner.get(ns, key),
    list: (ns, prefix) => {
      lists.push([ns, prefix]);
      return inner.list(ns, prefix);
    },
    batch: (writes) => inner.batch(writes),
    close: () => inner.close(),
  };
  return { store, lists };
}

/** A store whose batches apply (in order) a few microtasks after the call, as a disk store's do: reads in between miss them. */
function slow(inner: Store): Store {
  let tail = Promise.resolve();
  return {
    ...bind(inner),
    batch: (writes) => {
      const owned = writes.map((w) => ({ ...w }));
      tail = tail.then(async () => {
        for (let i = 0; i < 8; i++) await null;
        await inner.batch(owned);
      });
      return tail;
    },
  };
}

type Command =
  | { kind: "append"; conversation: number; incoming: boolean; notice: boolean; late: number; concurrent: boolean }
  | { kind: "edit" | "delete" | "remove"; conversation: number; pick: number }
  | { kind: "read"; conversation: number; picks: number[] | undefined }
  | { kind: "page"; conversation: number; limit: number; pick: number | undefined };

const conversationArb = fc.nat({ max: CONVERSATIONS.length - 1 });
const commandArb: fc.Arbitrary<Command> = fc.oneof(
  {
    weight: 6,
    arbitrary: fc.record({
      kind: fc.constant("append" as const),
      conversation: conversationArb,
      incoming: fc.boolean(),
      notice: fc.boolean().map((b) => b && Math.random() < 0.3),
      late: fc.oneof({ weight: 4, arbitrary: fc.constant(0) }, { weight: 1, arbitrary: fc.integer({ min: 1, max: 20 }) }),
      concurrent: fc.boolean(),
    }),
  },
  {
    weight: 1,
    arbitrary: fc.record({
      kind: fc.constantFrom("edit" as const, "delete" as const, "remove" as const),
      conversation: conversationArb,
      pick: fc.nat(),
    }),
  },
  {
    weight: 1,
    arbitrary: fc.record({
      kind: fc.constant("read" as const),
      conversation: conversationArb,
      picks: fc.option(fc.array(fc.nat(), { maxLength: 4 }), { nil: undefined }),
    }),
  },
  {
    weight: 1,
    arbitrary: fc.record({
      kind: fc.constant("page" as const),
      conversation: conversationArb,
      limit: fc.integer({ min: 1, max: 9 }),
      pick: fc.option(fc.nat(), { nil: undefined }),
    }),
  },
);

describe("history model", () => {
  test.prop([fc.array(commandArb, { minLength: 10, maxLength: 120, size: "max" }), fc.integer({ min: 1, max: 5 })], {
    numRuns: Math.max(150, soakRuns),
  })("pages, single messages and summaries match a plain array per conversation", async (commands, bucketSize) => {
    const backing = slow(new MemoryStore());
    const store = new HistoryStore(backing, bucketSize);
    const model = new Map<string, ChatMessage[]>(CONVERSATIONS.map((c) => [c, []]));
    const sorted = (list: ChatMessage[]) => list.sort((a, b) => (suffixOf(a) < suffixOf(b) ? -1 : 1));
    let clock = 1_000;
    let inFlight: Promise<void>[] = [];
    const settle = async () => {
      await Promise.all(inFlight);
      inFlight = [];
    };
    for (const command of commands) {
      const conversationId = CONVERSATIONS[command.conversation] as string;
      const list = model.get(conversationId) as ChatMessage[];
      if (command.kind === "append") {
        clock += 1;
        const message = chat(conversationId, clock - command.late, {
          outgoing: !command.incoming,
          ...(command.notice ? { kind: "notice" as const } : {}),
        });
        list.push(message);
        sorted(list);
        const batch = store.batch([append(message)]);
        if (command.concurrent) inFlight.push(batch);
        else {
          await settle();
          await batch;
        }
        continue;
      }
      await settle();
      const target = list.length > 0 && "pick" in command && command.pick !== undefined ? list[command.pick % list.length] : undefined;
      if (command.kind === "edit" && target) {
        const next = { ...target, text: `${target.text}!`, editedAt: clock };
        await rewrite(store, conversationId, target.id, () => next);
        list[list.indexOf(target)] = next;
      } else if (command.kind === "delete" && target) {
        const next = { ...target, text: "", deleted: true };
        await rewrite(store, conversationId, target.id, () => next);
        list[list.indexOf(target)] = next;
      } else if (command.kind === "remove" && target) {
        await rewrite(store, conversationId, target.id, () => undefined);
        await store.batch([{ namespace: NS.messageIndex, key: `${conversationId}/${target.id}`, value: undefined }]);
        list.splice(list.indexOf(target), 1);
      } else if (command.kind === "read") {
        const ids = command.picks && list.length > 0 ? command.picks.map((p) => (list[p % list.length] as ChatMessage).id) : undefined;
        const found = await store.history.toMarkRead(conversationId, ids);
        const wanted = ids ? new Set(ids) : undefined;
        const expected = list.filter((m) => (!wanted || wanted.has(m.id)) && (ids ? true : isUnread(m)));
        expect(found.map((f) => f.message)).toEqual(expected);
        const writes: StoreWrite[] = [];
        for (const { key, message } of found) {
          if (!isUnread(message)) continue;
          const next = { ...message, status: "read" as const };
          writes.push({ namespace: NS.messages, key, value: encodeRecord(next) });
          list[list.findIndex((m) => m.id === message.id)] = next;
        }
        await store.batch(writes);
      } else if (command.kind === "page") {
        const before = command.pick !== undefined && list.length > 0 ? list[command.pick % list.length] : undefined;
        const page = await store.history.page(conversationId, { limit: command.limit, ...(before ? { before: before.id } : {}) });
        const end = before ? list.indexOf(before) : list.length;
        expect(page).toEqual(list.slice(Math.max(0, end - command.limit), end));
      }
    }
    await settle();
    // A fresh History over the same store reads the same: everything is in the store.
    for (const history of [store.history, new History(backing, bucketSize)]) {
      const summaries = await history.summaries();
      for (const [conversationId, list] of model) {
        expect(await history.all(conversationId)).toEqual(list);
        expect(await history.page(conversationId)).toEqual(list);
        expect(await pageThrough(history, conversationId, 1 + (list.length % 4))).toEqual(list);
        for (const m of list) expect((await history.message(conversationId, m.id))?.message).toEqual(m);
        if (list.length > 0 || summaries.has(conversationId)) expect(summaries.get(conversationId)).toEqual(expectedSummary(list));
      }
    }
  });
});

describe("history limits", () => {
  it(`${BUCKET_SIZE} messages fill one bucket; the next one opens a second`, async () => {
    const store = new HistoryStore(new MemoryStore());
    for (let i = 0; i < BUCKET_SIZE; i++) await store.batch([append(chat("@ana", i + 1))]);
    expect((await store.history.record("@ana"))?.buckets.map((b) => b.count)).toEqual([BUCKET_SIZE]);
    await store.batch([append(chat("@ana", BUCKET_SIZE + 1))]);
    expect((await store.history.record("@ana"))?.buckets.map((b) => b.count)).toEqual([BUCKET_SIZE, 1]);
    // A message arriving late (older than the newest) joins the bucket its time falls in, never a new one.
    await store.batch([append(chat("@ana", 50))]);
    expect((await store.history.record("@ana"))?.buckets.map((b) => b.count)).toEqual([BUCKET_SIZE + 1, 1]);
    const all = await store.history.all("@ana");
    expect(all.map((m) => m.receivedAt)).toEqual([...all.map((m) => m.receivedAt)].sort((a, b) => a - b));
  });

  it(`limit ${MAX_PAGE_LIMIT} is a page; ${MAX_PAGE_LIMIT + 1}, 0, 1.5 and a foreign before are refused`, async () => {
    const store = new HistoryStore(new MemoryStore());
    const messages = Array.from({ length: MAX_PAGE_LIMIT + 5 }, (_, i) => chat("@ana", i + 1));
    for (let i = 0; i < messages.length; i += 200) await store.batch(messages.slice(i, i + 200).map(append));
    expect(await store.history.page("@ana", { limit: MAX_PAGE_LIMIT })).toEqual(messages.slice(5));
    for (const limit of [MAX_PAGE_LIMIT + 1, 0, -1, 1.5, Number.NaN])
      await expect(store.history.page("@ana", { limit })).rejects.toThrow(RangeError);
    await expect(store.history.page("@ana", { before: "ff".repeat(16) })).rejects.toThrow(RangeError);
    await expect(store.history.page("b0b0", { before: (messages[0] as ChatMessage).id })).rejects.toThrow(RangeError);
    await expect(store.history.page("@ana", { before: 5 as never })).rejects.toThrow(TypeError);
    expect(await store.history.page("nobody", { limit: 10 })).toEqual([]);
    expect(await store.history.page("@ana", { before: (messages[0] as ChatMessage).id })).toEqual([]);
  });
});

describe("history reads only what a page needs", () => {
  it("a page of 50 lists one or two buckets; conversations() lists only the records", async () => {
    const { store: backing, lists } = counting(new MemoryStore());
    const store = new HistoryStore(backing);
    const messages = Array.from({ length: 10 * BUCKET_SIZE }, (_, i) => chat("@ana", i + 1));
    for (let i = 0; i < messages.length; i += 250) await store.batch(messages.slice(i, i + 250).map(append));
    lists.length = 0;
    expect(await store.history.page("@ana", { limit: 50 })).toEqual(messages.slice(-50));
    expect(lists).toEqual([[NS.messages, `%40ana#9/`]]);
    lists.length = 0;
    const before = messages[9 * BUCKET_SIZE + 20] as ChatMessage;
    expect(await store.history.page("@ana", { limit: 50, before: before.id })).toEqual(
      messages.slice(9 * BUCKET_SIZE - 30, 9 * BUCKET_SIZE + 20),
    );
    expect(lists).toEqual([
      [NS.messages, `%40ana#9/`],
      [NS.messages, `%40ana#8/`],
    ]);
    lists.length = 0;
    const summaries = await store.history.summaries();
    expect(summaries.get("@ana")).toEqual(expectedSummary(messages));
    expect(lists).toEqual([[HISTORY_NS.records, undefined]]);
    // Once all but the newest 150 are read, finding the unread ones reads only the newest two buckets.
    const reads: StoreWrite[] = [];
    for (const { key, message } of (await store.history.toMarkRead("@ana")).slice(0, -150))
      reads.push({ namespace: NS.messages, key, value: encodeRecord({ ...message, status: "read" }) });
    await store.batch(reads);
    expect((await store.history.summaries()).get("@ana")?.unread).toBe(150);
    lists.length = 0;
    expect(await store.history.toMarkRead("@ana")).toHaveLength(150);
    expect(lists.map(([, prefix]) => prefix)).toEqual(["%40ana#9/", "%40ana#8/"]);
  });

  it("a message appended twice (same arrival, same id) is stored and counted once, the second copy kept", async () => {
    const store = new HistoryStore(new MemoryStore(), 2);
    const [a, b, c] = [chat("@ana", 1), chat("@ana", 2), chat("@ana", 3)];
    await store.batch([append(a), append(b), append(c)]);
    const again = { ...a, text: "again" };
    await store.batch([append(again), append(c)]);
    expect(await store.history.all("@ana")).toEqual([again, b, c]);
    expect((await store.history.record("@ana"))?.buckets.map((x) => x.count)).toEqual([2, 1]);
    expect((await store.history.summaries()).get("@ana")).toEqual(expectedSummary([again, b, c]));
  });

  it("every batch still reaches the store in call order around a message batch", async () => {
    const store = new HistoryStore(new MemoryStore());
    const key = { namespace: "other", key: "k" };
    const done = [
      store.batch([{ ...key, value: Uint8Array.of(1) }]),
      store.batch([append(chat("@ana", 1))]),
      store.batch([{ ...key, value: Uint8Array.of(2) }]),
      store.batch([append(chat("@ana", 2))]),
      store.batch([{ ...key, value: Uint8Array.of(3) }]),
    ];
    await Promise.all(done);
    expect(await store.get(key.namespace, key.key)).toEqual(Uint8Array.of(3));
    expect((await store.history.all("@ana")).map((m) => m.receivedAt)).toEqual([1, 2]);
  });

  it("a refused message batch rejects and leaves the records as they were", async () => {
    const inner = new MemoryStore();
    let refuse = false;
    const flaky: Store = {
      get: (ns, k) => inner.get(ns, k),
      list: (ns, p) => inner.list(ns, p),
      batch: (writes) => (refuse ? Promise.reject(new Error("disk full")) : inner.batch(writes)),
      close: () => inner.close(),
    };
    const store = new HistoryStore(flaky, 2);
    const kept = [chat("@ana", 1), chat("@ana", 2)];
    await store.batch(kept.map(append));
    refuse = true;
    await expect(store.batch([append(chat("@ana", 3))])).rejects.toThrow("disk full");
    refuse = false;
    const after = chat("@ana", 4);
    await store.batch([append(after)]);
    expect(await store.history.all("@ana")).toEqual([...kept, after]);
    expect((await store.history.summaries()).get("@ana")).toEqual(expectedSummary([...kept, after]));
  });
});

const TEST_KDF = { N: 16, r: 8, p: 1 };
const kinds: ReadonlyArray<{ name: string; backing: () => Promise<{ open(): Promise<Store>; dispose(): Promise<void> }> }> = [
  {
    name: "MemoryStore",
    backing: async () => {
      const store = new MemoryStore();
      // The same object again stands in for a reopen (close would drop the data).
      const kept: Store = { ...bind(store), close: async () => {} };
      return { open: async () => kept, dispose: () => store.close() };
    },
  },
  {
    name: "FileStore",
    backing: async () => {
      const dir = await mkdtemp(join(tmpdir(), "parley-history-"));
      return {
        open: () => FileStore.open(dir, { passphrase: "history", kdf: TEST_KDF }),
        dispose: () => rm(dir, { recursive: true, force: true }),
      };
    },
  },
  {
    name: "IndexedDbStore",
    backing: async () => {
      const indexedDB = new IDBFactory();
      return { open: () => IndexedDbStore.open("history", { indexedDB, keyRange: IDBKeyRange }), dispose: async () => {} };
    },
  },
];

function bind(store: Store): Store {
  return {
    get: (ns, k) => store.get(ns, k),
    list: (ns, p) => store.list(ns, p),
    batch: (w) => store.batch(w),
    close: () => store.close(),
  };
}

/** Writes messages the way the client did before buckets: `<contactId>/<receivedAt, 15 digits>-<id>` and the index to it. */
function oldLayoutWrites(messages: readonly ChatMessage[]): StoreWrite[] {
  return messages.flatMap((message) => {
    const key = `${message.contactId}/${String(message.receivedAt).padStart(15, "0")}-${message.id}`;
    return [
      { namespace: NS.messages, key, value: encodeRecord(message) },
      { namespace: NS.messageIndex, key: `${message.contactId}/${message.id}`, value: new TextEncoder().encode(key) },
    ];
  });
}

describe.each(kinds)("history over $name", ({ backing }) => {
  it("pages, edits, reads and summaries survive a reopen", async () => {
    const b = await backing();
    try {
      let raw = await b.open();
      let store = new HistoryStore(raw);
      const ana = Array.from({ length: BUCKET_SIZE + 30 }, (_, i) => chat("@ana", i + 1, { outgoing: i % 3 === 0 }));
      const group = Array.from({ length: 20 }, (_, i) => chat("group:00ff", 1000 + i));
      await Promise.all([...ana, ...group].map((m) => store.batch([append(m)])));
      const last = ana.at(-1) as ChatMessage;
      await rewrite(store, "@ana", last.id, (m) => ({ ...m, text: "edited", editedAt: 9 }));
      const reads = await store.history.toMarkRead("group:00ff");
      await store.batch(
        reads.map(({ key, message }) => ({ namespace: NS.messages, key, value: encodeRecord({ ...message, status: "read" }) })),
      );
      await raw.close();
      raw = await b.open();
      store = new HistoryStore(raw);
      const expectedAna = [...ana.slice(0, -1), { ...last, text: "edited", editedAt: 9 }];
      expect(await pageThrough(store.history, "@ana", 50)).toEqual(expectedAna);
      expect(await store.history.page("@ana", { limit: 50 })).toEqual(expectedAna.slice(-50));
      expect(await store.history.page("group:00ff")).toEqual(group.map((m) => ({ ...m, status: "read" })));
      const summaries = await store.history.summaries();
      expect(summaries.get("@ana")).toEqual(expectedSummary(expectedAna));
      expect(summaries.get("group:00ff")?.unread).toBe(0);
      await raw.close();
    } finally {
      await b.dispose();
    }
  });

  it("migrates a store in the layout before buckets once, keeping lookups, pages and summaries", async () => {
    const b = await backing();
    try {
      let raw = await b.open();
      const ana = Array.from({ length: 2 * BUCKET_SIZE + 7 }, (_, i) => chat("@ana", i + 1, { outgoing: i < 200 }));
      const bob = [chat("b0b0", 5), chat("b0b0", 6, { kind: "notice" })];
      const odd = [chat("@we/ird#id", 7), chat("@we/ird#id", 8)];
      await raw.batch([
        ...oldLayoutWrites(ana),
        ...oldLayoutWrites(bob),
        ...oldLayoutWrites(odd),
        { namespace: "contacts", key: "@ana", value: Uint8Array.of(1) },
      ]);
      let store = new HistoryStore(raw);
      expect(await store.history.page("@ana", { limit: 5 })).toEqual(ana.slice(-5));
      expect((await raw.list(NS.messages)).every(([key]) => key.includes("#"))).toBe(true);
      expect(decodeRecord((await raw.get(HISTORY_NS.layout, "version")) as Uint8Array)).toBe(1);
      await raw.close();
      raw = await b.open();
      store = new HistoryStore(raw);
      expect(await store.history.all("@ana")).toEqual(ana);
      expect(await store.history.all("b0b0")).toEqual(bob);
      expect(await store.history.page("@we/ird#id", { limit: 1, before: (odd[1] as ChatMessage).id })).toEqual([odd[0]]);
      expect((await store.history.message("@ana", (ana[3] as ChatMessage).id))?.message).toEqual(ana[3]);
      const summaries = await store.history.summaries();
      expect(summaries.get("@ana")).toEqual(expectedSummary(ana));
      expect(summaries.get("b0b0")).toEqual(expectedSummary(bob));
      expect((await store.history.record("@ana"))?.buckets.map((x) => x.count)).toEqual([BUCKET_SIZE, BUCKET_SIZE, 7]);
      expect(await raw.get("contacts", "@ana")).toEqual(Uint8Array.of(1));
      await raw.close();
    } finally {
      await b.dispose();
    }
  });
});

it(`migration moves at most ${MIGRATION_BATCH} messages per batch and finishes after a crash part-way`, async () => {
  const inner = new MemoryStore();
  const messages = Array.from({ length: 2 * MIGRATION_BATCH + 10 }, (_, i) => chat(i % 2 ? "@ana" : "group:00ff", i + 1));
  await inner.batch(oldLayoutWrites(messages));
  let batches = 0;
  const crashing: Store = {
    ...bind(inner),
    batch: (writes) => {
      expect(writes.filter((w) => w.namespace === NS.messages && w.value !== undefined).length).toBeLessThanOrEqual(MIGRATION_BATCH);
      return ++batches === 2 ? Promise.reject(new Error("power cut")) : inner.batch(writes);
    },
  };
  const crashed = new History(crashing);
  await expect(crashed.summaries()).rejects.toThrow("power cut");
  expect(await inner.get(HISTORY_NS.layout, "version")).toBeUndefined();
  // The same History tries again on its next call, and finishes; a new one then reads the migrated store.
  await expect(crashed.all("@ana")).resolves.toHaveLength(messages.length / 2);
  const history = new History(inner);
  for (const id of ["@ana", "group:00ff"]) {
    const expected = messages.filter((m) => m.contactId === id);
    expect(await history.all(id)).toEqual(expected);
    expect((await history.summaries()).get(id)).toEqual(expectedSummary(expected));
  }
  expect((await inner.list(NS.messages)).length).toBe(messages.length);
});

it("a client opened over a store in the layout before buckets lists and pages its conversations", async () => {
  const store = new MemoryStore();
  const options = { relayUrl: "ws://127.0.0.1:9", store, keepStoreOpen: true };
  await (await ParleyClient.create({ ...options, displayName: "Old" })).close();
  const contact = { id: "@ana", userId: new Uint8Array(32).fill(1), accountKey: new Uint8Array(32).fill(1), handle: "ana", deviceIds: [1] };
  const messages = Array.from({ length: BUCKET_SIZE + 1 }, (_, i) => chat("@ana", i + 1, { outgoing: i % 2 === 0 }));
  await store.batch([
    { namespace: NS.contacts, key: "@ana", value: encodeRecord({ ...contact, deviceListSequence: 1, verified: false, profileSent: true }) },
    ...oldLayoutWrites(messages),
  ]);
  // The layout marker a client of this version writes at first use: an older store has none.
  await store.batch([{ namespace: HISTORY_NS.layout, key: "version", value: undefined }]);
  const client = await ParleyClient.open(options);
  try {
    const [summary] = await client.conversations();
    expect(summary).toMatchObject({ id: "@ana", lastMessage: messages.at(-1), unread: messages.filter(isUnread).length });
    expect(await client.messages("@ana", { limit: 3 })).toEqual(messages.slice(-3));
    expect(await client.messages("@ana")).toEqual(messages);
    expect(await client.message("@ana", (messages[1] as ChatMessage).id)).toEqual(messages[1]);
    expect(await client.message("@ana", "nope")).toBeUndefined();
    await expect(client.messages("@ana", { limit: MAX_PAGE_LIMIT + 1 })).rejects.toThrow(RangeError);
  } finally {
    await client.close();
  }
});
