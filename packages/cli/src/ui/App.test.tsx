import type { CallInfo, ChatMessage } from "@parley/protocol/client";
import { MemoryStore, ParleyClient } from "@parley/protocol/client";
import { render } from "ink-testing-library";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { App, HINT } from "./App.js";
import { ChatStore, type ContactView } from "./store.js";

// A real client that never connects (no relay is dialled until connect()).
let client: ParleyClient;
beforeAll(async () => {
  client = await ParleyClient.create({ relayUrl: "ws://127.0.0.1:9", store: new MemoryStore(), displayName: "Alice" });
});
afterAll(async () => {
  await client.close();
});

const BOB = "bb".repeat(16);
const tick = (ms = 40) => new Promise((resolve) => setTimeout(resolve, ms));

function chatStore(count: number): ChatStore {
  const store = new ChatStore(client);
  const bob: ContactView = {
    id: "@bob",
    userIdHex: BOB,
    userId: new Uint8Array(16),
    accountKey: new Uint8Array(32),
    handle: "bob",
    displayName: "Bob",
    deviceIds: [1],
    deviceListSequence: 1,
    verified: false,
    profileSent: true,
  };
  const messages: ChatMessage[] = Array.from({ length: count }, (_, i) => ({
    id: `m${i + 1}`,
    contactId: "@bob",
    sender: client.userId,
    senderDevice: 1,
    outgoing: true,
    kind: "text",
    text: count === 1 ? "see you at nine" : `message ${i + 1} `,
    sentAt: Date.now(),
    receivedAt: Date.now(),
    deleted: false,
    reactions: {},
    status: "delivered",
  }));
  const m = messages.at(-1) as ChatMessage;
  store.update((s) => ({
    ...s,
    conversations: ["@bob"],
    conversationsById: { "@bob": { id: "@bob", contact: bob, lastMessage: m, unread: 0 } },
    contactsById: { "@bob": bob },
    timelines: { "@bob": messages.map((x) => x.id) },
    messagesById: Object.fromEntries(messages.map((x) => [x.id, x])),
  }));
  return store;
}

function setup(count = 1) {
  const store = chatStore(count);
  const options = { profile: "default", home: "/nonexistent", relay: "ws://127.0.0.1:9" };
  const app = render(<App client={client} store={store} options={options} onQuit={() => {}} />);
  const type = async (text: string) => {
    for (const ch of text) {
      app.stdin.write(ch);
      await tick(5);
    }
    await tick();
  };
  const key = async (sequence: string) => {
    app.stdin.write(sequence);
    await tick();
  };
  return { ...app, type, key, frame: () => app.lastFrame() ?? "" };
}

/** Emits a `client.calls` event as the SDK does when a call signal arrives (the store listens to it). */
function emitCall(event: "incoming" | "state", call: CallInfo): void {
  (client.calls as unknown as { emit(e: string, payload: CallInfo): void }).emit(event, call);
}

describe("App", () => {
  test("an incoming call: a notice with the bell, never answered here; it goes when the call stops ringing", async () => {
    const store = chatStore(1);
    const seeded = store.getSnapshot();
    await store.attach();
    store.update((s) => ({
      ...s,
      contactsById: seeded.contactsById,
      conversations: seeded.conversations,
      conversationsById: seeded.conversationsById,
    }));
    const rung: string[] = [];
    const options = { profile: "default", home: "/nonexistent", relay: "ws://127.0.0.1:9" };
    const app = render(<App client={client} store={store} options={options} notify={(s) => rung.push(s)} onQuit={() => {}} />);
    try {
      await tick(100);
      const call: CallInfo = {
        id: "ca11",
        conversationId: "@bob",
        direction: "incoming",
        video: true,
        state: "ringing",
        caller: BOB,
        participants: [BOB, client.userId],
        connected: [],
        remoteRinging: false,
        onThisDevice: true,
        startedAt: Date.now(),
      };
      // A call on another of our devices (watch only) does not ring here.
      emitCall("state", { ...call, id: "e15e", onThisDevice: false });
      await tick();
      expect(app.lastFrame()).not.toContain("is calling");
      expect(rung).toEqual([]);

      emitCall("incoming", call);
      emitCall("state", call);
      await tick();
      expect(app.lastFrame()).toContain("☎ Bob is calling (video) — answer in the web client");
      expect(rung).toHaveLength(1);
      expect(rung[0]?.startsWith("\u0007")).toBe(true);

      // Answered on the web client: the notice goes, and nothing more rings.
      emitCall("state", { ...call, state: "ended", endReason: "answeredElsewhere" });
      await tick();
      expect(app.lastFrame()).not.toContain("is calling");
      expect(rung).toHaveLength(1);
    } finally {
      app.unmount();
      store.detach();
    }
  });

  test("wide: the list and the conversation side by side, the hint line below", async () => {
    const app = setup();
    await tick(100);
    expect(app.frame()).toMatch(/>○ Bob .*│Bob/);
    expect(app.frame()).toContain("see you at nine ✓✓");
    expect(app.frame()).toContain(HINT);
    app.unmount();
  });

  test("narrow (< 80 columns, after a resize): one pane at a time, Tab switches", async () => {
    const app = setup();
    await tick(100);
    Object.defineProperty(app.stdout, "columns", { value: 60, configurable: true });
    app.stdout.emit("resize");
    await tick(100);
    expect(app.frame()).toContain("see you at nine");
    expect(app.frame()).not.toContain(">○ Bob");
    expect(app.frame()).toContain("Tab: list/chat");
    await app.key("\t");
    expect(app.frame()).toContain(">○ Bob");
    expect(app.frame()).not.toContain("see you at nine");
    app.unmount();
  });

  test("a partial :shortcode: offers completions; Tab takes the first", async () => {
    const app = setup();
    await tick(100);
    await app.type("ship it :rock");
    expect(app.frame()).toContain("Tab: 🚀 :rocket:");
    await app.key("\t");
    expect(app.frame()).toContain("> ship it 🚀");
    app.unmount();
  });

  test("commands: /help opens a panel, Esc closes it, ↑ brings the line back; a bad command says why", async () => {
    const app = setup();
    await tick(100);
    await app.type("/help");
    await app.key("\r");
    expect(app.frame()).toContain("/reply [N] text");
    expect(app.frame()).toContain("Esc: close");
    await app.key("\u001b");
    await tick(100);
    expect(app.frame()).not.toContain("Esc: close");
    await app.key("\u001b[A");
    expect(app.frame()).toContain("> /help");
    await app.key("\u0015"); // Ctrl+U clears the line.
    await app.type("/react 1");
    await app.key("\r");
    expect(app.frame()).toContain("Usage: /react [N] emoji");
    app.unmount();
  });

  test("PgUp scrolls back through the conversation and PgDn returns to the newest", async () => {
    const app = setup(60);
    await tick(100);
    expect(app.frame()).toContain("message 60");
    expect(app.frame()).not.toContain("message 30 ");
    await app.key("\u001b[5~");
    await tick(60);
    expect(app.frame()).toMatch(/↑ \d+ newer below/);
    expect(app.frame()).not.toContain("message 60");
    await app.key("\u001b[6~");
    await tick(60);
    expect(app.frame()).toContain("message 60");
    expect(app.frame()).not.toMatch(/newer below/);
    app.unmount();
  });
});
