// Call alerts in the web client, heard and seen in Chromium (fake camera and microphone, loopback
// ICE, a real relay): an incoming call rings with a WebAudio ringtone until it is answered, the
// caller hears ringback while the callee's device rings, and both hear a short cue when the call
// ends — checked on what the audio graph really outputs (support/call-sound.ts), not on what the
// app claims. While the tab is hidden a ringing call shows a system notification naming the
// caller (requireInteraction; clicking focuses the tab; closed when the call stops ringing) and a
// call that stops unanswered leaves "Missed call from Alice"; the title says who is calling.
// Before any click on the page the browser allows no sound: the banner still works and the
// ringtone starts at the first click. Call sounds can be turned off (and on again) in Settings.
import type { Page } from "playwright-core";
import { expect } from "vitest";
import { launchChromium } from "../support/chromium.js";
import {
  callSound,
  heardSince,
  notes,
  RECORD_NOTIFICATIONS,
  REPORT_RINGER,
  SOUND_MONITOR,
  samplesOf,
  setHidden,
} from "./support/call-sound.js";
import { openConversation, send, waitForMessage, waitForRowName } from "./support/chat-page.js";
import { expectDecoding } from "./support/video.js";
import { DESKTOP, PHONE, shot, signUp, startChat, useWebSetup, type WebUser, webTest } from "./support/web.js";
import { go } from "./trust-support.js";

/** Fake camera and microphone, auto-allowed; host candidates on loopback. */
const MEDIA_FLAGS = ["--use-fake-device-for-media-stream", "--use-fake-ui-for-media-stream", "--allow-loopback-in-peer-connection"];

const web = useWebSetup({ browser: () => launchChromium(MEDIA_FLAGS) });

const PART = "calls";

/** Adds the init scripts (they run on the next load) and reloads into the conversation list. */
async function instrument(user: WebUser, scripts: readonly string[]): Promise<void> {
  for (const script of scripts) await user.context.addInitScript(script);
  await user.page.reload();
  await user.page.getByRole("navigation", { name: "Conversations" }).waitFor({ timeout: 30_000 });
}

/** Alice and Bob (phone) with a conversation, both pages observed; Bob may get notifications. */
async function pair(aliceHandle: string, bobHandle: string): Promise<{ alice: WebUser; bob: WebUser }> {
  const alice = await signUp(web.browser, web.relay, aliceHandle, "Alice");
  const bob = await signUp(web.browser, web.relay, bobHandle, "Bob", PHONE);
  // Granting replaces the context's permissions: camera and microphone stay granted with notifications
  // (without them Chromium in a loopback-only namespace gathers no ICE candidates).
  await bob.context.grantPermissions(["notifications", "camera", "microphone"], { origin: new URL(web.relay.appUrl).origin });
  await instrument(alice, [SOUND_MONITOR]);
  await instrument(bob, [SOUND_MONITOR, RECORD_NOTIFICATIONS, REPORT_RINGER]);
  await startChat(alice.page, bobHandle);
  await send(alice.page, "can I call?");
  await openConversation(bob.page, "Alice");
  await waitForMessage(bob.page, "can I call?");
  // Bob has read it (Alice sees "Read"): his unread count and title are settled before a test
  // leaves the conversation or reads the title.
  await waitForRowName(alice.page, "can I call?", /, Read$/);
  return { alice, bob };
}

const banner = (page: Page) => page.getByRole("alertdialog", { name: "Alice" });

/** Waits out the tail of the last sound, then checks that nothing plays for `ms`. */
async function expectSilence(page: Page, ms: number): Promise<void> {
  // The fade-out (30 ms) and the analyser's window (~0.7 s) still show the last note briefly.
  await page.waitForTimeout(1_500);
  const from = Date.now();
  await page.waitForTimeout(ms);
  expect(await heardSince(page, from)).toEqual([]);
}

