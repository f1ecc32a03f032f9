// The account's profile in Chromium: the display name edited in place in Settings (Save/Cancel,
// Enter/Escape, the SDK's refusals as sentences) reaches a contact and the header; a linked
// browser shows the name read-only and follows a rename on the primary; its Devices screen
// follows devices linked and removed elsewhere without a reload; and sign-up recovers when the
// handle cannot be claimed once the account is made (a new handle, also after a reload).
import type { ParleyClient } from "@parley/protocol/client";
import type { Browser, Page } from "playwright-core";
import { afterAll, beforeAll, expect, test } from "vitest";
import { launchChromium, requireChromium, skipWithoutChromium } from "../support/chromium.js";
import { eventually, newClient, waitFor } from "../support/clients.js";
import { linkDevice } from "../support/linking.js";
import { DESKTOP, openApp, PHONE, signUp, startWebRelay, type WebRelay } from "./support/web.js";
import { go, shotBoth, shownDigits } from "./trust-support.js";

const PART = "profile";
let relay: WebRelay;
let browser: Browser;
const nodeClients: ParleyClient[] = [];

beforeAll(async () => {
  if (skipWithoutChromium) return;
  requireChromium();
  relay = await startWebRelay();
  browser = await launchChromium();
});

afterAll(async () => {
  await Promise.all(nodeClients.map((c) => c.close()));
  await browser?.close();
  await relay?.stop();
  relay?.cleanup();
});

async function nodeUser(name: string, handle: string): Promise<ParleyClient> {
  const client = await newClient(relay.wsUrl, name);
  nodeClients.push(client);
  await client.claimHandle(handle);
  return client;
}

const shownName = (page: Page) => page.getByTestId("display-name");

test.skipIf(skipWithoutChromium)(
  "the display name is edited in place in Settings and reaches a contact",
  { timeout: 180_000 },
  async () => {
    const bob = await nodeUser("Bob", "pbob");
    const alice = await signUp(browser, relay, "palice", "Alice");
    const { page } = alice;
    // Bob writes first; Alice's receipt carries her profile to him.
    const aliceAtBob = await bob.findContact("palice");
    await bob.sendText(aliceAtBob.id, "hello");
    await eventually(async () => (await bob.contact(aliceAtBob.id))?.displayName === "Alice", 30_000);
    // Bob's message shows in the list and as a toast; the toast would cover Settings in the screenshots.
    await page.getByRole("navigation", { name: "Conversations" }).getByText("hello").waitFor();
    await page
      .getByRole("button", { name: "Dismiss notification" })
      .click({ timeout: 5_000 })
      .catch(() => {});

    await go(page, "/settings");
    await page.getByRole("heading", { name: "Settings", level: 1 }).waitFor({ timeout: 30_000 });
    expect(await shownName(page).textContent()).toBe("Alice");
    const edit = page.getByRole("button", { name: "Edit display name" });

    // Escape leaves the name as it was and gives the focus back to Edit.
    await edit.click();
    const field = page.getByLabel("Display name", { exact: true });
    expect(await field.evaluate((el) => el === el.ownerDocument.activeElement)).toBe(true);
    expect(await field.inputValue()).toBe("Alice");
    await field.fill("Not saved");
    await field.press("Escape");
    expect(await shownName(page).textContent()).toBe("Alice");
    expect(await edit.evaluate((el) => el === el.ownerDocument.activeElement)).toBe(true);

    // Cancel does the same.
    await edit.click();
    await field.fill("Not saved either");
    await page.getByRole("button", { name: "Cancel" }).click();
    expect(await shownName(page).textContent()).toBe("Alice");

    await edit.click();
    await shotBoth(page, PART, "settings-name-edit");
    // Blank: the SDK refuses it, the sentence says why, the field is marked.
    await field.fill("   ");
    await page.getByRole("button", { name: "Save" }).click();
    const alert = page.getByRole("form", { name: "Change display name" }).getByRole("alert");
    await alert.getByText("Type a name: it cannot be empty.").waitFor();
    expect(await field.getAttribute("aria-invalid")).toBe("true");
    await shotBoth(page, PART, "settings-name-error");
    // Over the limit (1,024 UTF-8 bytes): too long.
    await field.fill("a".repeat(1025));
    await field.press("Enter");
    await alert.getByText("That name is too long. Use a shorter one.").waitFor();

    // Enter saves: Settings, the header and Bob show the new name.
    const atBob = waitFor(bob, "contact", (c) => c.displayName === "Alice Liddell", 30_000);
    await field.fill("  Alice Liddell ");
    await field.press("Enter");
    await page.getByRole("status").getByText("Name saved").waitFor();
    expect(await shownName(page).textContent()).toBe("Alice Liddell");
    await page.getByRole("navigation", { name: "Conversations" }).getByText("Alice Liddell", { exact: true }).waitFor();
    await atBob;
    await shotBoth(page, PART, "settings-name-saved");

    // Kept across a reload.
    await page.reload();
    await page.getByRole("heading", { name: "Settings", level: 1 }).waitFor({ timeout: 30_000 });
    expect(await shownName(page).textContent()).toBe("Alice Liddell");
    expect(alice.pageErrors).toEqual([]);
    expect(alice.offOrigin).toEqual([]);
  },
);

