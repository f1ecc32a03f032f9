// A long conversation in the browser: a Node ParleyClient (the other person) sends 300 messages;
// the browser opens the conversation at the newest, keeps only a window of rows in the DOM, and
// loads older pages as the reader scrolls up until the first message. Then the two chat both
// ways (browser ↔ Node SDK), including a reply whose original is far back in history.
import type { ParleyClient } from "@parley/protocol/client";
import { expect } from "vitest";
import { newClient, waitFor } from "../support/clients.js";
import { composer, conversationLink, messageRow, openConversation, send, timeline, waitForMessage } from "./support/chat-page.js";
import { checkA11y, PHONE, shot, signUp, useWebSetup, webTest } from "./support/web.js";

let nora: ParleyClient | undefined;

const web = useWebSetup({
  teardown: async () => {
    await nora?.close();
  },
});

const PART = "chat";
const COUNT = 300;

webTest(
  "300 messages from a Node client: opens at the newest, scrolls up through older pages, then chats both ways",
  { timeout: 180_000 },
  async () => {
    const carol = await signUp(web.browser, web.relay, "carol", "Carol");
    const c = carol.page;
    nora = await newClient(web.relay.wsUrl, "Nora");
    const contact = await nora.findContact("carol");
    for (let i = 1; i <= COUNT; i++) await nora.sendText(contact.id, `history message ${i}`);

    await expect
      .poll(() => conversationLink(c, "Nora").getAttribute("aria-label"), { timeout: 90_000 })
      .toMatch(new RegExp(`${COUNT} unread`));
    await openConversation(c, "Nora");
    await waitForMessage(c, `history message ${COUNT}`);
    // Virtualised: far fewer rows than messages in the DOM.
    const rows = await timeline(c).getByRole("listitem").count();
    expect(rows).toBeGreaterThan(5);
    expect(rows).toBeLessThan(100);
    await shot(c, PART, "20-long-newest");

    // Scroll up until the first message is loaded and shown.
    const scroller = c.locator("[data-virtuoso-scroller]");
    for (let i = 0; i < 80; i++) {
      if ((await messageRow(c, /^Nora, \d\d:\d\d, history message 1$/).count()) > 0) break;
      await scroller.evaluate((el) => {
        el.scrollTop = 0;
      });
      await c.waitForTimeout(150);
    }
    await messageRow(c, /^Nora, \d\d:\d\d, history message 1$/).waitFor();
    await c.getByText("This is the beginning of the conversation.").waitFor();
    await shot(c, PART, "21-long-oldest");

    // "N new ↓" while scrolled up; it jumps to the newest.
    await nora.sendText(contact.id, "are you there?");
    await c.getByRole("button", { name: /^1 new message/ }).waitFor({ timeout: 30_000 });
    await shot(c, PART, "22-new-below");
    await c.getByRole("button", { name: /^1 new message/ }).click();
    await waitForMessage(c, "are you there?");

    // Browser → Node and back.
    const got = waitFor(nora, "message", (m) => m.text === "yes, all 300 arrived", 30_000);
    await send(c, "yes, all 300 arrived");
    await got;
    const firstMessages = await nora.messages(contact.id);
    const oldest = firstMessages.find((m) => m.text === "history message 1");
    expect(oldest).toBeDefined();
    await nora.sendText(contact.id, "replying to the very first one", { replyTo: oldest?.id ?? "" });
    const replyRow = await waitForMessage(c, "replying to the very first one");
    await replyRow.getByRole("button", { name: /^Reply to Nora: history message 1\./ }).click();
    await expect.poll(() => messageRow(c, /^Nora, \d\d:\d\d, history message 1$/).evaluate((el) => el.matches(":focus"))).toBe(true);
    await shot(c, PART, "23-reply-to-oldest");
    await checkA11y(c);

    // A phone-sized page of the same account would be a second tab; instead check the phone layout by resizing.
    await c.setViewportSize(PHONE);
    await composer(c).waitFor();
    await shot(c, PART, "24-long-phone");

    expect(carol.offOrigin).toEqual([]);
    expect(carol.pageErrors).toEqual([]);
  },
);
