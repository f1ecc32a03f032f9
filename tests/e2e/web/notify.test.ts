// Getting attention in the browser: the unread count in the title and on the favicon, an in-page
// toast for a message in a conversation that is not open (click opens it), a desktop
// notification only while the page is hidden (its body following the preview setting; clicking
// it opens the conversation), and the app's own permission prompt after the first sent message.
// Bob is a Node client; the page's visibility is driven through the DOM property the app reads.
import type { ParleyClient } from "@parley/protocol/client";
import type { Page } from "playwright-core";
import { expect } from "vitest";
import { newClient } from "../support/clients.js";
import { signUp, startChat, useWebSetup, webTest } from "./support/web.js";
import { go, shotBoth } from "./trust-support.js";

const PART = "notify";
let bob: ParleyClient | undefined;

const web = useWebSetup({
  teardown: async () => {
    await bob?.close().catch(() => {});
  },
});

/** Records every Notification the page constructs (title, body, tag) and keeps the objects to "click". */
const RECORD_NOTIFICATIONS = `
  window.__notes = [];
  window.__noteObjects = [];
  const Real = window.Notification;
  class Recorded extends Real {
    constructor(title, options) {
      super(title, options);
      window.__notes.push({ title, body: options && options.body, tag: options && options.tag });
      window.__noteObjects.push(this);
    }
  }
  window.Notification = Recorded;
`;

type Note = { title: string; body: string; tag: string };
const notes = (page: Page) => page.evaluate("window.__notes") as Promise<Note[]>;
const favicon = (page: Page) => page.evaluate(`document.querySelector('link[rel="icon"]').getAttribute("href")`) as Promise<string>;
const path = (page: Page) => page.evaluate("location.pathname") as Promise<string>;

/** Hides or shows the page as the app sees it (headless pages are always visible otherwise). */
async function setHidden(page: Page, hidden: boolean): Promise<void> {
  await page.evaluate(`
    Object.defineProperty(document, "visibilityState", { configurable: true, get: () => ${hidden ? '"hidden"' : '"visible"'} });
    Object.defineProperty(document, "hidden", { configurable: true, get: () => ${hidden} });
    document.dispatchEvent(new Event("visibilitychange"));
  `);
}

webTest("unread title and favicon, toasts while visible, desktop notifications only while hidden", { timeout: 180_000 }, async () => {
  const alice = await signUp(web.browser, web.relay, "alice", "Alice");
  const { page, context } = alice;
  await context.grantPermissions(["notifications"], { origin: new URL(web.relay.appUrl).origin });
  await context.addInitScript(RECORD_NOTIFICATIONS);
  await page.reload();
  await page.getByRole("navigation", { name: "Conversations" }).waitFor({ timeout: 30_000 });
  expect(await page.title()).toBe("Parley");
  expect(await favicon(page)).toBe("/icon.svg");

  bob = await newClient(web.relay.wsUrl, "Bob");
  await bob.claimHandle("bob");
  const toAlice = (await bob.findContact("alice")).id;
  await bob.sendText(toAlice, "first");
  await bob.sendText(toAlice, "second");

  // Visible, no conversation open: the title, the favicon, and one toast for the conversation.
  await expect.poll(() => page.title(), { timeout: 30_000 }).toBe("(2) Parley");
  expect(decodeURIComponent(await favicon(page))).toMatch(/^data:image\/svg\+xml,.*>2<\/text>/);
  const toast = page.getByRole("status", { name: "Notifications" }).getByRole("button", { name: /Bob: second/ });
  await toast.waitFor({ timeout: 30_000 });
  expect(await page.getByRole("status", { name: "Notifications" }).getByRole("button", { name: /first/ }).count()).toBe(0);
  expect(await notes(page)).toEqual([]);
  // Focus keeps a toast from hiding by itself (for the screenshots and the axe check).
  await toast.focus();
  await shotBoth(page, PART, "toast");

  // The toast opens the conversation, which reads the messages: the count goes.
  await toast.click();
  await expect.poll(() => path(page)).toMatch(/^\/c\/.+/);
  const conversation = await path(page);
  await page.getByText("second").first().waitFor();
  await expect.poll(() => page.title(), { timeout: 30_000 }).toBe("Parley");
  expect(await favicon(page)).toBe("/icon.svg");

  // Hidden: a desktop notification, naming only the sender by default, and no toast.
  await go(page, "/");
  await setHidden(page, true);
  await bob.sendText(toAlice, "secret plan");
  await expect.poll(() => notes(page), { timeout: 30_000 }).toHaveLength(1);
  expect((await notes(page))[0]).toMatchObject({ title: "Bob", body: "New message" });
  await expect.poll(() => page.title()).toBe("(1) Parley");
  expect(await page.getByRole("status", { name: "Notifications" }).getByRole("button").count()).toBe(0);

  // With the preview setting on "text", the body is the message.
  await page.evaluate(`localStorage.setItem("parley.notifications.preview", "text")`);
  await bob.sendText(toAlice, "meet at noon");
  await expect.poll(() => notes(page), { timeout: 30_000 }).toHaveLength(2);
  expect((await notes(page))[1]).toMatchObject({ title: "Bob", body: "meet at noon" });

  // Clicking the notification opens its conversation.
  await page.evaluate("window.__noteObjects.at(-1).onclick()");
  await expect.poll(() => path(page)).toBe(conversation);

  // Visible with the conversation open: neither a notification nor a toast.
  await setHidden(page, false);
  await bob.sendText(toAlice, "while you look");
  await page.getByText("while you look").first().waitFor({ timeout: 30_000 });
  await page.waitForTimeout(300);
  expect(await notes(page)).toHaveLength(2);
  expect(await page.getByRole("status", { name: "Notifications" }).getByRole("button").count()).toBe(0);
  expect(alice.offOrigin).toEqual([]);
  expect(alice.pageErrors).toEqual([]);
});

webTest("the app asks about notifications after the first sent message, once, never on load", { timeout: 120_000 }, async () => {
  const carol = await signUp(web.browser, web.relay, "carol", "Carol");
  const { page } = carol;
  const prompt = page.getByRole("region", { name: "Get notified of new messages?" });
  expect(await prompt.count()).toBe(0);
  expect(await page.evaluate("Notification.permission")).toBe("default");
  await startChat(page, "alice");
  const box = page.getByRole("textbox", { name: "Message", exact: true });
  await box.fill("hi alice");
  await box.press("Enter");
  await prompt.waitFor({ timeout: 30_000 });
  await shotBoth(page, PART, "permission-prompt");

  await prompt.getByRole("checkbox", { name: /Show the message text/ }).check();
  // Headless Chromium answers "denied" without a grant: the prompt says where to change it.
  await prompt.getByRole("button", { name: "Turn on" }).click();
  await prompt.getByText("Your browser blocked notifications").waitFor();
  expect(await page.evaluate(`localStorage.getItem("parley.notifications.preview")`)).toBe("text");
  await prompt.getByRole("button", { name: "OK" }).click();
  expect(await prompt.count()).toBe(0);

  await box.fill("again");
  await box.press("Enter");
  await page.getByText("again").first().waitFor();
  await page.waitForTimeout(300);
  expect(await prompt.count()).toBe(0);
  expect(carol.pageErrors).toEqual([]);
});
