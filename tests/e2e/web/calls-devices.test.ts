// A call to someone with two browsers: both ring; the one that accepts carries the call and the
// other stops ringing at once (answered elsewhere) without opening a call view. Bob's second
// browser is linked through the UI first. Real relay, fake camera and microphone, loopback ICE.
import type { Page } from "playwright-core";
import { expect } from "vitest";
import { launchChromium } from "../support/chromium.js";
import { openConversation, send, waitForMessage } from "./support/chat-page.js";
import { openApp, PHONE, shot, signUp, startChat, useWebSetup, webTest } from "./support/web.js";
import { go } from "./trust-support.js";

/** Fake camera and microphone, auto-allowed; host candidates on loopback. */
const MEDIA_FLAGS = ["--use-fake-device-for-media-stream", "--use-fake-ui-for-media-stream", "--allow-loopback-in-peer-connection"];

const web = useWebSetup({ browser: () => launchChromium(MEDIA_FLAGS) });

const PART = "calls";

/** Width of the video labelled `label` (0 until a frame is decoded). Page scripts are strings: no DOM types here. */
function videoWidth(page: Page, label: string): Promise<number> {
  return page.evaluate(`(() => {
    const v = document.querySelector(${JSON.stringify(`video[aria-label="${label}"]`)});
    return v ? v.videoWidth : 0;
  })()`);
}

webTest("both of Bob's browsers ring; the one that answers takes the call, the other stops ringing", { timeout: 240_000 }, async () => {
  const alice = await signUp(web.browser, web.relay, "alice", "Alice");
  const bob = await signUp(web.browser, web.relay, "bob", "Bob", PHONE);

  // Bob links a second browser (his laptop) through the UI.
  await go(bob.page, "/settings/devices");
  await bob.page.getByRole("button", { name: "Link a new device" }).click();
  const laptop = await openApp(web.browser, web.relay);
  await laptop.page
    .getByRole("button", { name: /link/i })
    .or(laptop.page.getByRole("link", { name: /link/i }))
    .first()
    .click();
  const request = await laptop.page.getByRole("textbox", { name: "This browser's link request" }).inputValue();
  await bob.page.getByRole("textbox", { name: "The new device’s link request" }).fill(request);
  await bob.page.getByRole("button", { name: "Continue" }).click();
  await bob.page.getByRole("button", { name: "The codes match: link it" }).click();
  await bob.page.getByText("Linked. Now scan this code").waitFor({ timeout: 30_000 });
  const approval = await bob.page.getByRole("textbox", { name: "Approval for the new device" }).inputValue();
  await laptop.page.getByRole("textbox", { name: "Approval from your other device" }).fill(approval);
  await laptop.page.getByRole("button", { name: "Finish linking" }).click();
  await laptop.page.getByRole("navigation", { name: "Conversations" }).waitFor({ timeout: 30_000 });
  await bob.page.getByRole("button", { name: "Done" }).click();

  // Alice writes first, so both of Bob's browsers know her.
  await startChat(alice.page, "bob");
  await send(alice.page, "two devices?");
  await openConversation(laptop.page, "Alice");
  await waitForMessage(laptop.page, "two devices?");

  await alice.page.getByRole("button", { name: "Video call Bob" }).click();
  const phoneRings = bob.page.getByRole("alertdialog", { name: "Alice" });
  const laptopRings = laptop.page.getByRole("alertdialog", { name: "Alice" });
  await phoneRings.waitFor({ timeout: 30_000 });
  await laptopRings.waitFor({ timeout: 30_000 });
  await shot(laptop.page, PART, "08-ringing-on-two-devices");

  // The laptop answers: the phone stops ringing and shows no call; the laptop and Alice see each other.
  await laptopRings.getByRole("button", { name: "Accept" }).click();
  await phoneRings.waitFor({ state: "detached", timeout: 15_000 });
  expect(await bob.page.getByRole("dialog").count()).toBe(0);
  await expect.poll(() => videoWidth(laptop.page, "Video of Alice"), { timeout: 30_000 }).toBeGreaterThan(0);
  await expect.poll(() => videoWidth(alice.page, "Video of Bob"), { timeout: 30_000 }).toBeGreaterThan(0);

  await alice.page.getByRole("button", { name: "Hang up" }).click();
  await laptop.page.getByRole("dialog").waitFor({ state: "detached", timeout: 15_000 });
  for (const user of [alice, bob, laptop]) {
    expect(user.pageErrors).toEqual([]);
    await user.context.close();
  }
});
