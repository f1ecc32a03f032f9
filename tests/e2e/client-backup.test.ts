// Encrypted backups against a real relay: Alice chats with Bob and in a group with Bob and Carol,
// exports a backup, and restores it into an empty store as a new device of her account. The
// restored device shows her contacts, group and history, has no session from the old device
// (new ones are made on the first messages), and chats 1:1 and in the group both ways; Bob sees
// no identity change. A wrong passphrase writes nothing; another account's backup is refused;
// importing merges what is missing.

import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { type ChatMessage, MemoryStore, ParleyClient, type Store } from "@parley/protocol/client";
import { FileStore, nodeTransport } from "@parley/protocol/node";
import { describe, expect, test } from "vitest";
import { BACKUP_KDF_ITERATIONS, parseBackupHeader } from "../../packages/protocol/src/client/backup-format.js";
import { collect, eventually, FAST_BACKOFF, newClient, reopenClient, waitFor } from "./support/clients.js";
import { perTestCleanups } from "./support/fixtures.js";
import { linkDevice } from "./support/linking.js";

const { cleanups, relay: relayForTest } = perTestCleanups();
const isText = (text: string) => (m: ChatMessage) => m.text === text;
/** The next message with `text` at `client`; generous, as the test machine is shared. */
const arrives = (client: ParleyClient, text: string) => waitFor(client, "message", isText(text), 30_000);
const PASSPHRASE = "a backup passphrase for the test";
/** The restored device's file store: a cheap scrypt cost, the store's own concern, not the backup's. */
const STORE_KDF = { N: 1024, r: 8, p: 1 };
const NAMESPACES = ["identity", "prekeys", "sessions", "contacts", "contact-by-user", "messages", "message-index", "groups"];

async function storeIsEmpty(store: Store): Promise<boolean> {
  for (const ns of NAMESPACES) if ((await store.list(ns)).length > 0) return false;
  return true;
}

async function errorCode(run: () => Promise<unknown>): Promise<string | undefined> {
  try {
    await run();
  } catch (error) {
    return (error as { code?: string }).code;
  }
  return undefined;
}

