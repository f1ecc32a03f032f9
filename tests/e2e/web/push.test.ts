// Web Push in Chromium. The relay's push is content-free, and Chromium cannot subscribe to a real
// push service here (PushManager.subscribe is refused in these profiles, TESTING-UI §4), so:
// - the app's service worker gets pushes through CDP ServiceWorker.deliverPushMessage, and must
//   show one "New message" notification (read back with registration.getNotifications()) that
//   names nobody, even when a payload pretends to carry a sender and text; a burst leaves one;
// - a click on that notification lands on /unread, which opens the conversation with the newest
//   unread message once the relay's queued mail has arrived (in a new tab, or in an open one);
// - the Settings switch, in this browser, must say push is unavailable (or blocked without the
//   notification permission) as a sentence, and leave no subscription behind.
import type { ParleyClient } from "@parley/protocol/client";
import type { CDPSession, Page } from "playwright-core";
import { expect } from "vitest";
import { newClient } from "../support/clients.js";
import { waitForMessage } from "./support/chat-page.js";
import { DESKTOP, PHONE, shot, signUp, useWebSetup, webTest } from "./support/web.js";

const senders: ParleyClient[] = [];
const web = useWebSetup({
  teardown: async () => {
    await Promise.all(senders.map((c) => c.close().catch(() => {})));
  },
});

type Shown = { title: string; body: string; tag: string };

/** The notifications the app's service worker is showing now. */
function shownNotifications(page: Page): Promise<Shown[]> {
  // (A string: the e2e project has no DOM types.)
  return page.evaluate<Shown[]>(`(async () => {
    const registration = await navigator.serviceWorker.ready;
    const list = await registration.getNotifications();
    return list.map((n) => ({ title: n.title, body: n.body, tag: n.tag }));
  })()`);
}

/** The app's service worker registration id, from CDP (needed to deliver a push to it). */
async function registrationId(cdp: CDPSession, scope: string): Promise<string> {
  const found = new Promise<string>((resolve) => {
    cdp.on("ServiceWorker.workerRegistrationUpdated", (event) => {
      const hit = event.registrations.find((r) => r.scopeURL === scope && !r.isDeleted);
      if (hit) resolve(hit.registrationId);
    });
  });
  await cdp.send("ServiceWorker.enable");
  let timer: ReturnType<typeof setTimeout> | undefined;
  const late = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`no service worker registration for ${scope}`)), 15_000);
  });
  return Promise.race([found, late]).finally(() => clearTimeout(timer));
}

