// Trust in the browser: two people see the same safety number, verify each other by pasting the
// code and by scanning the QR code with the camera (a fake camera showing the other's QR code,
// decoded by zxing-wasm served from our own origin), a wrong code is refused; the contact's
// info shows it. Then a handle re-pointed to another account: the conversation blocks with a
// banner until Alice accepts, and then her message reaches the new account.
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { ParleyClient } from "@parley/protocol/client";
import { expect } from "vitest";
import { newClient, waitFor } from "../support/clients.js";
import { checkA11y, PHONE, shot, signUp, startChat, useWebSetup, type WebUser, webTest } from "./support/web.js";
import { go, launchWithCamera, pathOf, shotBoth, shownDigits, writeQrVideo } from "./trust-support.js";

const PART = "trust";
const video = join(mkdtempSync(join(tmpdir(), "parley-trust-")), "camera.y4m");
const nodeClients: ParleyClient[] = [];
let alice: WebUser;

const web = useWebSetup({
  browser: () => launchWithCamera(video),
  teardown: async () => {
    for (const c of nodeClients) await c.close().catch(() => {});
  },
});

async function send(user: WebUser, text: string): Promise<void> {
  const box = user.page.getByRole("textbox", { name: "Message", exact: true });
  await box.fill(text);
  await box.press("Enter");
}

webTest("safety numbers match on both sides; pasted and scanned codes verify, a wrong code is refused", { timeout: 180_000 }, async () => {
  alice = await signUp(web.browser, web.relay, "alice", "Alice");
  const bob = await signUp(web.browser, web.relay, "bob", "Bob", PHONE);
  await startChat(alice.page, "bob");
  await send(alice, "hi Bob");
  // Her first message: the app (not the browser) asks about notifications; not now.
  await alice.page.getByRole("button", { name: "Not now" }).click();
  await bob.page.getByRole("link", { name: /Alice/ }).click();
  await expect.poll(() => bob.page.getByText("hi Bob").count(), { timeout: 30_000 }).toBeGreaterThan(0);
  const bobConversation = new URL(bob.page.url()).pathname;

  await go(alice.page, pathOf("@bob", "verify"));
  await go(bob.page, `${bobConversation}/verify`);
  await alice.page.getByRole("list", { name: "Safety number" }).waitFor();
  await bob.page.getByRole("list", { name: "Safety number" }).waitFor();
  const aliceDigits = await shownDigits(alice.page, "Safety number");
  expect(aliceDigits).toMatch(/^\d{60}$/);
  expect(await shownDigits(bob.page, "Safety number")).toBe(aliceDigits);
  await expect.poll(() => alice.page.getByText("Not verified", { exact: true }).count()).toBe(1);
  await shotBoth(alice.page, PART, "safety-number");
  // The dark theme too (the QR code stays dark on light).
  await alice.page.emulateMedia({ colorScheme: "dark" });
  await shot(alice.page, PART, "safety-number-dark");
  await checkA11y(alice.page);
  await alice.page.emulateMedia({ colorScheme: "light" });

  const aliceCode = await alice.page.getByRole("textbox", { name: "Your safety number code" }).inputValue();
  const bobCode = await bob.page.getByRole("textbox", { name: "Your safety number code" }).inputValue();
  expect(aliceCode).toMatch(/^[A-Za-z0-9_-]{87}$/);

  // Bob pastes text that is no code, then his own code (the wrong one): refused, not verified.
  await bob.page.getByRole("button", { name: "Paste their code" }).click();
  const field = bob.page.getByRole("textbox", { name: /Their code/ });
  await field.fill("hello there");
  await bob.page.getByRole("button", { name: "Check code" }).click();
  await bob.page.getByText("That is not a safety number code").waitFor();
  await field.fill(bobCode);
  await bob.page.getByRole("button", { name: "Check code" }).click();
  await bob.page.getByText("The codes do not match.").waitFor();
  expect(await bob.page.getByText("Not verified", { exact: true }).count()).toBe(1);
  await shotBoth(bob.page, PART, "safety-number-mismatch");

  // Then Alice's code: verified.
  await field.fill(aliceCode);
  await bob.page.getByRole("button", { name: "Check code" }).click();
  await bob.page.getByText("The codes match.").waitFor();
  await bob.page.getByText("✓ Verified").waitFor();
  await shotBoth(bob.page, PART, "safety-number-verified");

  // Alice scans Bob's QR code with the camera.
  await writeQrVideo(bobCode, video);
  await alice.page.getByRole("button", { name: "Scan their code" }).click();
  await alice.page.getByText("The codes match.").waitFor({ timeout: 30_000 });
  await alice.page.getByText("✓ Verified").waitFor();

  // The contact's info shows it, with handle and devices.
  await go(alice.page, pathOf("@bob", "info"));
  const info = alice.page.getByRole("main");
  await info.getByText("@bob").waitFor();
  await info.getByText("✓ Verified").waitFor();
  await info.getByText("1 device").waitFor();
  await shotBoth(alice.page, PART, "contact-info");
  await info.getByRole("link", { name: "View safety number" }).click();
  await alice.page.getByRole("heading", { name: "Safety number with Bob" }).waitFor();

  expect([...alice.offOrigin, ...bob.offOrigin]).toEqual([]);
  expect([...alice.pageErrors, ...bob.pageErrors]).toEqual([]);
  await bob.context.close();
});