describe("encrypted backup", () => {
  test("export, restore as a new device with new sessions, chat 1:1 and in the group both ways; import merges", async () => {
    const relay = await relayForTest();
    const aliceStore = new MemoryStore();
    const alice = await newClient(relay.wsUrl, "Alice", aliceStore);
    const bob = await newClient(relay.wsUrl, "Bob");
    const carol = await newClient(relay.wsUrl, "Carol");
    cleanups.push(
      () => alice.close(),
      () => bob.close(),
      () => carol.close(),
    );
    await alice.claimHandle("alice");
    await bob.claimHandle("bob");
    await carol.claimHandle("carol");
    const bobAtAlice = (await alice.findContact("bob")).id;
    const carolAtAlice = (await alice.findContact("carol")).id;
    const first = arrives(bob, "hi Bob");
    await alice.sendText(bobAtAlice, "hi Bob");
    const aliceAtBob = (await first).contactId;
    const back = arrives(alice, "hi Alice");
    const fromBob = await bob.sendText(aliceAtBob, "hi Alice");
    await back;
    // Carol too has met Alice pairwise: a group member never met is a separate, known-flaky path.
    const toCarol = arrives(carol, "hi Carol");
    await alice.sendText(carolAtAlice, "hi Carol");
    await toCarol;
    await alice.react(bobAtAlice, fromBob.id, "👍");
    await alice.markVerified(bobAtAlice);
    await alice.updateSettings({ typingIndicators: false });

    const joined = [bob, carol].map((c) => waitFor(c, "group", () => true, 30_000));
    const group = await alice.groups.create({ name: "Three", members: [bobAtAlice, carolAtAlice] });
    await Promise.all(joined);
    const atBoth = [bob, carol].map((c) => arrives(c, "hello group"));
    await alice.sendText(group.id, "hello group");
    await Promise.all(atBoth);
    const bobInGroup = arrives(alice, "Bob in the group");
    await bob.sendText(group.id, "Bob in the group");
    await bobInGroup;
    const history = (await alice.messages(bobAtAlice)).map((m) => m.text);
    const groupHistory = (await alice.messages(group.id)).map((m) => m.text);
    expect(history).toEqual(["hi Bob", "hi Alice"]);
    expect(groupHistory).toContain("Bob in the group");

    const safetyBefore = (await bob.safetyNumber(aliceAtBob)).digits;
    const backup = await alice.exportBackup(PASSPHRASE);
    expect(parseBackupHeader(backup).iterations).toBe(BACKUP_KDF_ITERATIONS);
    await alice.close(); // The old device is gone (lost phone); its store is kept for the comparisons below.

    const options = {
      relayUrl: relay.wsUrl,
      transport: nodeTransport,
      backoff: FAST_BACKOFF,
      requestTimeoutMs: 5_000,
      keepStoreOpen: true,
    } as const;
    // A wrong passphrase: the typed error, and nothing written.
    const dir = mkdtempSync(join(tmpdir(), "parley-e2e-backup-"));
    const store = await FileStore.open(dir, { passphrase: "store passphrase", kdf: STORE_KDF });
    cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
    expect(await errorCode(() => ParleyClient.restoreBackup({ ...options, store }, backup, "not the passphrase"))).toBe(
      "ERR_BACKUP_PASSPHRASE",
    );
    expect(await storeIsEmpty(store)).toBe(true);
    expect(await ParleyClient.hasAccount(store)).toBe(false);
    // Not into a store that holds an account.
    expect(await errorCode(() => ParleyClient.restoreBackup({ ...options, store: aliceStore }, backup, PASSPHRASE))).toBe(
      "ERR_ACCOUNT_EXISTS",
    );

    let restored = await ParleyClient.restoreBackup({ ...options, store }, backup, PASSPHRASE);
    cleanups.push(() => restored.close());
    expect(restored.userId).toBe(alice.userId);
    expect(restored.deviceId).not.toBe(alice.deviceId);
    // The restored device holds the account key again, though its device id is not the first one.
    expect(restored.isPrimary).toBe(true);
    expect([...restored.devices].sort()).toEqual([alice.deviceId, restored.deviceId].sort());
    expect(restored.handle).toBe("alice");
    expect(restored.displayName).toBe("Alice");
    expect(restored.settings).toEqual({ readReceipts: true, typingIndicators: false, presence: true });
    expect(await store.list("sessions")).toEqual([]); // Never restored: made afresh below.
    const contacts = await restored.contacts();
    expect(contacts.map((c) => c.handle).sort()).toEqual(["bob", "carol"]);
    expect((await restored.contact(bobAtAlice))?.verified).toBe(true);
    expect((await restored.messages(bobAtAlice)).map((m) => m.text)).toEqual(history);
    expect((await restored.messages(bobAtAlice)).find((m) => m.id === fromBob.id)?.reactions).toEqual({ "👍": [alice.userId] });
    expect((await restored.groups.list()).map((g) => g.name)).toEqual(["Three"]);
    expect((await restored.messages(group.id)).map((m) => m.text)).toEqual(groupHistory);

    // The restored device chats: Bob sees Alice's account on a new device, no identity change.
    const identityChanges = collect(bob, "identityChanged");
    await restored.connect();
    const atBob = arrives(bob, "from the restored device");
    await restored.sendText(bobAtAlice, "from the restored device");
    const got = await atBob;
    expect(got.contactId).toBe(aliceAtBob);
    expect(got.sender).toBe(alice.userId);
    expect(got.senderDevice).toBe(restored.deviceId);
    const reply = arrives(restored, "reply to the restored device");
    await bob.sendText(aliceAtBob, "reply to the restored device");
    expect((await reply).contactId).toBe(bobAtAlice);

    // The group: the restored device sends with a new sender key, and gets Bob's.
    const groupAt = [bob, carol].map((c) => arrives(c, "group from the restored device"));
    await restored.sendText(group.id, "group from the restored device");
    for (const m of await Promise.all(groupAt)) expect(m.senderDevice).toBe(restored.deviceId);
    const groupReply = arrives(restored, "Bob answers the group");
    await bob.sendText(group.id, "Bob answers the group");
    expect((await groupReply).contactId).toBe(group.id);
    const carolReply = arrives(restored, "Carol answers the group");
    await carol.sendText(group.id, "Carol answers the group");
    await carolReply;
    expect(identityChanges).toEqual([]);
    expect((await bob.safetyNumber(aliceAtBob)).digits).toBe(safetyBefore);
    expect((await bob.contact(aliceAtBob))?.deviceIds).toContain(restored.deviceId);

    // Sessions: every record on the restored device is new — none equals one the old device had.
    const restoredSessions = await store.list("sessions");
    expect(restoredSessions.length).toBeGreaterThanOrEqual(2);
    const oldSessions = new Map((await aliceStore.list("sessions")).map(([k, v]) => [k, Buffer.from(v).toString("hex")]));
    for (const [key, value] of restoredSessions) expect(oldSessions.get(key)).not.toBe(Buffer.from(value).toString("hex"));

    // The restored device keeps it all in its file store: reopened, history and sessions are there.
    await restored.close();
    await store.close();
    const reopenedStore = await FileStore.open(dir, { passphrase: "store passphrase", kdf: STORE_KDF });
    cleanups.push(() => reopenedStore.close());
    restored = await ParleyClient.open({ ...options, store: reopenedStore });
    expect(restored.deviceId).toBe(got.senderDevice);
    expect((await restored.messages(bobAtAlice)).map((m) => m.text)).toEqual([
      ...history,
      "from the restored device",
      "reply to the restored device",
    ]);
    await restored.connect();
    const afterReopen = arrives(bob, "after reopening");
    await restored.sendText(bobAtAlice, "after reopening");
    await afterReopen;

    // Import: another account's backup is refused; this account's merges only what is missing.
    expect(await errorCode(() => bob.importBackup(backup, PASSPHRASE))).toBe("ERR_BACKUP_ACCOUNT");
    expect(await restored.importBackup(backup, PASSPHRASE)).toEqual({ contacts: 0, groups: 0, messages: 0 });
    const newer = await restored.exportBackup(PASSPHRASE);
    const old = await reopenClient(relay.wsUrl, aliceStore);
    cleanups.push(() => old.close());
    expect(await errorCode(() => old.importBackup(newer, "wrong"))).toBe("ERR_BACKUP_PASSPHRASE");
    const merged = await old.importBackup(newer, PASSPHRASE);
    expect(merged.contacts).toBe(0);
    expect(merged.messages).toBeGreaterThanOrEqual(5);
    expect((await old.messages(bobAtAlice)).map((m) => m.text)).toEqual([
      ...history,
      "from the restored device",
      "reply to the restored device",
      "after reopening",
    ]);
    await eventually(async () => (await old.messages(group.id)).some((m) => m.text === "Carol answers the group"));
  });

  test("a linked device's backup has no account key: restore refuses it, import on the account's device takes it; no relay: nothing restored", async () => {
    const relay = await relayForTest();
    const alice = await newClient(relay.wsUrl, "Alice");
    cleanups.push(() => alice.close());
    const phone = await linkDevice(relay.wsUrl, alice);
    cleanups.push(() => phone.close());
    const backup = await phone.exportBackup(PASSPHRASE);
    const store = new MemoryStore();
    const refused = ParleyClient.restoreBackup(
      { relayUrl: relay.wsUrl, store, transport: nodeTransport, keepStoreOpen: true },
      backup,
      PASSPHRASE,
    );
    await expect(refused).rejects.toMatchObject({ code: "ERR_BACKUP_ACCOUNT", reason: "NO_ACCOUNT_KEY" });
    expect(await storeIsEmpty(store)).toBe(true);

    // A primary device's backup, but no relay to read the device list from: refused, nothing written.
    const primary = await alice.exportBackup(PASSPHRASE);
    const unreachable = ParleyClient.restoreBackup(
      { relayUrl: "ws://127.0.0.1:9", store, transport: nodeTransport, keepStoreOpen: true, requestTimeoutMs: 1_000 },
      primary,
      PASSPHRASE,
    );
    await expect(unreachable).rejects.toMatchObject({ code: "ERR_TIMEOUT" });
    expect(await storeIsEmpty(store)).toBe(true);
    expect(await alice.importBackup(backup, PASSPHRASE)).toEqual({ contacts: 0, groups: 0, messages: 0 });
  });
});