test.skipIf(skipWithoutChromium)(
  "a linked browser shows the name read-only, follows a rename, and its device list follows links and removals elsewhere",
  { timeout: 180_000 },
  async () => {
    const alice = await nodeUser("Alice", "lalice");
    await nodeUser("Bob", "lbob");
    const laptop = await openApp(browser, relay, DESKTOP);
    const { page } = laptop;
    await page.getByRole("button", { name: "Link to my account on another device" }).click();
    await page.getByRole("list", { name: "Link check code" }).waitFor({ timeout: 30_000 });
    const request = await page.getByRole("textbox", { name: "This browser's link request" }).inputValue();
    const code = await shownDigits(page, "Link check code");
    const approval = await (await alice.approveLink(request)).confirm(code);
    await page.getByRole("textbox", { name: "Approval from your other device" }).fill(approval);
    await page.getByRole("button", { name: "Finish linking" }).click();
    await page.getByRole("navigation", { name: "Conversations" }).waitFor({ timeout: 30_000 });

    // Settings: the name without an Edit button; a rename on the primary shows at once.
    await go(page, "/settings");
    await page.getByRole("heading", { name: "Settings", level: 1 }).waitFor();
    expect(await shownName(page).textContent()).toBe("Alice");
    expect(await page.getByRole("button", { name: "Edit display name" }).count()).toBe(0);
    await page.getByText("Change it on your primary device").waitFor();
    await alice.setDisplayName("Alice Primary");
    await page.getByTestId("display-name").getByText("Alice Primary").waitFor({ timeout: 30_000 });
    await page.getByRole("navigation", { name: "Conversations" }).getByText("Alice Primary", { exact: true }).waitFor();
    await shotBoth(page, PART, "settings-linked");

    // Devices: a device linked elsewhere appears when it first writes to this one (a sync copy).
    await go(page, "/settings/devices");
    const list = page.getByRole("list", { name: "Your devices" });
    await list.getByText("this browser").waitFor();
    await eventually(async () => (await list.getByRole("listitem").count()) === 2);
    const tablet = await linkDevice(relay.wsUrl, alice);
    nodeClients.push(tablet);
    const bobAtTablet = await tablet.findContact("lbob");
    await tablet.sendText(bobAtTablet.id, "from the tablet");
    await eventually(async () => (await list.getByRole("listitem").count()) === 3, 30_000);
    // A device removed elsewhere is gone when the screen opens again (no reload).
    await alice.removeDevice(tablet.deviceId);
    await go(page, "/settings");
    await page.getByRole("heading", { name: "Settings", level: 1 }).waitFor();
    await go(page, "/settings/devices");
    await eventually(async () => (await list.getByRole("listitem").count()) === 2, 30_000);
    await shotBoth(page, PART, "devices-linked-live");
    expect(laptop.pageErrors).toEqual([]);
  },
);

