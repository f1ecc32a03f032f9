// Settings in Chromium: the theme (html[data-theme], kept as a UI pref across reloads), the
// notification permission (asked from a button; shown as on when granted), the privacy switches
// and backup (when this SDK build has them), the devices link and the about facts.
import { expect } from "vitest";
import { DESKTOP, PHONE, shot, signUp, useWebSetup, webTest } from "./support/web.js";

const web = useWebSetup();

webTest("settings: theme, notifications, privacy, devices, about", { timeout: 90_000 }, async () => {
  const user = await signUp(web.browser, web.relay, "setty", "Setty", DESKTOP);
  const { page, context } = user;
  await page.goto(`${web.relay.appUrl}/settings`);
  await page.getByRole("heading", { name: "Settings", level: 1 }).waitFor({ timeout: 30_000 });
  await shot(page, "platform", "settings");

  // Theme: a UI pref in localStorage, applied to <html> before the first render.
  await page.getByLabel("Dark").check();
  expect(await page.getAttribute("html", "data-theme")).toBe("dark");
  await page.reload();
  await page.getByRole("heading", { name: "Settings", level: 1 }).waitFor({ timeout: 30_000 });
  expect(await page.getAttribute("html", "data-theme")).toBe("dark");
  expect(await page.getByLabel("Dark").isChecked()).toBe(true);
  await shot(page, "platform", "settings-dark");
  await page.setViewportSize(PHONE);
  await shot(page, "platform", "settings-dark");
  await page.getByLabel("Same as the system").check();
  expect(await page.getAttribute("html", "data-theme")).toBeNull();
  await page.setViewportSize(DESKTOP);

  // Notifications: headless Chromium answers "denied" to a request without a grant.
  await page.getByText("Off. Turn them on").waitFor();
  await page.getByRole("button", { name: "Turn on notifications" }).click();
  await page.getByText("Blocked in this browser").waitFor();
  await context.grantPermissions(["notifications"], { origin: web.relay.appUrl });
  await page.reload();
  await page.getByText("On: Parley shows a notification").waitFor({ timeout: 30_000 });

  // Privacy and backup: the SDK's settings/backup API where present, a plain note where not.
  const hasSettings = await page.getByLabel("Send read receipts").count();
  if (hasSettings > 0) {
    const receipts = page.getByLabel("Send read receipts");
    expect(await receipts.isChecked()).toBe(true);
    await receipts.uncheck();
    await page.reload();
    await page.getByRole("heading", { name: "Settings", level: 1 }).waitFor({ timeout: 30_000 });
    expect(await page.getByLabel("Send read receipts").isChecked()).toBe(false);
  } else {
    await page.getByText("always shared in this version").waitFor();
  }
  const exportButton = page.getByRole("button", { name: "Export backup" });
  if (await exportButton.isEnabled()) {
    await page.getByLabel("Backup passphrase", { exact: true }).fill("long enough pass");
    await page.getByLabel("Backup passphrase again").fill("long enough pass");
    const download = page.waitForEvent("download");
    await exportButton.click();
    expect((await download).suggestedFilename()).toMatch(/^parley-.*\.parley-backup$/);
  } else {
    await page.getByText("Backups are not available in this version").waitFor();
  }

  // About: version and relay origin.
  await page.getByText(/^Parley web \d+\.\d+\.\d+/).waitFor();
  await page.getByText(web.relay.appUrl.replace(/\/$/, ""), { exact: true }).waitFor();

  // Devices: a link to /settings/devices.
  await page.getByRole("link", { name: "Manage devices" }).click();
  await expect.poll(() => new URL(page.url()).pathname).toBe("/settings/devices");

  expect(user.offOrigin).toEqual([]);
  expect(user.pageErrors).toEqual([]);
});