webTest("ringtone until accepted, ringback for the caller, the ended cue on both sides", { timeout: 180_000 }, async () => {
  const { alice, bob } = await pair("alice", "bob");
  const a = alice.page;
  const b = bob.page;

  const calledAt = Date.now();
  await a.getByRole("button", { name: "Video call Bob" }).click();
  await banner(b).waitFor({ timeout: 30_000 });
  await expect.poll(() => samplesOf(b, "ringtone", calledAt), { timeout: 15_000 }).toBeGreaterThan(0);
  expect(await callSound(b)).toBe("ringtone");
  expect(await b.title()).toBe("📞 Alice is calling…");
  // The page is visible: the banner is enough, no system notification.
  expect(await notes(b)).toEqual([]);

  // Alice hears ringback once Bob's device rings, never the ringtone.
  const callView = a.getByRole("dialog", { name: "Bob" });
  await expect.poll(() => callView.getByRole("status").textContent(), { timeout: 15_000 }).toBe("Ringing…");
  await expect.poll(() => samplesOf(a, "ringback", calledAt), { timeout: 15_000 }).toBeGreaterThan(0);
  expect(await callSound(a)).toBe("ringback");
  expect(await samplesOf(a, "ringtone", calledAt)).toBe(0);
  expect(await samplesOf(b, "ringback", calledAt)).toBe(0);

  // It keeps ringing: a later cycle plays too.
  const later = Date.now() + 500;
  await expect.poll(() => samplesOf(b, "ringtone", later), { timeout: 15_000 }).toBeGreaterThan(0);
  await shot(b, PART, "10-ringing-audible");
  await b.setViewportSize(DESKTOP);
  await shot(b, PART, "10-ringing-audible");
  await b.setViewportSize(PHONE);

  // Accepting stops both sounds; the title comes back.
  await banner(b).getByRole("button", { name: "Accept" }).click();
  await banner(b).waitFor({ state: "detached" });
  await expect.poll(() => callSound(b)).toBeNull();
  await expect.poll(() => callSound(a), { timeout: 15_000 }).toBeNull();
  await expectSilence(b, 3_500);
  await expectSilence(a, 500);
  expect(await b.title()).toBe("Parley");
  await expectDecoding(b, "Video of Alice", "4:3");

  // Hanging up: a short cue on both sides, then silence.
  const hungUpAt = Date.now();
  await a.getByRole("button", { name: "Hang up" }).click();
  await expect.poll(() => samplesOf(a, "ended", hungUpAt), { timeout: 10_000 }).toBeGreaterThan(0);
  await expect.poll(() => samplesOf(b, "ended", hungUpAt), { timeout: 10_000 }).toBeGreaterThan(0);
  await expectSilence(a, 1_000);
  await waitForMessage(b, /Video call · \d+:\d\d/);
  for (const user of [alice, bob]) {
    expect(await user.page.evaluate("window.__cspViolations")).toEqual([]);
    expect(user.pageErrors).toEqual([]);
    expect(user.offOrigin).toEqual([]);
    await user.context.close();
  }
});

webTest(
  "hidden tab: a notification names the caller, a click focuses the tab, it closes when ringing stops; a missed call is notified",
  { timeout: 180_000 },
  async () => {
    const { alice, bob } = await pair("carl", "dora");
    const a = alice.page;
    const b = bob.page;
    const bobsChat = new URL(b.url()).pathname;
    await go(b, "/");
    await setHidden(b, true);
    // Bob has read Alice's message (pair), so nothing is unread once the list has caught up.
    await expect.poll(() => b.title()).toBe("Parley");
    const titleBefore = await b.title();

    // A voice call rings in the background: the notification, the title, and the ringtone.
    const calledAt = Date.now();
    await a.getByRole("button", { name: "Voice call Bob" }).click();
    await expect.poll(() => notes(b), { timeout: 30_000 }).toHaveLength(1);
    const ringing = (await notes(b))[0];
    expect(ringing).toMatchObject({ title: "Incoming voice call — Alice", requireInteraction: true, closed: false });
    expect(ringing?.tag).toMatch(/^parley:call:[0-9a-f]{32}$/);
    expect(await b.title()).toBe("📞 Alice is calling…");
    await expect.poll(() => samplesOf(b, "ringtone", calledAt), { timeout: 15_000 }).toBeGreaterThan(0);

    // Alice cancels: the notification closes, the banner and the ringtone go, "Missed call from Alice" comes.
    await a.getByRole("button", { name: "Hang up" }).click();
    await expect.poll(() => notes(b), { timeout: 30_000 }).toHaveLength(2);
    await expect.poll(async () => (await notes(b))[0]?.closed).toBe(true);
    const missed = (await notes(b))[1];
    expect(missed).toMatchObject({ title: "Missed call from Alice", requireInteraction: false, closed: false });
    expect(missed?.body).toMatch(/^Voice call at \d\d:\d\d$/);
    await banner(b).waitFor({ state: "detached" });
    await expect.poll(() => b.title()).toBe(titleBefore);
    await expect.poll(() => callSound(b)).toBeNull();
    await expectSilence(b, 1_000);

    // The missed-call notification focuses the tab and opens the conversation with its line.
    await b.evaluate("window.__noteObjects[1].onclick()");
    expect(await b.evaluate("window.__focusCalls")).toBe(1);
    await expect.poll(() => new URL(b.url()).pathname).toBe(bobsChat);
    await waitForMessage(b, "Missed voice call");
    await waitForMessage(a, "Cancelled voice call");

    // Another call while hidden: clicking its notification focuses the tab, where the banner rings.
    await a.getByRole("button", { name: "Video call Bob" }).click();
    await expect.poll(() => notes(b), { timeout: 30_000 }).toHaveLength(3);
    expect((await notes(b))[2]).toMatchObject({ title: "Incoming video call — Alice", closed: false });
    const focusCalls = (await b.evaluate("window.__focusCalls")) as number;
    await b.evaluate("window.__noteObjects[2].onclick()");
    expect(await b.evaluate("window.__focusCalls")).toBe(focusCalls + 1);
    expect((await notes(b))[2]?.closed).toBe(true);
    await banner(b).waitFor();
    expect(await b.evaluate("document.activeElement && document.activeElement.textContent")).toBe("Accept");

    // Back on the page, the banner is the alert: no new notification; declining leaves no "missed" one.
    await setHidden(b, false);
    await banner(b).getByRole("button", { name: "Decline" }).click();
    await banner(b).waitFor({ state: "detached" });
    await waitForMessage(b, "Video call declined");
    await b.waitForTimeout(300);
    expect(await notes(b)).toHaveLength(3);
    for (const user of [alice, bob]) {
      expect(user.pageErrors).toEqual([]);
      await user.context.close();
    }
  },
);

