// The in-call controls end to end, in Chromium with two fake cameras and microphones
// (`device-count=2`), through a real relay on loopback:
// - a voice call becomes a video call: "Turn on camera" renegotiates, the other side decodes the
//   video, its call says "Video call" and offers (does not force) its own camera; it turns it on too;
// - the Devices menu lists both cameras and the microphones; a choice swaps the track on the leg
//   (the sender's track label changes, the other side keeps decoding), keeps mute, waits while the
//   screen is shared, is remembered for the next call, and a saved camera that is gone falls back
//   to the default with a notice; "Default" heads each list (selected while nothing is saved, the
//   browser's own "default" microphone not listed twice) and picking it forgets the saved choice
//   while the leg keeps sending, now from the default device;
// - screen sharing from a voice call (no camera) adds video and stopping it stops the video;
// - keyboard: Tab and Shift+Tab stay in the call dialog, Escape neither hangs up nor declines, focus
//   returns to where it was; the "Call ended" notice covers neither the newest message nor the composer.
// Screenshots at phone and desktop sizes in test-output/web/calls/ (controls-*).
//
// Chromium's fake cameras differ in pixel format: fake_device_0 gives I420, fake_device_1 Y16 (a
// depth camera: its frames are listed and shown but WebRTC's encoder sends none of them), and
// fake_device_2 MJPEG. The switch is therefore tested between fake_device_0 and fake_device_2.
import type { Page } from "playwright-core";
import { expect } from "vitest";
import { launchChromium } from "../support/chromium.js";
import { composer, openConversation, send, timeline, waitForMessage } from "./support/chat-page.js";
import { expectDecoding, RECORD_PEER_CONNECTIONS, videoStats } from "./support/video.js";
import { checkA11y, DESKTOP, PHONE, shot, signUp, startChat, useWebSetup, webTest } from "./support/web.js";

/** Three fake cameras (fake_device_0 … 2) and microphones, a fake screen, auto-allowed; loopback ICE. */
const MEDIA_FLAGS = [
  "--use-fake-device-for-media-stream=device-count=3",
  "--use-fake-ui-for-media-stream",
  "--allow-loopback-in-peer-connection",
];

const web = useWebSetup({ browser: () => launchChromium(MEDIA_FLAGS) });

const PART = "calls";

/** What the open legs send: the label of each sender's track by kind ("" for a sender without a track). */
function sent(page: Page, kind: "audio" | "video"): Promise<string[]> {
  return page.evaluate(`window.__pcs.filter((pc) => pc.connectionState !== "closed").flatMap((pc) =>
    pc.getTransceivers().filter((t) => t.receiver.track.kind === ${JSON.stringify(kind)} && (t.direction === "sendrecv" || t.direction === "sendonly"))
      .map((t) => t.sender.track ? t.sender.track.label : ""))`);
}

/** The enabled flag of the audio track each leg sends. */
function sentAudioEnabled(page: Page): Promise<boolean[]> {
  return page.evaluate(`window.__pcs.filter((pc) => pc.connectionState !== "closed").flatMap((pc) =>
    pc.getSenders().filter((s) => s.track && s.track.kind === "audio").map((s) => s.track.enabled))`);
}

/** The id of the focused element's closest dialog ("call", "incoming") or its tag and name outside one. */
function focusPlace(page: Page): Promise<string> {
  return page.evaluate(`(() => {
    const a = document.activeElement;
    if (!a || a === document.body) return "body";
    if (a.closest('[role="dialog"]')) return "call";
    if (a.closest('[role="alertdialog"]')) return "incoming";
    return a.tagName.toLowerCase() + ":" + (a.getAttribute("aria-label") || a.textContent || "").trim();
  })()`);
}

/** The focused element's accessible text (its label or content). */
function focusedName(page: Page): Promise<string> {
  return page.evaluate(
    `(() => { const a = document.activeElement; return a ? (a.getAttribute("aria-label") || a.textContent || "").trim() : ""; })()`,
  );
}

/** True when the element boxes of `a` and `b` overlap (CSS pixels). */
function overlaps(a: { x: number; y: number; width: number; height: number }, b: { x: number; y: number; width: number; height: number }) {
  return a.x < b.x + b.width && b.x < a.x + a.width && a.y < b.y + b.height && b.y < a.y + a.height;
}

