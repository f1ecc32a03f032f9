// The production build under the relay's real Content-Security-Policy: using the app (onboarding,
// chat both ways, the emoji picker where there is one, settings) raises no
// `securitypolicyviolation`, logs no CSP error, and the WebSocket to the relay's own origin is
// allowed by `connect-src 'self'` (CSP3: 'self' matches ws: on the same host and port).
import type { Page } from "playwright-core";
import { expect } from "vitest";
import { openApp, PHONE, shot, startChat, useWebSetup, type WebUser, webTest } from "./support/web.js";

const web = useWebSetup();

/** Opens the app with a recorder of CSP violations installed before any script runs. */
async function openWatched(viewport = PHONE): Promise<WebUser & { violations: () => Promise<string[]>; consoleCsp: string[] }> {
  const user = await openApp(web.browser, web.relay, viewport);
  // (Strings: the e2e project has no DOM types.)
  await user.context.addInitScript(`
    window.__csp = [];
    document.addEventListener("securitypolicyviolation", (e) =>
      window.__csp.push(e.violatedDirective + " " + e.blockedURI + " " + e.sourceFile + ":" + e.lineNumber));
  `);
  const consoleCsp: string[] = [];
  user.page.on("console", (m) => {
    if (/Content Security Policy/i.test(m.text())) consoleCsp.push(m.text());
  });
  await user.page.reload();
  const violations = () => user.page.evaluate<string[]>("window.__csp");
  return Object.assign(user, { violations, consoleCsp });
}

async function createAccount(page: Page, handle: string, name: string): Promise<void> {
  await page.getByLabel("Handle", { exact: true }).fill(handle);
  await page.getByLabel("Display name").fill(name);
  await page.getByRole("button", { name: "Create account" }).click();
  await page.getByRole("navigation", { name: "Conversations" }).waitFor({ timeout: 60_000 });
}

webTest("the app runs under the strict CSP without a single violation", { timeout: 90_000 }, async () => {
  const response = await fetch(web.relay.appUrl);
  const csp = response.headers.get("content-security-policy") ?? "";
  expect(csp).toContain("script-src 'self' 'wasm-unsafe-eval'");
  expect(csp).toContain("style-src 'self'");
  expect(csp).toContain("connect-src 'self'");
  expect(csp).not.toContain("unsafe-inline");

  const alice = await openWatched(PHONE);
  const bob = await openWatched(PHONE);
  await createAccount(alice.page, "cspalice", "Alice");
  await createAccount(bob.page, "cspbob", "Bob");
  // The WebSocket to ws://<same origin> was allowed: the account is connected.
  await expect
    .poll(() => alice.page.evaluate<string>(`document.querySelector("[role=status]")?.textContent ?? ""`), { timeout: 20_000 })
    .toBe("");

  await startChat(alice.page, "cspbob");
  const composer = alice.page.getByRole("textbox", { name: "Message", exact: true });
  await composer.fill("under a strict policy");
  await composer.press("Enter");
  await bob.page.getByRole("link", { name: /Alice/ }).click();
  await expect.poll(() => bob.page.getByText("under a strict policy").count(), { timeout: 30_000 }).toBeGreaterThan(0);

  // The emoji picker, where this build has one: its data comes from our own origin.
  const emoji = bob.page.getByRole("button", { name: /emoji/i }).first();
  if ((await emoji.count()) > 0) {
    await emoji.click();
    await bob.page.waitForTimeout(500);
    await bob.page.keyboard.press("Escape");
  }

  await alice.page.goto(`${web.relay.appUrl}/settings`);
  await alice.page.getByRole("heading", { name: "Settings" }).waitFor();
  await alice.page.getByLabel("Dark").check();
  await shot(alice.page, "platform", "csp-settings");

  expect(await alice.violations()).toEqual([]);
  expect(await bob.violations()).toEqual([]);
  expect([...alice.consoleCsp, ...bob.consoleCsp]).toEqual([]);
  expect([...alice.offOrigin, ...bob.offOrigin]).toEqual([]);
  expect([...alice.pageErrors, ...bob.pageErrors]).toEqual([]);
});
