// Read marks are not lost to a quick reader. The web client batches read marks (at most one every
// 500 ms); a conversation opened and left within that time, or a window that loses focus within
// it, still marks what was on screen read: the sender sees "Read" and the list drops the badge.
// A message that arrives while the reader looks elsewhere stays unread.
import type { ParleyClient } from "@parley/protocol/client";
import { expect } from "vitest";
import { newClient, waitFor } from "../support/clients.js";
import { conversationLink, openConversation, setAttention, waitForMessage } from "./support/chat-page.js";
import { signUp, useWebSetup, webTest } from "./support/web.js";

let nora: ParleyClient | undefined;
let omar: ParleyClient | undefined;

const web = useWebSetup({
  teardown: async () => {
    await nora?.close();
    await omar?.close();
  },
});

/** Resolves when `client` sees its message read; `what` names the wait in a failure. */
function readBy(client: ParleyClient, messageId: string, what: string): Promise<unknown> {
  return waitFor(client, "messageUpdated", (m) => m.id === messageId && m.status === "read", 30_000).catch(() => {
    throw new Error(`${what}: no read receipt within 30 s`);
  });
}

webTest("a conversation left within the read batching still marks what was on screen read", { timeout: 120_000 }, async () => {
  const bob = await signUp(web.browser, web.relay, "bob", "Bob");
  const b = bob.page;
  // Bob is looking at the page (as the browser would say for a focused window); the test is about
  // what happens when he leaves, not about focus detection.
  await setAttention(b, true);
  nora = await newClient(web.relay.wsUrl, "Nora");
  omar = await newClient(web.relay.wsUrl, "Omar");
  const fromNora = await nora.sendText((await nora.findContact("bob")).id, "quick look, Nora");
  const fromOmar = await omar.sendText((await omar.findContact("bob")).id, "quick look, Omar");
  await expect.poll(() => conversationLink(b, "Nora").getAttribute("aria-label"), { timeout: 30_000 }).toMatch(/1 unread/);
  await expect.poll(() => conversationLink(b, "Omar").getAttribute("aria-label"), { timeout: 30_000 }).toMatch(/1 unread/);

  // Open Nora's conversation and leave for Omar's as soon as her message shows.
  const noraRead = readBy(nora, fromNora.id, "Nora's message, left for Omar's conversation");
  await openConversation(b, "Nora");
  await waitForMessage(b, "quick look, Nora");
  await conversationLink(b, "Omar").click();
  await noraRead;
  await expect.poll(() => conversationLink(b, "Nora").getAttribute("aria-label"), { timeout: 10_000 }).not.toMatch(/unread/);

  // Omar's message is on screen; the window loses focus at once.
  const omarRead = readBy(omar, fromOmar.id, "Omar's message, window blurred");
  await waitForMessage(b, "quick look, Omar");
  await setAttention(b, false);
  await omarRead;

  // While Bob looks elsewhere, a new message stays unread, also when he leaves the conversation.
  const later = await omar.sendText((await omar.findContact("bob")).id, "while you were away");
  await waitForMessage(b, "while you were away");
  await b.waitForTimeout(1_000);
  await conversationLink(b, "Nora").click();
  await b.waitForTimeout(1_000);
  expect((await omar.message(later.contactId, later.id))?.status).not.toBe("read");
  await expect.poll(() => conversationLink(b, "Omar").getAttribute("aria-label"), { timeout: 10_000 }).toMatch(/1 unread/);

  expect(bob.pageErrors).toEqual([]);
});
