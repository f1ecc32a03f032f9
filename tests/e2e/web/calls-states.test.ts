// The call states of spec/calls.md between real people in Chromium (fake camera and microphone,
// loopback ICE, a real relay): glare (both click "Video call" at once: exactly one call survives
// and both end up in it, decoding each other's video, with no ringing left anywhere), busy (a
// call to someone already in a call: the caller is told "busy" and hears the busy tone, the callee
// keeps the call and gets a missed-call line) and missed (the caller cancels while the callee's
// browser rings: the banner and the ringtone go, "Missed video call" and "Cancelled video call"
// lines). Screenshots of these states at phone and desktop sizes in test-output/web/calls/.
import type { Page } from "playwright-core";
import { expect } from "vitest";
import { launchChromium } from "../support/chromium.js";
import { callSound, heardSince, SOUND_MONITOR, samplesOf } from "./support/call-sound.js";
import { messageRow, openConversation, send, timeline, waitForMessage } from "./support/chat-page.js";
import { expectDecoding } from "./support/video.js";
import { DESKTOP, PHONE, shot, signUp, startChat, useWebSetup, type Viewport, type WebUser, webTest } from "./support/web.js";

/** Fake camera and microphone, auto-allowed; host candidates on loopback. */
const MEDIA_FLAGS = ["--use-fake-device-for-media-stream", "--use-fake-ui-for-media-stream", "--allow-loopback-in-peer-connection"];

const web = useWebSetup({ browser: () => launchChromium(MEDIA_FLAGS) });

const PART = "calls";

/** A new person whose page's sound output is observed (support/call-sound.ts). */
async function person(handle: string, name: string, viewport: Viewport = DESKTOP): Promise<WebUser> {
  const user = await signUp(web.browser, web.relay, handle, name, viewport);
  await user.context.addInitScript(SOUND_MONITOR);
  await user.page.reload();
  await user.page.getByRole("navigation", { name: "Conversations" }).waitFor({ timeout: 30_000 });
  return user;
}

/** `from` writes to `to` (by handle) and `to` opens the conversation: both know each other. */
async function introduce(from: WebUser, toHandle: string, to: WebUser, fromName: string): Promise<void> {
  await startChat(from.page, toHandle);
  await send(from.page, `hello ${toHandle}`);
  await openConversation(to.page, fromName);
  await waitForMessage(to.page, `hello ${toHandle}`);
}

/** Screenshots at phone and desktop size, then back to the page's own size. */
async function shotBoth(page: Page, name: string): Promise<void> {
  const own = page.viewportSize() ?? DESKTOP;
  for (const size of [PHONE, DESKTOP]) {
    await page.setViewportSize(size);
    await shot(page, PART, name);
  }
  await page.setViewportSize(own);
}

/** The rows of the open conversation whose name matches `pattern`. */
function rows(page: Page, pattern: RegExp) {
  return timeline(page).getByRole("listitem", { name: pattern });
}

const ringingBanners = (page: Page) => page.getByRole("alertdialog").count();

webTest("glare: both call at once, exactly one call survives, both are in it, nothing rings", { timeout: 240_000 }, async () => {
  const alice = await person("alice", "Alice");
  const bob = await person("bob", "Bob");
  const a = alice.page;
  const b = bob.page;
  await introduce(alice, "bob", bob, "Alice");

  const clickedAt = Date.now();
  await Promise.all([
    a.getByRole("button", { name: "Video call Bob" }).click(),
    b.getByRole("button", { name: "Video call Alice" }).click(),
  ]);
  await expectDecoding(a, "Video of Bob", "4:3");
  await expectDecoding(b, "Video of Alice", "4:3");
  expect(await a.getByRole("dialog", { name: "Bob" }).getAttribute("data-state")).toBe("active");
  expect(await b.getByRole("dialog", { name: "Alice" }).getAttribute("data-state")).toBe("active");
  // No ringing banner stays, and it stays so.
  await b.waitForTimeout(1_000);
  expect(await ringingBanners(a)).toBe(0);
  expect(await ringingBanners(b)).toBe(0);
  // Neither browser rang: the losing side's device answered the winning call itself.
  expect(await samplesOf(a, "ringtone", clickedAt)).toBe(0);
  expect(await samplesOf(b, "ringtone", clickedAt)).toBe(0);
  expect(await callSound(a)).toBeNull();
  expect(await callSound(b)).toBeNull();
  await shot(a, PART, "20-glare-one-call");

  // One call, so one history line on each side, and no cancelled or missed call.
  await a.getByRole("button", { name: "Hang up" }).click();
  await a.getByRole("dialog").waitFor({ state: "detached", timeout: 15_000 });
  await b.getByRole("dialog").waitFor({ state: "detached", timeout: 15_000 });
  for (const page of [a, b]) {
    await waitForMessage(page, /Video call · \d+:\d\d/);
    await page.waitForTimeout(500);
    expect(await rows(page, /call/i).count()).toBe(1);
    expect(await rows(page, /Cancelled|Missed|declined|busy|no answer|failed/).count()).toBe(0);
  }
  for (const user of [alice, bob]) {
    expect(user.pageErrors).toEqual([]);
    expect(user.offOrigin).toEqual([]);
    await user.context.close();
  }
});

