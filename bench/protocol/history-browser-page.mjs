// Page script for history-browser.mjs, bundled by Vite and run in real Chromium: fills an
// IndexedDbStore with a long conversation and many short ones, and times the reads a chat
// client makes when it opens (the conversation list, the newest page, the next page).
import { HistoryStore } from "../../packages/protocol/src/client/history.ts";
import { HISTORY_NS } from "../../packages/protocol/src/client/history-layout.ts";
import { encodeRecord } from "../../packages/protocol/src/client/records.ts";
import { claimStore, IndexedDbStore } from "../../packages/protocol/src/client/store/index.ts";

const DB = "history-bench";
const contact = (id, n) => ({
  namespace: "contacts",
  key: id,
  value: encodeRecord({
    id,
    userId: new Uint8Array(32).fill(n),
    accountKey: new Uint8Array(32).fill(n),
    handle: id.slice(1),
    deviceIds: [1],
    deviceListSequence: 1,
    verified: false,
    profileSent: true,
  }),
});
const message = (contactId, i) => ({
  id: i.toString(16).padStart(32, "0"),
  contactId,
  sender: i % 2 ? "aa".repeat(32) : "bb".repeat(32),
  senderDevice: 1,
  outgoing: i % 2 === 0,
  kind: "text",
  text: `message ${i}: ${"lorem ipsum dolor sit amet ".repeat(3)}`,
  sentAt: 1_700_000_000_000 + i,
  receivedAt: 1_700_000_000_000 + i,
  deleted: false,
  reactions: {},
  status: i % 2 ? "received" : "delivered",
});
const append = (m) => ({ namespace: HISTORY_NS.append, key: `${m.contactId}/${m.id}`, value: encodeRecord(m) });
const time = async (run) => {
  const start = performance.now();
  const result = await run();
  return [performance.now() - start, result];
};

globalThis.bench = {
  async fill(total, conversations) {
    const store = await IndexedDbStore.open(DB);
    const writer = new HistoryStore(await claimStore(store));
    const start = performance.now();
    await writer.batch([contact("@big", 1)]);
    for (let i = 0; i < total; i += 500)
      await writer.batch(Array.from({ length: Math.min(500, total - i) }, (_, j) => append(message("@big", i + j))));
    for (let c = 0; c < conversations - 1; c++) {
      const id = `@small${c}`;
      await writer.batch([contact(id, c + 2), ...Array.from({ length: 20 }, (_, j) => append(message(id, total + c * 20 + j)))]);
    }
    await store.close();
    return performance.now() - start;
  },
  async measure() {
    const [open, store] = await time(() => IndexedDbStore.open(DB));
    const [claim, writer] = await time(async () => new HistoryStore(await claimStore(store)));
    const history = writer.history;
    // What ParleyClient.conversations() reads: the contacts and the history records (no group here).
    const [list, [contacts, summaries]] = await time(() => Promise.all([writer.list("contacts"), history.summaries()]));
    const [firstPage, page] = await time(() => history.page("@big", { limit: 50 }));
    const [nextPage] = await time(() => history.page("@big", { limit: 50, before: page[0].id }));
    const [whole, all] = await time(() => history.all("@big"));
    await store.close();
    return { open, claim, list, contacts: contacts.length, summaries: summaries.size, firstPage, nextPage, whole, all: all.length };
  },
};
