// Groups end to end: five real clients through a real relay process. Creation, membership and
// roles as signed changes every member checks; every kind of content as sender-key messages sent
// once through multi_send; per-member receipts; a removed member that keeps its stored keys reads
// nothing later; a non-admin's change is refused by everyone; announcement groups; a member
// restarted from its file store mid-conversation; a late joiner reads no earlier history.

import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { ErrorCode, ParleyError } from "@parley/protocol";
import type { ChatMessage, ClientEvents, GroupInfo, ParleyClient, TransportFactory } from "@parley/protocol/client";
import { FileStore, nodeTransport } from "@parley/protocol/node";
import { decodeFrame } from "@parley/protocol/wire";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import type { ClientContext } from "../../packages/protocol/src/client/context.js";
import { newContent, sendContent } from "../../packages/protocol/src/client/outgoing.js";
import { decodeRecord, encodeRecord } from "../../packages/protocol/src/client/records.js";
import { bytesToHex, hexToBytes } from "../../packages/protocol/src/crypto/bytes.js";
import { openEnvelope } from "../../packages/protocol/src/envelope/sealed.js";
import { signGroupChange } from "../../packages/protocol/src/group/change.js";
import { decodeSenderKeyState, groupDecrypt, parseGroupMessageHeader } from "../../packages/protocol/src/group/sender-key.js";
import { decodeGroupState, encodeGroupState, groupStateHash } from "../../packages/protocol/src/group/state.js";
import { collect, eventually, newClient, reopenClient, waitFor } from "./support/clients.js";
import { type RelayProcess, startRelay } from "./support/relay-process.js";

let relay: RelayProcess;
let alice: ParleyClient;
let bob: ParleyClient;
let carol: ParleyClient;
let dave: ParleyClient;
let erin: ParleyClient;
let carolStore: FileStore;
let carolDir: string;
/** Every envelope the relay delivered to Carol, as a relay could keep them. */
const deliveredToCarol: Uint8Array[] = [];
/** Contact id of each user at Alice (the group's creator). */
const atAlice: Record<string, string> = {};
let group: GroupInfo;

const kdf = { N: 2 ** 12, r: 8, p: 1 };
const internals = (client: ParleyClient) => (client as unknown as { ctx: ClientContext }).ctx;
const texts = async (client: ParleyClient, id = group.id) =>
  (await client.messages(id)).filter((m) => m.kind !== "notice" && !m.deleted).map((m) => m.text);
const isText = (text: string) => (m: ChatMessage) => m.text === text;

/** A transport that keeps a copy of every envelope delivered to the client. */
function recording(into: Uint8Array[]): TransportFactory {
  return (url, handlers) =>
    nodeTransport(url, {
      ...handlers,
      onMessage: (data) => {
        const frame = decodeFrame(data);
        if (frame.t === "message") into.push(frame.envelope);
        handlers.onMessage(data);
      },
    });
}

/** The group messages among the envelopes delivered to Carol in [from, to), opened as Carol. */
function groupMessagesAtCarol(from: number, to = deliveredToCarol.length): { sender: string; message: Uint8Array }[] {
  const ctx = internals(carol);
  const out: { sender: string; message: Uint8Array }[] = [];
  for (const envelope of deliveredToCarol.slice(from, to)) {
    try {
      const opened = openEnvelope(ctx.deps, ctx.local.device.identityKey, envelope);
      if (opened.multi) out.push({ sender: bytesToHex(opened.sender.userId), message: opened.message });
    } catch {
      // Not for this identity (cannot happen here) or not a group message: skip.
    }
  }
  return out;
}

function onGroup(client: ParleyClient, filter: (g: GroupInfo) => boolean): Promise<ClientEvents["group"]> {
  return waitFor(client, "group", filter, 15_000);
}

beforeAll(async () => {
  relay = await startRelay();
  carolDir = mkdtempSync(join(tmpdir(), "parley-e2e-groups-"));
  carolStore = await FileStore.open(carolDir, { passphrase: "correct horse", kdf });
  [alice, bob, carol, dave, erin] = await Promise.all([
    newClient(relay.wsUrl, "Alice"),
    newClient(relay.wsUrl, "Bob"),
    newClient(relay.wsUrl, "Carol", carolStore, { transport: recording(deliveredToCarol) }),
    newClient(relay.wsUrl, "Dave"),
    newClient(relay.wsUrl, "Erin"),
  ]);
  const all = { alice, bob, carol, dave, erin };
  for (const [name, c] of Object.entries(all)) {
    await c.claimHandle(name);
    c.on("error", (e) => {
      const code = (e as { code?: string }).code ?? "";
      // Refusals the tests provoke are expected; anything else is worth seeing.
      if (code !== ErrorCode.GroupPermission && code !== ErrorCode.NotGroupMember) console.error(name, code, e.message);
    });
  }
  // Each member writes to Alice first, so she holds their profiles (and delivery tokens).
  for (const [name, c] of Object.entries(all)) {
    if (c === alice) continue;
    const aliceId = (await c.findContact("alice")).id;
    const arrived = waitFor(alice, "message", isText(`hi from ${name}`));
    await c.sendText(aliceId, `hi from ${name}`);
    atAlice[name] = (await arrived).contactId;
  }
});