webTest('a push shows one content-free "New message" notification; a burst leaves one', { timeout: 120_000 }, async () => {
  // /sw.js is registered as a classic worker: a module import (a chunk shared with the page) would stop it loading.
  const script = await (await fetch(`${web.relay.appUrl}/sw.js`)).text();
  expect(script).not.toMatch(/(^|[;}])\s*import\s*[{*"']/);
  expect(script).toContain("parley-new-message");
  const { page, context, pageErrors } = await signUp(web.browser, web.relay, "pushy", "Pushy", DESKTOP);
  const origin = new URL(web.relay.appUrl).origin;
  await context.grantPermissions(["notifications"], { origin });
  await expect.poll(() => page.evaluate<boolean>("navigator.serviceWorker.controller !== null"), { timeout: 20_000 }).toBe(true);
  const cdp = await context.newCDPSession(page);
  const id = await registrationId(cdp, `${origin}/`);
  const push = (data: string) => cdp.send("ServiceWorker.deliverPushMessage", { origin: `${origin}/`, registrationId: id, data });

  expect(await shownNotifications(page)).toEqual([]);
  // What the relay sends: {"t":"mail"}, padded (spec/relay.md §14.3).
  await push(JSON.stringify({ t: "mail" }));
  await expect.poll(() => shownNotifications(page), { timeout: 10_000 }).toHaveLength(1);
  const [first] = await shownNotifications(page);
  expect(first).toEqual({ title: "New message", body: "Open Parley to read it.", tag: "parley-new-message" });

  // A payload that claims a sender and text changes nothing: the worker never reads one out.
  await push(JSON.stringify({ t: "mail", from: "Mallory", text: "meet at the docks" }));
  // A burst: still one notification, replaced each time.
  for (let i = 0; i < 8; i++) await push(i % 2 ? "" : JSON.stringify({ t: "mail" }));
  // Let the last pushes land before counting.
  await page.waitForTimeout(500);
  const after = await shownNotifications(page);
  expect(after).toEqual([{ title: "New message", body: "Open Parley to read it.", tag: "parley-new-message" }]);
  expect(JSON.stringify(after)).not.toMatch(/Mallory|docks|Pushy/);
  expect(pageErrors).toEqual([]);
  await cdp.detach();
});

webTest("Settings: push is refused in this browser, said as a sentence, with no subscription left", { timeout: 120_000 }, async () => {
  const { page, context, pageErrors } = await signUp(web.browser, web.relay, "setpush", "Setpush", DESKTOP);
  await expect.poll(() => page.evaluate<boolean>("navigator.serviceWorker.controller !== null"), { timeout: 20_000 }).toBe(true);
  await page.goto(`${web.relay.appUrl}/settings`);
  await page.getByRole("heading", { name: "Push notifications" }).waitFor({ timeout: 30_000 });
  const toggle = page.getByLabel("Push notifications on this device");
  await expect.poll(() => toggle.isEnabled(), { timeout: 10_000 }).toBe(true);
  expect(await toggle.isChecked()).toBe(false);
  const subscribed = () =>
    page.evaluate<boolean>("navigator.serviceWorker.ready.then((r) => r.pushManager.getSubscription()).then((s) => s !== null)");

  // Without the notification permission (headless Chromium answers "denied" at once).
  await toggle.click();
  await page.getByText("Notifications are blocked for this site.").waitFor({ timeout: 15_000 });
  expect(await toggle.isChecked()).toBe(false);
  expect(await subscribed()).toBe(false);

  // With it: PushManager.subscribe is refused in this profile; the switch stays off.
  await context.grantPermissions(["notifications"], { origin: new URL(web.relay.appUrl).origin });
  await toggle.click();
  await page.getByText("Push notifications are not available in this browser: it refused to subscribe").waitFor({ timeout: 30_000 });
  expect(await toggle.isChecked()).toBe(false);
  expect(await toggle.isEnabled()).toBe(true);
  expect(await subscribed()).toBe(false);
  // Nothing about push is kept in localStorage (only UI preferences live there).
  const keys = await page.evaluate<string[]>("Object.keys(localStorage)");
  expect(keys.filter((k) => /push/i.test(k))).toEqual([]);
  expect(pageErrors).toEqual([]);

  await page.getByRole("heading", { name: "Push notifications" }).scrollIntoViewIfNeeded();
  await shot(page, "push", "settings-push");
  await page.setViewportSize(PHONE);
  await page.getByRole("heading", { name: "Push notifications" }).scrollIntoViewIfNeeded();
  await shot(page, "push", "settings-push");
});

webTest("a click on a push notification opens the conversation with the newest unread message", { timeout: 120_000 }, async () => {
  const me = await signUp(web.browser, web.relay, "clicky", "Clicky", PHONE);
  const [dora, eve] = [await newClient(web.relay.wsUrl, "Dora"), await newClient(web.relay.wsUrl, "Eve")];
  senders.push(dora, eve);
  await Promise.all([dora.claimHandle("dora"), eve.claimHandle("eve")]);
  const [doraToMe, eveToMe] = [(await dora.findContact("clicky")).id, (await eve.findContact("clicky")).id];
  const pathOf = (page: Page) => page.evaluate<string>("location.pathname");
  // A conversation shown is marked read (the sender gets a read receipt) within the app's read throttle;
  // the test waits for that before it leaves, as a reload right away can cut the mark short.
  const statusOf = (c: ParleyClient, to: string, id: string) => c.message(to, id).then((m) => m?.status);

  // The tab is closed (the push goes to a device that is not connected); Dora, then Eve, write.
  await me.page.close();
  await dora.sendText(doraToMe, "from dora");
  await dora.flush();
  const fromEve = await eve.sendText(eveToMe, "from eve, newest");
  await eve.flush();
  // What the worker does for a click with no tab open: open the app at /unread.
  const page = await me.context.newPage();
  await page.goto(`${web.relay.appUrl}/unread`);
  await expect.poll(() => pathOf(page), { timeout: 30_000 }).toBe(`/c/${encodeURIComponent(eve.userId)}`);
  await waitForMessage(page, "from eve, newest");
  await shot(page, "push", "opened-from-push");
  // /unread replaced itself (a new tab's history: about:blank, then the conversation), so Back does not land there again.
  expect(await page.evaluate<number>("history.length")).toBe(2);
  await expect.poll(() => statusOf(eve, eveToMe, fromEve.id), { timeout: 30_000 }).toBe("read");

  // With the tab open: the worker focuses it and posts the /unread path (register.ts follows it).
  await page.goto(`${web.relay.appUrl}/`);
  await page.getByRole("navigation", { name: "Conversations" }).waitFor();
  const doraAgain = await dora.sendText(doraToMe, "dora again");
  await dora.flush();
  await page.getByRole("navigation", { name: "Conversations" }).getByText("dora again").waitFor({ timeout: 30_000 });
  await page.evaluate(
    `navigator.serviceWorker.dispatchEvent(new MessageEvent("message", { data: { type: "parley:open", path: "/unread" } }))`,
  );
  await expect.poll(() => pathOf(page), { timeout: 15_000 }).toBe(`/c/${encodeURIComponent(dora.userId)}`);
  await waitForMessage(page, "dora again");

  // Nothing unread (both conversations were shown, so read: the senders got read receipts): the list.
  await expect.poll(() => statusOf(dora, doraToMe, doraAgain.id), { timeout: 30_000 }).toBe("read");
  await page.goto(`${web.relay.appUrl}/unread`);
  await expect.poll(() => pathOf(page), { timeout: 30_000 }).toBe("/");
  expect(me.pageErrors).toEqual([]);
});