/** The device menu's list labelled `label` (Camera, Microphone) in the call dialog. */
function deviceList(page: Page, label: "Camera" | "Microphone") {
  return page.getByRole("dialog").getByRole("combobox", { name: label });
}

/** The text of the entry selected in the device list labelled `label`. */
function selectedEntry(page: Page, label: "Camera" | "Microphone"): Promise<string | null> {
  return deviceList(page, label).locator("option:checked").textContent();
}

/** The device choice saved in this browser (localStorage), by kind. */
function savedChoice(page: Page): Promise<Record<string, string>> {
  return page.evaluate(`JSON.parse(localStorage.getItem("parley.calls.devices") || "{}")`);
}

/** Opens the Devices menu in the call dialog (if closed). */
async function openDevices(page: Page): Promise<void> {
  const button = page.getByRole("dialog").getByRole("button", { name: "Devices" });
  if ((await button.getAttribute("aria-expanded")) !== "true") await button.click();
  await deviceList(page, "Microphone").waitFor();
}

/** Accepts the call ringing on `page` from `caller` and waits until both call views say `status`. */
async function answer(callee: Page, caller: Page, callerName: string, status: RegExp): Promise<void> {
  const ringing = callee.getByRole("alertdialog", { name: callerName });
  await ringing.waitFor({ timeout: 30_000 });
  await ringing.getByRole("button", { name: "Accept" }).click();
  for (const p of [caller, callee]) {
    await expect.poll(() => p.getByRole("dialog").getByRole("status").textContent(), { timeout: 30_000 }).toMatch(status);
  }
}