afterAll(async () => {
  await Promise.all([alice, bob, carol, dave, erin].map((c) => c?.close()));
  await carolStore?.close();
  await relay?.stop();
  relay?.cleanup();
  rmSync(carolDir, { recursive: true, force: true });
});

describe("groups through a real relay", () => {
  test("create: every member gets the group, with roles, and a notice line", async () => {
    const atBob = onGroup(bob, () => true);
    const atCarol = onGroup(carol, () => true);
    group = await alice.groups.create({ name: "Trip", description: "Planning", members: [atAlice.bob as string, atAlice.carol as string] });
    expect(group.id).toBe(`group:${group.groupId}`);
    expect(group.isAdmin).toBe(true);
    const [b, c] = await Promise.all([atBob, atCarol]);
    for (const info of [b, c]) {
      expect(info.id).toBe(group.id);
      expect(info.name).toBe("Trip");
      expect(info.members.length).toBe(3);
      expect(info.members.find((m) => m.userId === alice.userId)?.role).toBe("admin");
      expect(info.isAdmin).toBe(false);
    }
    expect((await bob.messages(group.id)).map((m) => m.kind)).toEqual(["notice"]);
    expect((await alice.conversations()).some((s) => s.id === group.id && s.group?.name === "Trip")).toBe(true);
  });

  test("text, reply with mentions, reactions, edit and delete reach every member; an admin deletes another's message", async () => {
    const gotBob = waitFor(bob, "message", isText("Hello group"));
    const gotCarol = waitFor(carol, "message", isText("Hello group"));
    const hello = await alice.sendText(group.id, "Hello group");
    expect((await gotBob).sender).toBe(alice.userId);
    expect((await gotCarol).contactId).toBe(group.id);

    const replyAtAlice = waitFor(alice, "message", isText("Sounds good @Carol"));
    const replyAtCarol = waitFor(carol, "message", isText("Sounds good @Carol"));
    const reply = await bob.sendText(group.id, "Sounds good @Carol", { replyTo: hello.id, mentions: [carol.userId] });
    expect((await replyAtAlice).replyTo).toBe(hello.id);
    expect((await replyAtCarol).mentions).toEqual([carol.userId]);

    const reacted = waitFor(carol, "messageUpdated", (m) => m.id === hello.id && (m.reactions["🎉"]?.length ?? 0) === 2);
    await bob.react(group.id, hello.id, "🎉");
    await carol.react(group.id, hello.id, "🎉");
    expect([...((await reacted).reactions["🎉"] ?? [])].sort()).toEqual([bob.userId, carol.userId].sort());
    await eventually(async () => ((await alice.messages(group.id)).find((m) => m.id === hello.id)?.reactions["🎉"]?.length ?? 0) === 2);

    const edited = waitFor(alice, "messageUpdated", (m) => m.id === reply.id && m.editedAt !== undefined);
    await bob.edit(group.id, reply.id, "Sounds great @Carol");
    expect((await edited).text).toBe("Sounds great @Carol");
    // Only the author edits; only the author or an admin deletes.
    await expect(carol.edit(group.id, reply.id, "forged")).rejects.toThrow(RangeError);
    await expect(carol.deleteMessage(group.id, hello.id)).rejects.toSatisfy((e) => ParleyError.is(e, ErrorCode.GroupPermission));

    const deletedAtBob = waitFor(bob, "messageUpdated", (m) => m.id === reply.id && m.deleted);
    const deletedAtCarol = waitFor(carol, "messageUpdated", (m) => m.id === reply.id && m.deleted);
    await alice.deleteMessage(group.id, reply.id); // Bob's message, deleted by the admin.
    await Promise.all([deletedAtBob, deletedAtCarol]);
    expect((await bob.messages(group.id)).find((m) => m.id === reply.id)?.text).toBe("");
  });

  test("typing reaches members live, naming the member, and is never stored", async () => {
    const atBob = waitFor(bob, "typing", (t) => t.contactId === group.id && t.typing);
    const atAlice = waitFor(alice, "typing", (t) => t.contactId === group.id && t.typing);
    await carol.setTyping(group.id, true);
    expect((await atBob).userId).toBe(carol.userId);
    await atAlice;
  });

  test("receipts per member: an outgoing group message shows delivered, then read by 1 of 2, then read", async () => {
    const arrivedBob = waitFor(bob, "message", isText("Read me"));
    const arrivedCarol = waitFor(carol, "message", isText("Read me"));
    const sent = await alice.sendText(group.id, "Read me");
    await Promise.all([arrivedBob, arrivedCarol]);
    const mine = async () => (await alice.messages(group.id)).find((m) => m.id === sent.id);
    await eventually(async () => (await mine())?.status === "delivered");
    await bob.markRead(group.id);
    await eventually(async () => (await mine())?.receipts?.[bob.userId] === "read");
    expect((await mine())?.status).toBe("delivered");
    expect(Object.values((await mine())?.receipts ?? {}).filter((r) => r === "read").length).toBe(1);
    await carol.markRead(group.id);
    await eventually(async () => (await mine())?.status === "read");
    expect((await bob.conversations()).find((c) => c.id === group.id)?.unread).toBe(0);
  });

  test("add, promote, rename and describe at once (a fork), demote, settings, picture: every member applies the same signed changes", async () => {
    const earlier = deliveredToCarol.length;
    const daveJoined = onGroup(dave, (g) => g.id === group.id);
    const bobSees = onGroup(bob, (g) => g.members.length === 4);
    await alice.groups.add(group.id, [atAlice.dave as string]);
    const atDave = await daveJoined;
    expect(atDave.members.length).toBe(4);
    await bobSees;
    // The late joiner reads nothing sent before it joined.
    expect(await texts(dave)).toEqual([]);
    const welcome = waitFor(dave, "message", isText("Welcome Dave"));
    await bob.sendText(group.id, "Welcome Dave");
    await welcome;
    // Even given the bytes of Bob's earlier group messages, Dave's key for Bob (the chain's
    // current position when he joined) decrypts none of them.
    const daveCtx = internals(dave);
    const bobKeys = await daveCtx.store.list("group-sender-keys", `${group.groupId}/${bob.userId}.`);
    expect(bobKeys.length).toBe(1);
    const earlierFromBob = groupMessagesAtCarol(0, earlier).filter((m) => m.sender === bob.userId);
    expect(earlierFromBob.length).toBeGreaterThan(2);
    for (const { message } of earlierFromBob) {
      expect(() =>
        groupDecrypt(daveCtx.deps, decodeSenderKeyState(bobKeys[0]?.[1] as Uint8Array), hexToBytes(group.groupId), message),
      ).toThrow(ParleyError);
    }

    const isBobAdmin = (g: GroupInfo) => g.members.find((m) => m.userId === bob.userId)?.role === "admin";
    const promoted = [bob, carol, dave].map((c) => onGroup(c, isBobAdmin));
    await alice.groups.promote(group.id, bob.userId);
    await Promise.all(promoted);
    // Two admins change the group at once: both changes name the same version, a fork. Every
    // member keeps the same winner, and the loser's author makes its change again on top.
    await Promise.all([bob.groups.rename(group.id, "Trip 2026"), alice.groups.setDescription(group.id, "Planning, v2")]);
    for (const c of [alice, bob, carol, dave]) {
      await eventually(async () => {
        const info = await c.groups.get(group.id);
        return info?.name === "Trip 2026" && info.description === "Planning, v2";
      }, 15_000);
    }
    const versions = await Promise.all([alice, bob, carol, dave].map(async (c) => (await c.groups.get(group.id))?.version));
    expect(new Set(versions).size).toBe(1);
    const demoted = [bob, carol, dave].map((c) => onGroup(c, (g) => !isBobAdmin(g)));
    await alice.groups.demote(group.id, bob.userId);
    await Promise.all(demoted);
    const settled = [bob, carol, dave].map((c) => onGroup(c, (g) => g.settings.editInfo === "admins"));
    await alice.groups.setSettings(group.id, { editInfo: "admins" });
    await Promise.all(settled);
    // The group picture is an attachment pointer (opaque here).
    const avatar = Uint8Array.from({ length: 96 }, (_, i) => i);
    const pictured = [bob, carol, dave].map((c) => onGroup(c, (g) => g.avatar !== undefined));
    await alice.groups.setAvatar(group.id, avatar);
    await Promise.all(pictured);
    for (const c of [alice, bob, carol, dave]) {
      const info = await c.groups.get(group.id);
      expect(info?.avatar).toEqual(avatar);
      expect(info?.name).toBe("Trip 2026");
      expect(info?.settings.editInfo).toBe("admins");
      expect(info?.members.find((m) => m.userId === bob.userId)?.role).toBe("member");
    }
    const lines = (await carol.messages(group.id)).filter((m) => m.kind === "notice").map((m) => m.text);
    expect(lines.some((l) => l.includes("renamed the group to “Trip 2026”"))).toBe(true);
    // The member a change is about reads "you" where it names them, and others their name.
    const bobLines = (await bob.messages(group.id)).filter((m) => m.kind === "notice").map((m) => m.text);
    expect(bobLines).toContain("Alice made you an admin.");
    expect(bobLines).toContain("Alice made you a member.");
    expect(lines).toContain("Alice made Bob an admin.");
  });

  test("a non-admin's change is refused locally, and by every member when forced through", async () => {
    await expect(bob.groups.rename(group.id, "Bob's trip")).rejects.toSatisfy((e) => ParleyError.is(e, ErrorCode.GroupPermission));
    // Bob signs the change anyway and sends it to every member himself.
    const ctx = internals(bob);
    const record = await ctx.store.get("groups", group.groupId);
    const state = decodeGroupState(decodeRecord<{ state: Uint8Array }>(record as Uint8Array).state);
    const account = ctx.local.account;
    if (!account) throw new Error("Bob's client is his primary device");
    const change = signGroupChange(
      ctx.deps,
      { userId: ctx.local.userId, accountKeyPair: account.signingKey },
      {
        groupId: state.groupId,
        version: state.version + 1,
        previousHash: groupStateHash(ctx.deps, state),
        actions: [{ type: "setName", name: "Bob's trip" }],
      },
    );
    const refusals = [alice, carol, dave].map((c) =>
      waitFor(c, "groupChangeRefused", (r) => r.conversationId === group.id && r.author === bob.userId),
    );
    for (const member of [alice, carol, dave]) {
      const contact = await ctx.contactByUser(member.userId);
      if (!contact) throw new Error("Bob knows every member");
      await sendContent(ctx, contact, newContent(ctx, { kind: "groupChange", groupId: state.groupId, change }));
    }
    for (const refused of await Promise.all(refusals)) expect(refused.error.code).toBe(ErrorCode.GroupPermission);
    for (const c of [alice, carol, dave]) expect((await c.groups.get(group.id))?.name).toBe("Trip 2026");
  });

  test("a removed member that keeps its stored keys cannot read anything sent after its removal", async () => {
    // Bob keeps a copy of every group key he holds (as a compromised device would).
    const bobCtx = internals(bob);
    const saved = await bobCtx.store.list("group-sender-keys", `${group.groupId}/`);
    expect(saved.length).toBeGreaterThan(0);
    const bobHeard = collect(bob, "message");
    const removed = onGroup(bob, (g) => !g.active);
    const carolSees = onGroup(carol, (g) => g.members.length === 3);
    await alice.groups.remove(group.id, [bob.userId]);
    await Promise.all([removed, carolSees]);
    expect((await bob.groups.get(group.id))?.active).toBe(false);
    await expect(bob.sendText(group.id, "still here?")).rejects.toSatisfy((e) => ParleyError.is(e, ErrorCode.NotGroupMember));

    const before = deliveredToCarol.length;
    const atCarol = waitFor(carol, "message", isText("After Bob left"));
    const atDave = waitFor(dave, "message", isText("After Bob left"));
    await alice.sendText(group.id, "After Bob left");
    await Promise.all([atCarol, atDave]);
    await new Promise((r) => setTimeout(r, 300));
    expect(bobHeard.some((m) => m.text === "After Bob left")).toBe(false);

    // Take the group message as the relay delivered it to Carol (Bob was not even a recipient),
    // open the envelope as Carol, and try every key Bob kept: none decrypts it.
    const groupMessages = groupMessagesAtCarol(before).map((m) => m.message);
    expect(groupMessages.length).toBeGreaterThan(0);
    const groupId = hexToBytes(group.groupId);
    let tried = 0;
    for (const message of groupMessages) {
      expect(bytesToHex(parseGroupMessageHeader(message).groupId)).toBe(group.groupId);
      for (const [, state] of saved) {
        tried++;
        expect(() => groupDecrypt(bobCtx.deps, decodeSenderKeyState(state), groupId, message)).toThrow(ParleyError);
      }
    }
    expect(tried).toBeGreaterThan(0);
  });

  test("announcement-only: a member's message is refused by the SDK and by every receiver; admins still send", async () => {
    const set = [carol, dave].map((c) => onGroup(c, (g) => g.settings.send === "admins"));
    await alice.groups.setSettings(group.id, { send: "admins" });
    await Promise.all(set);
    await expect(carol.sendText(group.id, "may I?")).rejects.toSatisfy((e) => ParleyError.is(e, ErrorCode.GroupPermission));
    // A modified client that believes it is an admin sends anyway: every receiver refuses it.
    const ctx = internals(carol);
    const raw = (await ctx.store.get("groups", group.groupId)) as Uint8Array;
    const record = decodeRecord<{ state: Uint8Array }>(raw);
    const real = decodeGroupState(record.state);
    const forged = {
      ...real,
      members: real.members.map((m) => (bytesToHex(m.userId) === carol.userId ? { ...m, role: "admin" as const } : m)),
    };
    await ctx.store.batch([
      { namespace: "groups", key: group.groupId, value: encodeRecord({ ...record, state: encodeGroupState(forged) }) },
    ]);
    const refusedAtDave = waitFor(dave, "error", (e) => ParleyError.is(e, ErrorCode.GroupPermission));
    try {
      await carol.sendText(group.id, "forced announcement");
    } finally {
      await ctx.store.batch([{ namespace: "groups", key: group.groupId, value: raw }]);
    }
    await refusedAtDave;
    expect(await texts(dave)).not.toContain("forced announcement");
    expect(await texts(alice)).not.toContain("forced announcement");
    const official = waitFor(dave, "message", isText("Official: we leave at 9"));
    await alice.sendText(group.id, "Official: we leave at 9");
    await official;
    const reopened = [carol, dave].map((c) => onGroup(c, (g) => g.settings.send === "all"));
    await alice.groups.setSettings(group.id, { send: "all" });
    await Promise.all(reopened);
  });

  test("a member restarted from its file store mid-conversation carries on", async () => {
    await carol.close();
    await carolStore.close();
    const queued = await alice.sendText(group.id, "While Carol was away");
    await alice.flush();
    carolStore = await FileStore.open(carolDir, { passphrase: "correct horse" });
    carol = await reopenClient(relay.wsUrl, carolStore);
    const caughtUp = waitFor(carol, "message", (m) => m.id === queued.id, 20_000);
    await carol.connect();
    await caughtUp;
    expect((await carol.groups.get(group.id))?.members.length).toBe(3);
    const fromCarol = waitFor(dave, "message", isText("Back from a restart"));
    const atAlice = waitFor(alice, "message", isText("Back from a restart"));
    await carol.sendText(group.id, "Back from a restart");
    await Promise.all([fromCarol, atAlice]);
    expect(await texts(carol)).toContain("While Carol was away");
  });

  test("leave: the last admin names a successor; the group carries on without them", async () => {
    await expect(alice.groups.leave(group.id)).rejects.toSatisfy((e) => ParleyError.is(e, ErrorCode.GroupInvalid));
    const daveAdmin = onGroup(dave, (g) => g.members.length === 2 && g.isAdmin);
    await alice.groups.leave(group.id, { successor: dave.userId });
    await daveAdmin;
    expect((await alice.groups.get(group.id))?.active).toBe(false);
    const erinJoined = onGroup(erin, (g) => g.id === group.id);
    // Dave never heard from Erin: the change adds her without a delivery token, and her first
    // change sets her own (setOwnToken) so members can send to her sealed.
    const erinAtDave = (await dave.findContact("erin")).id;
    const added = await dave.groups.add(group.id, [erinAtDave]);
    expect((await erinJoined).members.length).toBe(3);
    await onGroup(dave, (g) => g.version === added.version + 1);
    const aliceHeard = collect(alice, "message");
    const atErin = waitFor(erin, "message", isText("Hi Erin"));
    const atCarol = waitFor(carol, "message", isText("Hi Erin"));
    await dave.sendText(group.id, "Hi Erin");
    await Promise.all([atErin, atCarol]);
    expect(await texts(erin)).toEqual(["Hi Erin"]);
    await new Promise((r) => setTimeout(r, 300));
    expect(aliceHeard.some((m) => m.text === "Hi Erin")).toBe(false);
  });
});
