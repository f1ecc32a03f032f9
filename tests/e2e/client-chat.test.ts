// The client SDK end to end: three real clients over a real relay process, every 1:1 feature.

import { ErrorCode, ParleyError } from "@parley/protocol";
import type { ChatMessage, ParleyClient } from "@parley/protocol/client";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { collect, eventually, newClient, waitFor } from "./support/clients.js";
import { type RelayProcess, startRelay } from "./support/relay-process.js";

let relay: RelayProcess;
let alice: ParleyClient;
let bob: ParleyClient;
let carol: ParleyClient;
let bobAtAlice: string;
let aliceAtBob: string;

beforeAll(async () => {
  relay = await startRelay();
  [alice, bob, carol] = await Promise.all([
    newClient(relay.wsUrl, "Alice"),
    newClient(relay.wsUrl, "Bob"),
    newClient(relay.wsUrl, "Carol"),
  ]);
  await Promise.all([alice.claimHandle("alice"), bob.claimHandle("Bob"), carol.claimHandle("carol")]);
  for (const [name, c] of [
    ["alice", alice],
    ["bob", bob],
    ["carol", carol],
  ] as const)
    c.on("error", (e) => console.error(name, e.message, (e as { reason?: string }).reason ?? ""));
  bobAtAlice = (await alice.findContact("BOB")).id;
  const first = waitFor(bob, "message");
  await alice.sendText(bobAtAlice, "Hello Bob!");
  aliceAtBob = (await first).contactId;
});

afterAll(async () => {
  await Promise.all([alice?.close(), bob?.close(), carol?.close()]);
  await relay?.stop();
  relay?.cleanup();
});

const text = (m: ChatMessage) => m.text;