webTest(
  "a voice call turns into a video call; cameras and microphones switch mid-call and are remembered; keyboard stays in the call",
  { timeout: 300_000 },
  async () => {
    const alice = await signUp(web.browser, web.relay, "alice", "Alice");
    const bob = await signUp(web.browser, web.relay, "bob", "Bob", PHONE);
    const a = alice.page;
    const b = bob.page;
    await a.addInitScript(RECORD_PEER_CONNECTIONS);
    await b.addInitScript(RECORD_PEER_CONNECTIONS);
    await a.reload();
    await b.reload();
    await a.getByRole("navigation", { name: "Conversations" }).waitFor({ timeout: 60_000 });
    await b.getByRole("navigation", { name: "Conversations" }).waitFor({ timeout: 60_000 });
    await startChat(a, "bob");
    await send(a, "voice first?");
    await openConversation(b, "Alice");
    await waitForMessage(b, "voice first?");

    // Bob is typing when the call comes: the ringing banner takes focus, but his next Enter does not answer.
    await composer(b).click();
    await composer(b).pressSequentially("typing");
    const callButton = a.getByRole("button", { name: "Voice call Bob" });
    await callButton.focus();
    await a.keyboard.press("Enter");
    const ringing = b.getByRole("alertdialog", { name: "Alice" });
    await ringing.waitFor({ timeout: 30_000 });
    expect(await focusedName(b)).toBe("Accept");
    await b.keyboard.press("Enter");
    await b.waitForTimeout(300);
    expect(await ringing.isVisible()).toBe(true);
    // Escape leaves it ringing and gives focus back to the composer; it does not decline.
    await b.keyboard.press("Escape");
    expect(await focusPlace(b)).toMatch(/^textarea:/);
    expect(await composer(b).inputValue()).toBe("typing");
    expect(await ringing.isVisible()).toBe(true);
    await b.waitForTimeout(1_000);
    await ringing.getByRole("button", { name: "Accept" }).focus();
    await b.keyboard.press("Enter");
    for (const p of [a, b]) {
      await expect.poll(() => p.getByRole("dialog").getByRole("status").textContent(), { timeout: 30_000 }).toMatch(/^Voice call · /);
    }
    // A voice call: no preview, no video sent; "Turn on camera" and "Share screen" are offered.
    const callA = a.getByRole("dialog", { name: "Bob" });
    const callB = b.getByRole("dialog", { name: "Alice" });
    expect(await callA.locator('video[aria-label="Your camera"]').count()).toBe(0);
    expect(await sent(a, "video")).toEqual([]);
    await callA.getByRole("button", { name: "Turn on camera" }).waitFor();
    await callA.getByRole("button", { name: "Share screen" }).waitFor();
    await shot(a, PART, "controls-01-voice-call");

    // Keyboard only: Tab and Shift+Tab cycle inside the dialog; Escape does not hang up.
    expect(await focusedName(a)).toBe("Hang up");
    const forward: string[] = [];
    for (let i = 0; i < 8; i++) {
      await a.keyboard.press("Tab");
      expect(await focusPlace(a)).toBe("call");
      forward.push(await focusedName(a));
    }
    expect(forward.slice(0, 5)).toEqual(["Mute", "Turn on camera", "Share screen", "Devices", "Hang up"]);
    expect(forward.slice(5)).toEqual(["Mute", "Turn on camera", "Share screen"]);
    for (let i = 0; i < 6; i++) {
      await a.keyboard.press("Shift+Tab");
      expect(await focusPlace(a)).toBe("call");
    }
    await a.keyboard.press("Escape");
    await a.waitForTimeout(500);
    expect(await callA.isVisible()).toBe(true);
    expect(await callA.getByRole("status").textContent()).toMatch(/^Voice call · /);
    // Shortcuts of the app behind the dialog do not act (Alt+↑/↓ would switch the conversation).
    const at = a.url();
    await a.keyboard.press("Alt+ArrowDown");
    await a.keyboard.press("Alt+ArrowUp");
    expect(a.url()).toBe(at);
    expect(await focusPlace(a)).toBe("call");

    // The Devices menu (keyboard): "Default" first (the browser's own default microphone is not
    // listed twice), then both microphones; nothing is saved yet, so Default is selected. Escape closes it, not the call.
    await callA.getByRole("button", { name: "Devices" }).focus();
    await a.keyboard.press("Enter");
    await deviceList(a, "Microphone").waitFor();
    const mics = await deviceList(a, "Microphone").locator("option").allTextContents();
    expect(mics).toEqual(["Default", "Fake Audio Input 1", "Fake Audio Input 2"]);
    expect(await selectedEntry(a, "Microphone")).toBe("Default");
    await shot(a, PART, "controls-02-devices-voice");
    await checkA11y(a);
    await a.keyboard.press("Tab");
    expect(await focusPlace(a)).toBe("call");
    await a.keyboard.press("Escape");
    expect(await focusedName(a)).toBe("Devices");
    expect(await callA.getByRole("button", { name: "Devices" }).getAttribute("aria-expanded")).toBe("false");
    expect(await callA.isVisible()).toBe(true);

    // Mute, then another microphone: the leg sends the new one, still muted.
    await callA.getByRole("button", { name: "Mute" }).click();
    expect(await sent(a, "audio")).toEqual(["Fake Default Audio Input"]);
    await openDevices(a);
    await deviceList(a, "Microphone").selectOption({ label: "Fake Audio Input 2" });
    await expect.poll(() => sent(a, "audio"), { timeout: 10_000 }).toEqual(["Fake Audio Input 2"]);
    expect(await sentAudioEnabled(a)).toEqual([false]);
    expect(await callA.getByRole("button", { name: "Unmute" }).getAttribute("aria-pressed")).toBe("true");
    await callA.getByRole("button", { name: "Unmute" }).click();
    await expect.poll(() => sentAudioEnabled(a)).toEqual([true]);
    // A camera chosen in a voice call is only saved (no camera is on yet), and the list shows it.
    expect(await selectedEntry(a, "Camera")).toBe("Default");
    await deviceList(a, "Camera").selectOption({ label: "fake_device_0" });
    await expect.poll(() => selectedEntry(a, "Camera")).toBe("fake_device_0");
    expect(await savedChoice(a)).toHaveProperty("videoinput");
    expect(await sent(a, "video")).toEqual([]);
    await callA.getByRole("button", { name: "Devices" }).click();

    // Alice turns on her camera: the call becomes a video call on both sides and Bob decodes her.
    await callA.getByRole("button", { name: "Turn on camera" }).click();
    await expectDecoding(b, "Video of Alice", "4:3");
    await expect.poll(() => callA.getByRole("status").textContent(), { timeout: 10_000 }).toMatch(/^Video call · /);
    await expect.poll(() => callB.getByRole("status").textContent(), { timeout: 10_000 }).toMatch(/^Video call · /);
    expect(await sent(a, "video")).toEqual(["fake_device_0"]);
    await callA.getByRole("button", { name: "Camera off" }).waitFor();
    await callA.locator('video[aria-label="Your camera"]').waitFor();
    // Bob is offered his camera, not forced: nothing of his is sent, he sees why and the button.
    expect(await sent(b, "video")).toEqual([]);
    await callB.getByText("Alice turned on video. Your camera stays off until you turn it on.").waitFor();
    await callB.getByRole("button", { name: "Turn on camera" }).waitFor();
    await shot(b, PART, "controls-03-offered-camera");
    await b.setViewportSize(DESKTOP);
    await shot(b, PART, "controls-03-offered-camera");
    await b.setViewportSize(PHONE);

    // Another camera: the leg's track changes (no renegotiation) and Bob keeps decoding.
    await openDevices(a);
    const cameras = await deviceList(a, "Camera").locator("option").allTextContents();
    expect(cameras).toEqual(["Default", "fake_device_0", "fake_device_1", "fake_device_2"]);
    await deviceList(a, "Camera").selectOption({ label: "fake_device_2" });
    await expect.poll(() => sent(a, "video"), { timeout: 10_000 }).toEqual(["fake_device_2"]);
    expect(await a.evaluate(`JSON.parse(localStorage.getItem("parley.calls.devices")).videoinput.length > 0`)).toBe(true);
    await expectDecoding(b, "Video of Alice", "4:3");
    await shot(a, PART, "controls-04-devices-video");
    await checkA11y(a);
    await a.setViewportSize(PHONE);
    await shot(a, PART, "controls-04-devices-video");
    await a.setViewportSize(DESKTOP);

    // While sharing the screen a camera choice waits: the screen keeps going out, the new camera follows the share.
    await callA.getByRole("button", { name: "Share screen" }).click();
    await expectDecoding(b, "Video of Alice", "16:9");
    await openDevices(a);
    await deviceList(a, "Camera").selectOption({ label: "fake_device_0" });
    await a.waitForTimeout(500);
    const whileSharing = await sent(a, "video");
    expect(whileSharing).toHaveLength(1);
    expect(whileSharing[0]).not.toMatch(/^fake_device_/);
    await expectDecoding(b, "Video of Alice", "16:9");
    await callA.getByRole("button", { name: "Stop sharing" }).click();
    await expect.poll(() => sent(a, "video"), { timeout: 10_000 }).toEqual(["fake_device_0"]);
    await expectDecoding(b, "Video of Alice", "4:3");
    // And back to the second camera, which the next call will use.
    await openDevices(a);
    await deviceList(a, "Camera").selectOption({ label: "fake_device_2" });
    await expect.poll(() => sent(a, "video"), { timeout: 10_000 }).toEqual(["fake_device_2"]);

    // Bob turns his camera on later: Alice decodes him; the hint goes.
    await callB.getByRole("button", { name: "Turn on camera" }).click();
    await expectDecoding(a, "Video of Bob", "4:3");
    await callB.getByRole("button", { name: "Camera off" }).waitFor();
    expect(await callB.getByText(/turned on video/).count()).toBe(0);
    await shot(b, PART, "controls-05-both-cameras");

    // Hang up: focus goes back to the call button Alice used (and Bob's composer).
    await callA.getByRole("button", { name: "Hang up" }).click();
    await callA.waitFor({ state: "detached", timeout: 15_000 });
    await expect.poll(() => focusedName(a)).toBe("Voice call Bob");

    // "Call ended" (shown for 6 s) covers neither the newest message, the heading nor the composer (desktop and phone).
    for (const size of [DESKTOP, PHONE]) {
      await a.setViewportSize(size);
      const notice = a.getByRole("status").filter({ hasText: "Call ended" });
      await notice.waitFor();
      const box = await notice.boundingBox();
      const newest = await timeline(a).getByRole("listitem").last().boundingBox();
      const input = await composer(a).boundingBox();
      const heading = await a.getByRole("main").getByRole("heading", { name: "Bob" }).boundingBox();
      expect(box && newest && input && heading).toBeTruthy();
      if (!box || !newest || !input || !heading) return;
      expect(overlaps(box, newest)).toBe(false);
      expect(overlaps(box, input)).toBe(false);
      expect(overlaps(box, heading)).toBe(false);
      await shot(a, PART, "controls-06-call-ended");
    }
    await a.setViewportSize(DESKTOP);
    await callB.waitFor({ state: "detached", timeout: 15_000 });
    await expect.poll(() => focusPlace(b)).toMatch(/^textarea:/);
    await waitForMessage(a, /Video call · \d+:\d\d/);
    await waitForMessage(b, /Video call · \d+:\d\d/);

    // The next call uses the camera and microphone chosen in this browser.
    await a.getByRole("button", { name: "Video call Bob" }).click();
    await answer(b, a, "Alice", /^Video call · /);
    await expect.poll(() => sent(a, "video"), { timeout: 10_000 }).toEqual(["fake_device_2"]);
    expect(await sent(a, "audio")).toEqual(["Fake Audio Input 2"]);
    await expectDecoding(b, "Video of Alice", "4:3");
    // The camera is unplugged mid-call: the browser ends its track. Chromium's fake cameras cannot be
    // unplugged, so the test fires the track's "ended" event; what follows is the app's real path:
    // the default camera takes over on the leg, the user is told, Bob keeps decoding.
    await a.evaluate(
      `document.querySelector('video[aria-label="Your camera"]').srcObject.getVideoTracks()[0].dispatchEvent(new Event("ended"))`,
    );
    await expect
      .poll(() => a.getByRole("dialog").getByTestId("call-notice").textContent(), { timeout: 15_000 })
      .toBe("Your camera was disconnected: now using fake_device_0.");
    await expect.poll(() => sent(a, "video"), { timeout: 10_000 }).toEqual(["fake_device_0"]);
    await expectDecoding(b, "Video of Alice", "4:3");
    await shot(a, PART, "controls-08-camera-unplugged");
    await a.getByRole("dialog").getByRole("button", { name: "Hang up" }).click();
    await b.getByRole("dialog").waitFor({ state: "detached", timeout: 15_000 });
    await a.getByRole("button", { name: "Dismiss" }).click();

    // A saved camera that is gone (another machine's id): the call uses the default camera and says so.
    await a.evaluate(
      `localStorage.setItem("parley.calls.devices", JSON.stringify({ ...JSON.parse(localStorage.getItem("parley.calls.devices")), videoinput: "gone-camera-id" }))`,
    );
    await a.getByRole("button", { name: "Video call Bob" }).click();
    await expect
      .poll(() => a.getByRole("dialog").getByTestId("call-notice").textContent(), { timeout: 15_000 })
      .toBe("A camera or microphone you chose is not connected: using the default.");
    await answer(b, a, "Alice", /^Video call · /);
    await expect.poll(() => sent(a, "video"), { timeout: 10_000 }).toEqual(["fake_device_0"]);
    await expectDecoding(b, "Video of Alice", "4:3");

    // "Default" after a chosen device: the saved choice goes and the leg keeps sending, now from the
    // browser's default device. The saved camera is gone, so its list shows Default already.
    await openDevices(a);
    expect(await selectedEntry(a, "Camera")).toBe("Default");
    expect(await selectedEntry(a, "Microphone")).toBe("Fake Audio Input 2");
    await deviceList(a, "Microphone").selectOption({ label: "Default" });
    await expect.poll(() => sent(a, "audio"), { timeout: 10_000 }).toEqual(["Fake Default Audio Input"]);
    expect(await sentAudioEnabled(a)).toEqual([true]);
    expect(await savedChoice(a)).not.toHaveProperty("audioinput");
    await deviceList(a, "Camera").selectOption({ label: "fake_device_2" });
    await expect.poll(() => sent(a, "video"), { timeout: 10_000 }).toEqual(["fake_device_2"]);
    expect(await savedChoice(a)).toHaveProperty("videoinput");
    expect(await selectedEntry(a, "Camera")).toBe("fake_device_2");
    await deviceList(a, "Camera").selectOption({ label: "Default" });
    await expect.poll(() => sent(a, "video"), { timeout: 10_000 }).toEqual(["fake_device_0"]);
    expect(await savedChoice(a)).toEqual({});
    expect(await selectedEntry(a, "Camera")).toBe("Default");
    expect(await selectedEntry(a, "Microphone")).toBe("Default");
    await expectDecoding(b, "Video of Alice", "4:3");
    await shot(a, PART, "controls-10-devices-default");
    await a.setViewportSize(PHONE);
    await shot(a, PART, "controls-10-devices-default");
    await checkA11y(a);
    await a.setViewportSize(DESKTOP);
    await a.getByRole("dialog").getByRole("button", { name: "Hang up" }).click();
    await b.getByRole("dialog").waitFor({ state: "detached", timeout: 15_000 });

    expect(alice.pageErrors).toEqual([]);
    expect(bob.pageErrors).toEqual([]);
    expect([...alice.offOrigin, ...bob.offOrigin]).toEqual([]);
    await alice.context.close();
    await bob.context.close();
  },
);

