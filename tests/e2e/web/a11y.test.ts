// axe on every screen that exists (onboarding, unlock, second tab / taken over, chat list,
// conversation, settings; owners add theirs), in light and dark, at phone and desktop size, each
// screenshotted; and the privacy of the page itself: no request to any origin but the relay, and
// localStorage holds only the non-secret UI prefs.
import type { Page } from "playwright-core";
import { expect } from "vitest";
import { checkA11y, DESKTOP, openApp, PHONE, shot, signUp, startChat, useWebSetup, webTest } from "./support/web.js";

/** Every localStorage key the app may write (packages/web/src/app/profile.ts UI_PREF_KEYS). */
const ALLOWED_LOCAL_STORAGE = ["parley.profile", "parley.theme"];

const web = useWebSetup();

/** axe + a screenshot in light and dark, phone and desktop. */
async function everyWay(page: Page, name: string): Promise<void> {
  for (const colorScheme of ["light", "dark"] as const) {
    await page.emulateMedia({ colorScheme });
    for (const viewport of [PHONE, DESKTOP]) {
      await page.setViewportSize(viewport);
      await checkA11y(page);
      await shot(page, "platform", `a11y-${name}-${colorScheme}`);
    }
  }
  await page.emulateMedia({ colorScheme: "light" });
}

webTest("onboarding and unlock pass axe in both themes at both sizes", { timeout: 240_000 }, async () => {
  const fresh = await openApp(web.browser, web.relay, PHONE);
  await fresh.page.getByRole("heading", { name: "Welcome to Parley" }).waitFor();
  await everyWay(fresh.page, "onboarding");
  await fresh.page.getByLabel("Lock Parley with a passphrase").check();
  await fresh.page.getByLabel("Handle", { exact: true }).fill("a11ylock");
  await fresh.page.getByLabel("Passphrase", { exact: true }).fill("correct horse");
  await fresh.page.getByLabel("Passphrase again").fill("correct horse");
  await fresh.page.getByRole("button", { name: "Create account" }).click();
  await fresh.page.getByRole("navigation", { name: "Conversations" }).waitFor({ timeout: 60_000 });
  await fresh.page.reload();
  await fresh.page.getByRole("heading", { name: "Unlock Parley" }).waitFor({ timeout: 20_000 });
  await everyWay(fresh.page, "unlock");
  expect(fresh.offOrigin).toEqual([]);
  const keys = await fresh.page.evaluate<string[]>("Object.keys(localStorage)");
  expect(keys.filter((k) => !ALLOWED_LOCAL_STORAGE.includes(k))).toEqual([]);
  expect(fresh.pageErrors).toEqual([]);
});

webTest(
  "chat list, conversation, settings, second tab and taken over pass axe in both themes at both sizes",
  { timeout: 240_000 },
  async () => {
    const alice = await signUp(web.browser, web.relay, "a11yalice", "Alice", DESKTOP);
    await signUp(web.browser, web.relay, "a11ybob", "Bob", DESKTOP);
    await everyWay(alice.page, "chat-list");
    await startChat(alice.page, "a11ybob");
    const composer = alice.page.getByRole("textbox", { name: "Message", exact: true });
    await composer.fill("accessible hello");
    await composer.press("Enter");
    await alice.page.getByText("accessible hello").filter({ visible: true }).first().waitFor();
    await everyWay(alice.page, "conversation");
    await alice.page.goto(`${web.relay.appUrl}/settings`);
    await alice.page.getByRole("heading", { name: "Settings", level: 1 }).waitFor({ timeout: 30_000 });
    await everyWay(alice.page, "settings");

    const second = await alice.context.newPage();
    await second.goto(web.relay.appUrl);
    await second.getByRole("heading", { name: "Parley is open in another tab" }).waitFor({ timeout: 20_000 });
    await everyWay(second, "second-tab");
    await second.getByRole("button", { name: "Use Parley in this tab" }).click();
    await alice.page.getByRole("heading", { name: "Parley was opened in another tab" }).waitFor({ timeout: 20_000 });
    await everyWay(alice.page, "taken-over");

    // Only the relay's origin, and only UI prefs in localStorage.
    expect(alice.offOrigin).toEqual([]);
    const keys = await second.evaluate<string[]>("Object.keys(localStorage)");
    expect(keys.filter((k) => !ALLOWED_LOCAL_STORAGE.includes(k))).toEqual([]);
    expect(alice.pageErrors).toEqual([]);
  },
);