describe("1:1 chat through a real relay", () => {
  test("the first message arrives with the sender's display name learned from its profile", async () => {
    const contact = await bob.contact(aliceAtBob);
    expect(contact?.displayName).toBe("Alice");
    expect(contact?.deliveryToken?.length).toBe(32);
    expect((await bob.messages(aliceAtBob)).map(text)).toEqual(["Hello Bob!"]);
  });

  test("text, reply, reaction add and remove, edit and delete reach the other side", async () => {
    const got = waitFor(alice, "message", (m) => m.text === "Hi Alice");
    const hiAlice = await bob.sendText(aliceAtBob, "Hi Alice");
    await got;
    const replied = waitFor(bob, "message", (m) => m.replyTo === hiAlice.id);
    const reply = await alice.sendText(bobAtAlice, "How are you?", { replyTo: hiAlice.id });
    expect((await replied).text).toBe("How are you?");

    const reacted = waitFor(bob, "messageUpdated", (m) => m.id === hiAlice.id && Object.keys(m.reactions).length > 0);
    await alice.react(bobAtAlice, hiAlice.id, "👍");
    expect((await reacted).reactions).toEqual({ "👍": [alice.userId] });
    const unreacted = waitFor(bob, "messageUpdated", (m) => m.id === hiAlice.id && Object.keys(m.reactions).length === 0);
    await alice.react(bobAtAlice, hiAlice.id, "👍", { remove: true });
    await unreacted;

    const edited = waitFor(bob, "messageUpdated", (m) => m.id === reply.id && m.editedAt !== undefined);
    await alice.edit(bobAtAlice, reply.id, "How are you doing?");
    expect((await edited).text).toBe("How are you doing?");
    const deleted = waitFor(bob, "messageUpdated", (m) => m.id === reply.id && m.deleted);
    await alice.deleteMessage(bobAtAlice, reply.id);
    expect((await deleted).text).toBe("");

    // Only the author may edit or delete.
    await expect(bob.edit(aliceAtBob, reply.id, "forged")).rejects.toThrow(RangeError);
    const atBob = await bob.messages(aliceAtBob);
    expect(atBob.find((m) => m.id === reply.id)?.deleted).toBe(true);
  });

  test("receipts: an outgoing message goes sent → delivered → read", async () => {
    const statuses = collect(alice, "messageUpdated");
    const arrived = waitFor(bob, "message", (m) => m.text === "Did you read this?");
    const sent = await alice.sendText(bobAtAlice, "Did you read this?");
    await arrived;
    await eventually(() => statuses.some((m) => m.id === sent.id && m.status === "delivered"));
    await bob.markRead(aliceAtBob);
    await eventually(async () => (await alice.messages(bobAtAlice)).find((m) => m.id === sent.id)?.status === "read");
    const atBob = await bob.messages(aliceAtBob);
    expect(atBob.filter((m) => !m.outgoing && m.kind !== "notice").every((m) => m.status === "read")).toBe(true);
    expect((await bob.conversations()).find((c) => c.contact?.id === aliceAtBob)?.unread).toBe(0);
  });

  test("typing and presence arrive live and are never stored", async () => {
    const typing = waitFor(bob, "typing", (t) => t.typing);
    await alice.setTyping(bobAtAlice, true);
    expect((await typing).contactId).toBe(aliceAtBob);
    const stopped = waitFor(bob, "typing", (t) => !t.typing);
    await alice.setTyping(bobAtAlice, false);
    await stopped;
    const presence = waitFor(alice, "presence", (p) => p.presence === "away");
    await bob.setPresence("away");
    expect((await presence).contactId).toBe(bobAtAlice);
    // Carol is not Bob's contact: she hears nothing.
    const carolHeard = collect(carol, "presence");
    await bob.setPresence("online");
    await new Promise((r) => setTimeout(r, 200));
    expect(carolHeard).toEqual([]);
    expect((await bob.messages(aliceAtBob)).some((m) => m.text.includes("typing"))).toBe(false);
  });

  test("safety numbers match on both sides, and a scanned QR code verifies the contact", async () => {
    const atAlice = await alice.safetyNumber(bobAtAlice);
    const atBob = await bob.safetyNumber(aliceAtBob);
    expect(atAlice.digits).toMatch(/^\d{60}$/);
    expect(atAlice.digits).toBe(atBob.digits);
    expect(await alice.markVerified(bobAtAlice, atBob.qrPayload)).toBe(true);
    expect((await alice.contact(bobAtAlice))?.verified).toBe(true);
    const carolSn = await carol.safetyNumber((await carol.findContact("bob")).id);
    expect(await bob.markVerified(aliceAtBob, carolSn.qrPayload)).toBe(false);
  });

  test("a third client talks to Bob at the same time without crossing conversations", async () => {
    const bobAtCarol = (await carol.findContact("bob")).id;
    const fromCarol: string[] = [];
    bob.on("message", (m) => {
      if (m.contactId !== aliceAtBob && !m.outgoing && m.kind === "text") fromCarol.push(m.text);
    });
    await Promise.all([
      (async () => {
        for (let i = 0; i < 5; i++) await carol.sendText(bobAtCarol, `carol ${i}`);
      })(),
      (async () => {
        for (let i = 0; i < 5; i++) await alice.sendText(bobAtAlice, `alice ${i}`);
      })(),
    ]);
    await eventually(() => fromCarol.length === 5);
    expect(fromCarol).toEqual(["carol 0", "carol 1", "carol 2", "carol 3", "carol 4"]);
    await eventually(async () => (await bob.messages(aliceAtBob)).filter((m) => m.text.startsWith("alice ")).length === 5);
    const aliceTexts = (await bob.messages(aliceAtBob)).map(text);
    expect(aliceTexts.filter((t) => t.startsWith("alice "))).toEqual(["alice 0", "alice 1", "alice 2", "alice 3", "alice 4"]);
    expect(aliceTexts.some((t) => t.startsWith("carol"))).toBe(false);
  });

  test("an unknown contact id is a typed error", async () => {
    await expect(alice.sendText("@nobody", "hi")).rejects.toSatisfy((e) => ParleyError.is(e, ErrorCode.UnknownContact));
  });
});
