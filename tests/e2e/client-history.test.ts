// Paged history and conversation summaries through real clients and a real relay: pages of a
// conversation longer than one storage bucket, `message(id)`, and `conversations()` kept right
// by receives, mark-read, edits and deletes, in 1:1 and group conversations, over a file store
// that is reopened.

import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { BUCKET_SIZE, type ChatMessage, MAX_PAGE_LIMIT, type ParleyClient } from "@parley/protocol/client";
import { FileStore } from "@parley/protocol/node";
import { describe, expect, test } from "vitest";
import { eventually, newClient, reopenClient, waitFor } from "./support/clients.js";
import { perTestCleanups } from "./support/fixtures.js";

const { cleanups, relay: relayForTest } = perTestCleanups();
const text = (m: ChatMessage) => m.text;

/** Every message of a conversation, fetched in pages of `limit` from the newest. */
async function pageThrough(client: ParleyClient, id: string, limit: number): Promise<ChatMessage[]> {
  const out: ChatMessage[] = [];
  for (let before: string | undefined; ; ) {
    const page = await client.messages(id, { limit, ...(before ? { before } : {}) });
    if (page.length === 0) return out;
    out.unshift(...page);
    before = page[0]?.id;
  }
}

describe("paged history and summaries", () => {
  test("pages, single messages and the conversation list through receives, reads, edits, deletes and a reopen", async () => {
    const relay = await relayForTest();
    const dir = await mkdtemp(join(tmpdir(), "parley-history-e2e-"));
    cleanups.push(() => rm(dir, { recursive: true, force: true }));
    const openStore = () => FileStore.open(dir, { passphrase: "history", kdf: { N: 16, r: 8, p: 1 } });
    let bobStore = await openStore();
    const alice = await newClient(relay.wsUrl, "Alice");
    let bob = await newClient(relay.wsUrl, "Bob", bobStore);
    cleanups.push(
      () => alice.close(),
      () => bob.close(),
      () => bobStore.close(),
    );
    await bob.claimHandle("historybob");
    const bobAtAlice = (await alice.findContact("historybob")).id;

    const count = BUCKET_SIZE + 20;
    const first = waitFor(bob, "message");
    await alice.sendText(bobAtAlice, "m0");
    const aliceAtBob = (await first).contactId;
    for (let i = 1; i < count; i++) await alice.sendText(bobAtAlice, `m${i}`);
    await eventually(async () => (await bob.messages(aliceAtBob, { limit: 1 }))[0]?.text === `m${count - 1}`, 30_000);

    const all = await bob.messages(aliceAtBob);
    expect(all.map(text)).toEqual(Array.from({ length: count }, (_, i) => `m${i}`));
    expect((await bob.messages(aliceAtBob, { limit: 50 })).map(text)).toEqual(all.slice(-50).map(text));
    expect(await pageThrough(bob, aliceAtBob, 50)).toEqual(all);
    expect(await bob.message(aliceAtBob, (all[3] as ChatMessage).id)).toEqual(all[3]);
    expect(await bob.message(aliceAtBob, "00".repeat(16))).toBeUndefined();
    await expect(bob.messages(aliceAtBob, { limit: MAX_PAGE_LIMIT + 1 })).rejects.toThrow(RangeError);

    const summary = async () => (await bob.conversations()).find((c) => c.id === aliceAtBob);
    expect(await summary()).toMatchObject({ unread: count, lastMessage: all.at(-1), lastActivity: all.at(-1)?.receivedAt });

    // Reading the newest ten lowers the count by ten; reading the rest by the rest, and Alice sees the receipts.
    await bob.markRead(
      aliceAtBob,
      all.slice(-10).map((m) => m.id),
    );
    expect((await summary())?.unread).toBe(count - 10);
    const lastAtAlice = (await alice.messages(bobAtAlice, { limit: 1 }))[0] as ChatMessage;
    const receipt = waitFor(alice, "messageUpdated", (m) => m.id === (all[0] as ChatMessage).id && m.status === "read");
    await bob.markRead(aliceAtBob);
    expect((await summary())?.unread).toBe(0);
    await receipt;

    // An edit, then a delete, of the last message show in the list.
    const edited = waitFor(bob, "messageUpdated", (m) => m.editedAt !== undefined);
    await alice.edit(bobAtAlice, lastAtAlice.id, "last, edited");
    await edited;
    expect((await summary())?.lastMessage?.text).toBe("last, edited");
    const deleted = waitFor(bob, "messageUpdated", (m) => m.deleted);
    await alice.deleteMessage(bobAtAlice, lastAtAlice.id);
    await deleted;
    expect((await summary())?.lastMessage).toMatchObject({ id: lastAtAlice.id, deleted: true, text: "" });

    // A group conversation pages and counts the same way.
    const joined = waitFor(bob, "group", () => true);
    const group = await alice.groups.create({ name: "Paged", members: [bobAtAlice] });
    await joined;
    for (let i = 0; i < 5; i++) await alice.sendText(group.id, `g${i}`);
    await eventually(async () => (await bob.messages(group.id, { limit: 1 }))[0]?.text === "g4", 15_000);
    const groupAll = await bob.messages(group.id);
    expect((await bob.messages(group.id, { limit: 2, before: groupAll.at(-1)?.id })).map(text)).toEqual(["g2", "g3"]);
    const groupSummary = async () => (await bob.conversations()).find((c) => c.id === group.id);
    expect(await groupSummary()).toMatchObject({ unread: 5, lastMessage: groupAll.at(-1) });
    expect((await bob.conversations()).map((c) => c.id)).toEqual([group.id, aliceAtBob]);
    await bob.markRead(group.id);
    expect((await groupSummary())?.unread).toBe(0);

    // Everything reads the same after the store is reopened.
    const before = await bob.conversations();
    await bob.close();
    await bobStore.close();
    bobStore = await openStore();
    bob = await reopenClient(relay.wsUrl, bobStore);
    expect(await bob.conversations()).toEqual(before);
    expect(await pageThrough(bob, aliceAtBob, 7)).toEqual(await bob.messages(aliceAtBob));
  }, 90_000);
});