webTest("a re-pointed handle blocks the conversation until accepted; then the new account receives", { timeout: 180_000 }, async () => {
  const dave = await newClient(web.relay.wsUrl, "Dave");
  const mallory = await newClient(web.relay.wsUrl, "Mallory");
  nodeClients.push(dave, mallory);
  await dave.claimHandle("dave");
  await startChat(alice.page, "dave");
  const atDave = waitFor(dave, "message", (m) => m.text === "hello dave", 30_000);
  await send(alice, "hello dave");
  await atDave;

  // Dave moves to another handle and Mallory takes "dave"; Alice looks it up again.
  await dave.claimHandle("davemoved");
  await mallory.claimHandle("dave");
  await startChat(alice.page, "dave");
  const banner = alice.page.getByRole("alert").filter({ hasText: "safety number has changed" });
  await banner.waitFor({ timeout: 30_000 });
  await expect.poll(() => banner.getByRole("button", { name: "Accept" }).count()).toBe(1);

  // Nothing can be sent meanwhile: the composer is disabled (or, if a send is attempted, the
  // SDK refuses it and says why) and nothing reaches either account.
  const composer = alice.page.getByRole("textbox", { name: "Message", exact: true });
  if (await composer.isEnabled()) {
    // A draft can still be typed, but it does not go: Send stays disabled and the composer says why.
    await send(alice, "should not go");
    await expect.poll(() => alice.page.getByRole("button", { name: "Send", exact: true }).isDisabled()).toBe(true);
    await alice.page.locator("#composer-blocked").waitFor();
    expect(await composer.inputValue()).toBe("should not go");
    await composer.fill("");
  }
  await shotBoth(alice.page, PART, "identity-banner");

  await banner.getByRole("link", { name: "Review" }).click();
  await alice.page.getByRole("heading", { name: /Safety number with/ }).waitFor();
  await alice.page.getByRole("button", { name: "Accept the new safety number" }).waitFor();
  await shotBoth(alice.page, PART, "identity-review");
  await go(alice.page, pathOf("@dave"));

  const atMallory = waitFor(mallory, "message", (m) => m.text === "are you the new dave?", 30_000);
  await alice.page.getByRole("button", { name: "Accept" }).click();
  await expect.poll(() => banner.count(), { timeout: 10_000 }).toBe(0);
  await expect.poll(() => composer.isEnabled()).toBe(true);
  await send(alice, "are you the new dave?");
  expect((await atMallory).text).toBe("are you the new dave?");
  expect(alice.offOrigin).toEqual([]);
  expect(alice.pageErrors).toEqual([]);
});
