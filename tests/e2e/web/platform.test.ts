// Onboarding and the screens around it, in Chromium against a real relay: handle validation
// (invalid, taken), the passphrase lock (wrong passphrase, then unlock), the link and restore
// entries, and the second tab (one context, two pages): "open in another tab", take over, and the
// first tab then says it was taken over.
import type { Page } from "playwright-core";
import { expect } from "vitest";
import { DESKTOP, openApp, PHONE, shot, signUp, useWebSetup, webTest } from "./support/web.js";

const web = useWebSetup();

async function both(page: Page, name: string): Promise<void> {
  await page.setViewportSize(PHONE);
  await shot(page, "platform", name);
  await page.setViewportSize(DESKTOP);
  await shot(page, "platform", name);
}

webTest("onboarding: invalid and taken handles, passphrase lock, unlock", { timeout: 90_000 }, async () => {
  await signUp(web.browser, web.relay, "takenname", "First");
  const first = await openApp(web.browser, web.relay, DESKTOP);
  let page = first.page;
  await page.getByRole("heading", { name: "Welcome to Parley" }).waitFor();
  await both(page, "onboarding");

  const handle = page.getByLabel("Handle", { exact: true });
  await handle.fill("a!");
  await page.getByRole("button", { name: "Create account" }).click();
  await expect.poll(() => page.getByRole("alert").textContent()).toMatch(/3 to 32 letters/);
  expect(await handle.getAttribute("aria-invalid")).toBe("true");

  await handle.fill("takenname");
  await page.getByRole("button", { name: "Create account" }).click();
  await expect.poll(() => page.getByRole("alert").textContent(), { timeout: 20_000 }).toMatch(/taken/);
  await both(page, "onboarding-taken");

  // The account exists now (only the handle is missing): linking and restoring are not offered.
  expect(await page.getByRole("button", { name: "Restore from a backup" }).count()).toBe(0);

  // The alternatives, on a fresh page: linking and restore (backup API) are reachable and come back.
  page = (await openApp(web.browser, web.relay, DESKTOP)).page;
  await page.getByRole("heading", { name: "Welcome to Parley" }).waitFor();
  await page.getByRole("button", { name: "Restore from a backup" }).click();
  await page.getByRole("heading", { name: "Restore from a backup" }).waitFor();
  await both(page, "onboarding-restore");
  await page.getByRole("button", { name: "Back", exact: true }).click();
  await page.getByRole("button", { name: "Link to my account on another device" }).click();
  await expect.poll(() => page.getByRole("button", { name: "Create account" }).count()).toBe(0);

  // A locked account, in a fresh profile: passphrase + confirm, explained.
  const user = await openApp(web.browser, web.relay, DESKTOP);
  page = user.page;
  await page.getByLabel("Lock Parley with a passphrase").check();
  await page.getByLabel("Handle", { exact: true }).fill("lockedone");
  await page.getByLabel("Passphrase", { exact: true }).fill("correct horse");
  await page.getByLabel("Passphrase again").fill("correct hors");
  await page.getByRole("button", { name: "Create account" }).click();
  await expect.poll(() => page.getByRole("alert").textContent()).toMatch(/not the same/);
  await both(page, "onboarding-passphrase");
  await page.getByLabel("Passphrase again").fill("correct horse");
  await page.getByRole("button", { name: "Create account" }).click();
  await page.getByRole("navigation", { name: "Conversations" }).waitFor({ timeout: 60_000 });

  // Reload: the store asks for the passphrase; a wrong one says so; the right one opens it.
  await page.reload();
  await page.getByRole("heading", { name: "Unlock Parley" }).waitFor({ timeout: 20_000 });
  await both(page, "unlock");
  await page.getByLabel("Passphrase").fill("wrong horse");
  await page.getByRole("button", { name: "Unlock" }).click();
  await expect.poll(() => page.getByRole("alert").textContent(), { timeout: 20_000 }).toMatch(/passphrase is not right/);
  await both(page, "unlock-wrong");
  await page.getByLabel("Passphrase").fill("correct horse");
  await page.getByRole("button", { name: "Unlock" }).click();
  await page.getByRole("navigation", { name: "Conversations" }).waitFor({ timeout: 30_000 });

  // Nothing secret in localStorage: only the UI prefs.
  const keys = await page.evaluate<string[]>("Object.keys(localStorage)");
  expect(keys.filter((k) => !["parley.profile", "parley.theme"].includes(k))).toEqual([]);
  expect([...first.offOrigin, ...user.offOrigin]).toEqual([]);
  expect([...first.pageErrors, ...user.pageErrors]).toEqual([]);
});

webTest("a second tab is told, can take over, and the first tab then says it was taken over", { timeout: 60_000 }, async () => {
  const first = await signUp(web.browser, web.relay, "twotabs", "Tabby");
  const second = await first.context.newPage();
  await second.goto(web.relay.appUrl);
  await second.getByRole("heading", { name: "Parley is open in another tab" }).waitFor({ timeout: 20_000 });
  await both(second, "second-tab");
  await second.getByRole("button", { name: "Use Parley in this tab" }).click();
  await second.getByRole("navigation", { name: "Conversations" }).waitFor({ timeout: 30_000 });
  await first.page.getByRole("heading", { name: "Parley was opened in another tab" }).waitFor({ timeout: 20_000 });
  await both(first.page, "taken-over");
  // And back: the first tab takes it again.
  await first.page.getByRole("button", { name: "Use Parley in this tab" }).click();
  await first.page.getByRole("navigation", { name: "Conversations" }).waitFor({ timeout: 30_000 });
  await second.getByRole("heading", { name: "Parley was opened in another tab" }).waitFor({ timeout: 20_000 });
});