test.skipIf(skipWithoutChromium)(
  "a handle taken after the account is made: another handle, before entering the app",
  { timeout: 180_000 },
  async () => {
    await nodeUser("Someone", "takenhandle");
    const user = await openApp(browser, relay, PHONE);
    const { page } = user;
    await page.getByLabel("Handle").fill("takenhandle");
    await page.getByLabel("Display name").fill("Tess");
    await page.getByRole("button", { name: "Create account" }).click();
    await page.getByRole("heading", { name: "Choose another handle" }).waitFor({ timeout: 30_000 });
    await page.getByRole("alert").getByText("That handle is taken. Try another one.").waitFor();
    const field = page.getByRole("textbox", { name: "Handle" });
    expect(await field.inputValue()).toBe("takenhandle");
    expect(await field.getAttribute("aria-invalid")).toBe("true");
    // Linking or restoring is no longer offered: the account exists.
    expect(await page.getByRole("button", { name: "Link to my account on another device" }).count()).toBe(0);
    await shotBoth(page, PART, "onboarding-handle-taken");

    await field.fill("x");
    await page.getByRole("button", { name: "Use this handle" }).click();
    await page
      .getByRole("alert")
      .getByText(/3 to 32/)
      .waitFor();
    await field.fill("tess");
    await page.getByRole("button", { name: "Use this handle" }).click();
    await page.getByRole("navigation", { name: "Conversations" }).waitFor({ timeout: 30_000 });
    await go(page, "/settings");
    await page.getByText("@tess", { exact: true }).waitFor();
    expect(await shownName(page).textContent()).toBe("Tess");
    expect(user.pageErrors).toEqual([]);
  },
);

test.skipIf(skipWithoutChromium)("a locked account whose claim failed asks for a handle after a reload", { timeout: 180_000 }, async () => {
  await nodeUser("Someone else", "takenagain");
  const user = await openApp(browser, relay, DESKTOP);
  const { page } = user;
  await page.getByLabel("Handle").fill("takenagain");
  await page.getByLabel("Display name").fill("Uma");
  await page.getByLabel("Lock Parley with a passphrase").check();
  await page.getByLabel("Passphrase", { exact: true }).fill("long enough pass");
  await page.getByLabel("Passphrase again").fill("long enough pass");
  await page.getByRole("button", { name: "Create account" }).click();
  await page.getByRole("heading", { name: "Choose another handle" }).waitFor({ timeout: 60_000 });

  // The page is reloaded before a handle is chosen: unlock, then the same question, not the app.
  await page.reload();
  await page.getByRole("heading", { name: "Unlock Parley" }).waitFor({ timeout: 30_000 });
  await page.getByLabel("Passphrase").fill("long enough pass");
  await page.getByRole("button", { name: "Unlock" }).click();
  await page.getByRole("heading", { name: "Choose another handle" }).waitFor({ timeout: 60_000 });
  expect(await page.getByRole("navigation", { name: "Conversations" }).count()).toBe(0);
  await shotBoth(page, PART, "onboarding-claim-after-reload");
  await page.getByRole("textbox", { name: "Handle" }).fill("takenagain");
  await page.getByRole("button", { name: "Use this handle" }).click();
  await page.getByRole("alert").getByText("That handle is taken. Try another one.").waitFor();
  await page.getByRole("textbox", { name: "Handle" }).fill("uma");
  await page.getByRole("button", { name: "Use this handle" }).click();
  await page.getByRole("navigation", { name: "Conversations" }).waitFor({ timeout: 30_000 });
  await page.getByRole("navigation", { name: "Conversations" }).getByText("Uma", { exact: true }).waitFor();
  expect(user.pageErrors).toEqual([]);
});
