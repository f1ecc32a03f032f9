// Measures paged history over the encrypted FileStore, from the built dist (run `npx tsc -b` first):
//   node packages/protocol/src/client/history.bench.mjs [messages=10000] [conversations=50]
// Builds a store holding an account, one conversation of `messages` messages and
// `conversations` - 1 small ones (20 messages each), then in a fresh process (cold JIT and
// caches) opens it and times: FileStore.open, ParleyClient.open, `messages(id, { limit: 50 })`,
// the next page, `conversations()`, and for comparison the whole history `messages(id)`.
import { spawnSync } from "node:child_process";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";

const dist = (path) => import(new URL(`../../dist/${path}`, import.meta.url).href);
const { FileStore } = await dist("client/store/file-store.js");
const { ParleyClient } = await dist("client/client.js");
const { HistoryStore } = await dist("client/history.js");
const { HISTORY_NS } = await dist("client/history-layout.js");
const { decodeRecord, encodeRecord } = await dist("client/records.js");

const KDF = { N: 16, r: 8, p: 1 }; // the store's scrypt is not what this measures
const PASSPHRASE = "bench";
const OPTIONS = { relayUrl: "ws://127.0.0.1:9", displayName: "Bench", keepStoreOpen: true };

const time = async (run) => {
  const start = performance.now();
  const result = await run();
  return [performance.now() - start, result];
};

if (process.argv[2] === "--measure") {
  const [dir, id] = process.argv.slice(3);
  const [openStore, store] = await time(() => FileStore.open(dir, { passphrase: PASSPHRASE, kdf: KDF }));
  const [openClient, client] = await time(() => ParleyClient.open({ ...OPTIONS, store }));
  const [firstPage, page] = await time(() => client.messages(id, { limit: 50 }));
  const [nextPage] = await time(() => client.messages(id, { limit: 50, before: page[0].id }));
  const [list, conversations] = await time(() => client.conversations());
  const [whole, all] = await time(() => client.messages(id));
  // What reading a whole conversation cost before buckets: one prefix listing of it, every message decoded.
  const [oneListing] = await time(async () => (await store.list("messages", `${encodeURIComponent(id)}#`)).map(([, v]) => decodeRecord(v)));
  await client.close();
  await store.close();
  const ms = (n) => `${n.toFixed(1)} ms`;
  console.log(`FileStore.open (replay of ${all.length + 20 * (conversations.length - 1)} messages): ${ms(openStore)}`);
  console.log(`ParleyClient.open: ${ms(openClient)}`);
  console.log(`messages(id, { limit: 50 }), cold: ${ms(firstPage)}  (${page.length} messages)`);
  console.log(`messages(id, { limit: 50, before }): ${ms(nextPage)}`);
  console.log(`conversations(): ${ms(list)}  (${conversations.length} conversations)`);
  console.log(`messages(id), the whole history, for comparison: ${ms(whole)}  (${all.length} messages)`);
  console.log(`  (one prefix listing of the conversation, decoded, as before buckets: ${ms(oneListing)})`);
  process.exit(0);
}

const total = Number(process.argv[2] ?? 10_000);
const others = Number(process.argv[3] ?? 50) - 1;
const dir = await mkdtemp(join(tmpdir(), "parley-history-bench-"));
try {
  const store = await FileStore.open(dir, { passphrase: PASSPHRASE, kdf: KDF });
  await (await ParleyClient.create({ ...OPTIONS, store })).close();
  const writer = new HistoryStore(store);
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
  await writer.batch([contact("@big", 1)]);
  for (let i = 0; i < total; i += 500)
    await writer.batch(Array.from({ length: Math.min(500, total - i) }, (_, j) => append(message("@big", i + j))));
  for (let c = 0; c < others; c++) {
    const id = `@small${c}`;
    await writer.batch([contact(id, c + 2), ...Array.from({ length: 20 }, (_, j) => append(message(id, total + c * 20 + j)))]);
  }
  await store.close();
  const run = spawnSync(process.execPath, [fileURLToPath(import.meta.url), "--measure", dir, "@big"], { encoding: "utf8" });
  process.stdout.write(run.stdout);
  process.stderr.write(run.stderr);
} finally {
  await rm(dir, { recursive: true, force: true });
}