webTest(
  "before any click the browser allows no sound: the banner works, the ringtone starts at the first click",
  { timeout: 180_000 },
  async () => {
    const { alice, bob } = await pair("erik", "fay");
    const a = alice.page;
    const b = bob.page;
    // From here on the test reads Bob's page only through its console until it clicks: any
    // Playwright call into a page counts as a user gesture there.
    const logs: string[] = [];
    const problems: string[] = [];
    b.on("console", (m) => {
      logs.push(m.text());
      if (m.type() === "error" || m.type() === "warning") problems.push(m.text());
    });
    const logged = (pattern: RegExp) =>
      expect.poll(() => logs.some((l) => pattern.test(l)), { timeout: 30_000, message: `console: ${pattern}` }).toBe(true);
    await b.reload();
    await logged(/^parley:ready$/);

    const calledAt = Date.now();
    await a.getByRole("button", { name: "Video call Bob" }).click();
    await logged(/^parley:banner$/);
    await logged(/^parley:call-sound=blocked active=false$/);
    await a.waitForTimeout(2_000);
    expect(logs.filter((l) => l.startsWith("parley:call-sound="))).toEqual(["parley:call-sound=blocked active=false"]);

    // Nothing played, and no AudioContext was even attempted (Chromium warns about a refused one).
    expect(await heardSince(b, calledAt)).toEqual([]);
    expect(problems.filter((p) => /audio/i.test(p))).toEqual([]);
    await shot(b, PART, "11-ringing-before-a-click");

    // The first click on the page (here on the caller's name) starts the ringtone.
    const clickedAt = Date.now();
    await banner(b).getByRole("heading", { name: "Alice" }).click();
    await logged(/^parley:call-sound=ringtone active=true$/);
    await expect.poll(() => samplesOf(b, "ringtone", clickedAt), { timeout: 15_000 }).toBeGreaterThan(0);
    await banner(b).getByRole("button", { name: "Decline" }).click();
    await banner(b).waitFor({ state: "detached" });
    await expectSilence(b, 1_000);
    expect(problems).toEqual([]);
    for (const user of [alice, bob]) {
      expect(user.pageErrors).toEqual([]);
      await user.context.close();
    }
  },
);

webTest("call sounds off in Settings: the call still shows, silently; on again, it rings at once", { timeout: 180_000 }, async () => {
  const { alice, bob } = await pair("gil", "hana");
  const a = alice.page;
  const b = bob.page;
  await b.setViewportSize(DESKTOP);
  await go(b, "/settings");
  const toggle = b.getByRole("checkbox", { name: "Play call sounds" });
  expect(await toggle.isChecked()).toBe(true);
  await toggle.uncheck();
  await shot(b, PART, "12-call-sounds-setting");
  await b.setViewportSize(PHONE);
  await shot(b, PART, "12-call-sounds-setting");
  expect(await b.evaluate(`localStorage.getItem("parley.calls.sounds")`)).toBe("off");

  const calledAt = Date.now();
  await a.getByRole("button", { name: "Video call Bob" }).click();
  await banner(b).waitFor({ timeout: 30_000 });
  expect(await b.title()).toBe("📞 Alice is calling…");
  // Alice's browser still plays ringback: the setting is per browser.
  await expect.poll(() => samplesOf(a, "ringback", calledAt), { timeout: 15_000 }).toBeGreaterThan(0);
  await b.waitForTimeout(3_000);
  expect(await heardSince(b, calledAt)).toEqual([]);
  expect(await callSound(b)).toBeNull();

  // Turned on while the call rings (from the keyboard: the banner may cover the switch): it rings at once.
  const onAt = Date.now();
  await toggle.focus();
  await b.keyboard.press("Space");
  expect(await toggle.isChecked()).toBe(true);
  await expect.poll(() => samplesOf(b, "ringtone", onAt), { timeout: 15_000 }).toBeGreaterThan(0);
  await banner(b).getByRole("button", { name: "Decline" }).click();
  await banner(b).waitFor({ state: "detached" });
  for (const user of [alice, bob]) {
    expect(user.pageErrors).toEqual([]);
    await user.context.close();
  }
});