webTest(
  "busy: a call to someone in a call is told busy, the callee keeps the call and gets a missed-call line",
  { timeout: 240_000 },
  async () => {
    const cara = await person("cara", "Cara");
    const dan = await person("dan", "Dan", PHONE);
    const eve = await person("eve", "Eve");
    const c = cara.page;
    const d = dan.page;
    const e = eve.page;
    await introduce(cara, "dan", dan, "Cara");
    await d.getByRole("link", { name: "Back to conversations" }).click();
    await introduce(eve, "dan", dan, "Eve");

    // Dan calls Eve; Eve answers.
    await d.getByRole("button", { name: "Video call Eve" }).click();
    const ringing = e.getByRole("alertdialog", { name: "Dan" });
    await ringing.waitFor({ timeout: 30_000 });
    await ringing.getByRole("button", { name: "Accept" }).click();
    await expectDecoding(d, "Video of Eve", "4:3");
    await expectDecoding(e, "Video of Dan", "4:3");

    // Cara calls Dan: busy.
    const calledAt = Date.now();
    await c.getByRole("button", { name: "Video call Dan" }).click();
    await c.getByRole("status").filter({ hasText: "Busy on another call" }).waitFor({ timeout: 30_000 });
    await c.getByRole("dialog").waitFor({ state: "detached" });
    await waitForMessage(c, "Video call: busy");
    // The busy tone, not the ended cue (on a loaded machine the page samples its output only a few times).
    await expect.poll(() => samplesOf(c, "busy", calledAt), { timeout: 10_000 }).toBeGreaterThan(0);
    expect(await samplesOf(c, "ended", calledAt)).toBe(0);
    expect(await samplesOf(c, "ringback", calledAt)).toBe(0);
    await shotBoth(c, "21-busy-caller");

    // Dan's call goes on, with nothing ringing; a "Missed call from Cara" toast is announced (the
    // call view covers it on screen; the history line stays).
    await d
      .getByRole("status", { name: "Notifications" })
      .getByRole("button", { name: /Missed call from Cara/ })
      .waitFor({ timeout: 30_000 });
    expect(await ringingBanners(d)).toBe(0);
    expect(await samplesOf(d, "ringtone", calledAt)).toBe(0);
    expect(await d.getByRole("dialog", { name: "Eve" }).getAttribute("data-state")).toBe("active");
    await expectDecoding(d, "Video of Eve", "4:3");
    await expectDecoding(e, "Video of Dan", "4:3");
    await shotBoth(d, "22-busy-callee-in-call");

    // After the call, Dan's conversation with Cara has the missed-call line.
    await d.getByRole("button", { name: "Hang up" }).click();
    await d.getByRole("dialog").waitFor({ state: "detached", timeout: 15_000 });
    await waitForMessage(e, /Video call · \d+:\d\d/);
    await d.getByRole("link", { name: "Back to conversations" }).click();
    await openConversation(d, "Cara");
    await waitForMessage(d, "Missed video call");
    await shotBoth(d, "23-busy-missed-line");
    for (const user of [cara, dan, eve]) {
      expect(user.pageErrors).toEqual([]);
      await user.context.close();
    }
  },
);

webTest("missed: the caller cancels while the callee's browser rings", { timeout: 240_000 }, async () => {
  const fred = await person("fred", "Fred");
  const gina = await person("gina", "Gina", PHONE);
  const f = fred.page;
  const g = gina.page;
  await introduce(fred, "gina", gina, "Fred");

  const calledAt = Date.now();
  await f.getByRole("button", { name: "Video call Gina" }).click();
  const ringing = g.getByRole("alertdialog", { name: "Fred" });
  await ringing.waitFor({ timeout: 30_000 });
  await expect.poll(() => samplesOf(g, "ringtone", calledAt), { timeout: 15_000 }).toBeGreaterThan(0);
  expect(await g.title()).toBe("📞 Fred is calling…");
  await expect.poll(() => f.getByRole("dialog", { name: "Gina" }).getByRole("status").textContent(), { timeout: 15_000 }).toBe("Ringing…");
  await shotBoth(g, "24-missed-ringing");
  await shotBoth(f, "24-missed-calling");

  // Fred gives up: Gina's banner, ringtone and title go; both keep a line.
  await f.getByRole("button", { name: "Hang up" }).click();
  await ringing.waitFor({ state: "detached", timeout: 15_000 });
  await expect.poll(() => callSound(g)).toBeNull();
  await expect.poll(() => g.title()).not.toContain("calling");
  await g.waitForTimeout(1_500);
  const quietFrom = Date.now();
  await g.waitForTimeout(1_500);
  expect(await heardSince(g, quietFrom)).toEqual([]);
  await f.getByRole("status").filter({ hasText: "Call cancelled" }).waitFor({ timeout: 15_000 });
  await waitForMessage(g, "Missed video call");
  await waitForMessage(f, "Cancelled video call");
  expect(await messageRow(g, "Missed video call").getAttribute("aria-label")).toMatch(/^Missed video call, \d\d:\d\d$/);
  await shotBoth(g, "25-missed-callee");
  await shotBoth(f, "25-missed-caller");
  for (const user of [fred, gina]) {
    expect(user.pageErrors).toEqual([]);
    await user.context.close();
  }
});