webTest("screen sharing from a voice call adds video; stopping it stops the video on the other side", { timeout: 180_000 }, async () => {
  const carol = await signUp(web.browser, web.relay, "carol", "Carol");
  const dave = await signUp(web.browser, web.relay, "dave", "Dave");
  const c = carol.page;
  const d = dave.page;
  await c.addInitScript(RECORD_PEER_CONNECTIONS);
  await d.addInitScript(RECORD_PEER_CONNECTIONS);
  await c.reload();
  await d.reload();
  await c.getByRole("navigation", { name: "Conversations" }).waitFor({ timeout: 60_000 });
  await d.getByRole("navigation", { name: "Conversations" }).waitFor({ timeout: 60_000 });
  await startChat(c, "dave");
  await send(c, "look at this");
  await openConversation(d, "Carol");
  await waitForMessage(d, "look at this");

  await c.getByRole("button", { name: "Voice call Dave" }).click();
  await answer(d, c, "Carol", /^Voice call · /);
  const callD = d.getByRole("dialog", { name: "Carol" });
  // Dave sees Carol's initial, not a black box, while no video comes.
  await expect.poll(() => callD.locator("figure").getAttribute("data-video")).toBe("false");

  await c.getByRole("dialog").getByRole("button", { name: "Share screen" }).click();
  await expectDecoding(d, "Video of Carol", "16:9");
  await expect.poll(() => callD.locator("figure").getAttribute("data-video")).toBe("true");
  await expect.poll(() => callD.getByRole("status").textContent(), { timeout: 10_000 }).toMatch(/^Video call · /);
  await c.getByRole("dialog").locator('video[aria-label="Your screen"]').waitFor();
  await shot(d, PART, "controls-07-screen-from-voice");

  await c.getByRole("dialog").getByRole("button", { name: "Stop sharing" }).click();
  // No camera to go back to: the video stops (the tile shows the initial again) and frames stop coming.
  await expect.poll(() => callD.locator("figure").getAttribute("data-video"), { timeout: 15_000 }).toBe("false");
  const stopped = await videoStats(d, "Video of Carol");
  await d.waitForTimeout(1_000);
  expect((await videoStats(d, "Video of Carol")).frames).toBeLessThanOrEqual(stopped.frames + 2);
  // Dave turns his camera on, then Carol (whose video sender only receives since the share stopped): both see the other, no error.
  const callC = c.getByRole("dialog", { name: "Dave" });
  await callD.getByRole("button", { name: "Turn on camera" }).click();
  await expectDecoding(c, "Video of Dave", "4:3");
  await callC.getByRole("button", { name: "Turn on camera" }).click();
  await expectDecoding(d, "Video of Carol", "4:3");
  await expectDecoding(c, "Video of Dave", "4:3");
  expect(await callC.getByRole("alert").count()).toBe(0);
  expect(await callD.getByRole("alert").count()).toBe(0);
  await shot(c, PART, "controls-09-both-cameras");

  await callC.getByRole("button", { name: "Hang up" }).click();
  await callD.waitFor({ state: "detached", timeout: 15_000 });
  expect(carol.pageErrors).toEqual([]);
  expect(dave.pageErrors).toEqual([]);
  await carol.context.close();
  await dave.context.close();
});
