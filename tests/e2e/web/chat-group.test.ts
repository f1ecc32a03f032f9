// Group chat and the conversation list in the browser, with Node ParleyClients as the others:
// sender names, @mention completion (the mention reaches the SDK), "Read by N of M", group typing
// lines, admin-only deletes; the list's presence dot, search (Ctrl+K) and Alt+↓ navigation.
import type { ParleyClient } from "@parley/protocol/client";
import { expect } from "vitest";
import { newClient, waitFor } from "../support/clients.js";
import {
  composer,
  conversationLink,
  conversationLinks,
  messageRow,
  openConversation,
  typingLine,
  waitForMessage,
  waitForRowName,
} from "./support/chat-page.js";
import { checkA11y, PHONE, shot, signUp, useWebSetup, webTest } from "./support/web.js";

const clients: ParleyClient[] = [];

const web = useWebSetup({
  teardown: async () => {
    for (const c of clients) await c.close();
  },
});

const PART = "chat";

webTest(
  "a group with two Node members: names, mention completion, read by N of M, typing; list presence, search and keyboard",
  { timeout: 180_000 },
  async () => {
    const dana = await signUp(web.browser, web.relay, "dana", "Dana");
    const d = dana.page;
    const nora = await newClient(web.relay.wsUrl, "Nora");
    const otto = await newClient(web.relay.wsUrl, "Otto");
    clients.push(nora, otto);
    await otto.claimHandle("otto");
    const danaAtNora = await nora.findContact("dana");
    const ottoAtNora = await nora.findContact("otto");
    const ottoJoined = waitFor(otto, "group");
    const group = await nora.groups.create({ name: "Weekend", members: [danaAtNora.id, ottoAtNora.id] });
    await ottoJoined;
    await otto.sendText(group.id, "hi all");
    await nora.sendText(danaAtNora.id, "hello Dana, just us");

    // The list: both conversations; Nora's 1:1 shows her online.
    await conversationLink(d, "Weekend").waitFor({ timeout: 30_000 });
    await conversationLink(d, "Nora").waitFor({ timeout: 30_000 });
    await nora.setPresence("online");
    await expect.poll(() => conversationLink(d, "Nora").getAttribute("aria-label"), { timeout: 15_000 }).toMatch(/^Nora, online/);

    // Search (Ctrl+K) filters by name and by loaded message text; Escape clears it.
    await d.keyboard.press("Control+k");
    await expect.poll(() => d.getByRole("searchbox", { name: "Search conversations" }).evaluate((el) => el.matches(":focus"))).toBe(true);
    await d.keyboard.type("week");
    await expect.poll(() => conversationLinks(d).count()).toBe(1);
    await conversationLink(d, "Weekend").waitFor();
    await shot(d, PART, "30-search");
    await d.keyboard.press("Escape");
    await expect.poll(() => conversationLinks(d).count()).toBe(2);

    // The group: sender names, a typing line with the member's name.
    await openConversation(d, "Weekend");
    const hi = await waitForMessage(d, "hi all");
    expect(await hi.getAttribute("aria-label")).toMatch(/^Otto, \d\d:\d\d, hi all$/);
    await otto.setTyping(group.id, true);
    await expect.poll(() => typingLine(d).textContent(), { timeout: 15_000 }).toBe("Otto is typing…");
    await otto.setTyping(group.id, false);
    // Dana is no admin: she can delete only her own messages.
    await hi.focus();
    expect(await hi.getByRole("button", { name: "Delete", exact: true }).count()).toBe(0);

    // @mention completion; the SDK delivers the mention to Otto.
    await composer(d).click();
    await composer(d).pressSequentially("@Ot");
    await d.getByRole("listbox", { name: "People to mention" }).getByRole("option", { name: /Otto/ }).waitFor();
    await shot(d, PART, "31-mention");
    await composer(d).press("Tab");
    await composer(d).pressSequentially("see you Saturday");
    const atOtto = waitFor(otto, "message", (m) => m.text === "@Otto see you Saturday", 30_000);
    await composer(d).press("Enter");
    const received = await atOtto;
    expect(received.mentions).toEqual([otto.userId]);
    await waitForRowName(d, "@Otto see you Saturday", /(Delivered to|Read by) \d of 2/);
    await otto.markRead(group.id);
    await waitForRowName(d, "@Otto see you Saturday", /Read by 1 of 2/);
    expect(await messageRow(d, "@Otto see you Saturday").getByText("@Otto").count()).toBe(1);
    await d.mouse.move(0, 0);
    await shot(d, PART, "32-group-read-by");
    await checkA11y(d);

    // Made an admin, Dana may delete Otto's message for everyone.
    await nora.groups.promote(group.id, danaAtNora.id);
    await hi.focus();
    await hi.getByRole("button", { name: "Delete", exact: true }).waitFor({ timeout: 30_000 });
    await hi.getByRole("button", { name: "Delete", exact: true }).click();
    const deletedAtOtto = waitFor(otto, "messageUpdated", (m) => m.deleted, 30_000);
    await d.getByRole("button", { name: "Delete for everyone" }).click();
    expect((await deletedAtOtto).text).toBe("");
    await waitForMessage(d, /^Otto, \d\d:\d\d, Message deleted$/);

    // Alt+↓ / Alt+↑ move between conversations in list order.
    const order = await conversationLinks(d).evaluateAll((els) => els.map((e) => e.getAttribute("aria-label")?.split(",")[0]));
    expect(order).toHaveLength(2);
    const other = order[0] === "Weekend" ? order[1] : order[0];
    await composer(d).press(order[0] === "Weekend" ? "Alt+ArrowDown" : "Alt+ArrowUp");
    await d
      .getByRole("main")
      .getByRole("heading", { name: other ?? "" })
      .waitFor();
    await d.keyboard.press(order[0] === "Weekend" ? "Alt+ArrowUp" : "Alt+ArrowDown");
    await d.getByRole("main").getByRole("heading", { name: "Weekend" }).waitFor();

    // Nora's 1:1 shows "online" in the header; the phone layout of a group.
    await openConversation(d, "Nora");
    await d.getByRole("main").getByText("online", { exact: true }).waitFor();
    await expect.poll(() => conversationLink(d, "Nora").getAttribute("aria-label"), { timeout: 15_000 }).not.toMatch(/unread/);
    await shot(d, PART, "33-presence");
    await nora.setPresence("offline");
    await d
      .getByRole("main")
      .getByText(/^last seen today at \d\d:\d\d$/)
      .waitFor({ timeout: 15_000 });
    await d.setViewportSize(PHONE);
    // One pane on a phone: back to the list, then the group.
    await d.getByRole("link", { name: "Back to conversations" }).click();
    await openConversation(d, "Weekend");
    await waitForMessage(d, "@Otto see you Saturday");
    await shot(d, PART, "34-group-phone");
    await checkA11y(d);

    expect(dana.offOrigin).toEqual([]);
    expect(dana.pageErrors).toEqual([]);
  },
);
