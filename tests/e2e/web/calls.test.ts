// Calls in the web client end to end: two people in Chromium (fake camera, microphone and screen;
// loopback ICE) call each other through a real relay. A video call rings, is accepted, and both
// sides decode the other's frames; screen sharing swaps the sent track and the peer keeps
// decoding (now the 1280x720 screen); mute and camera toggle; hanging up stops every local track
// on both sides, closes the call view and leaves "Video call · m:ss" lines. A declined call says
// so. Prints the set-up time (accept → first decoded frame on both sides). With slow cameras, the
// offer and the answer do not wait for them: the callee rings and the call connects while the
// cameras still open, then frames flow both ways. A camera refused at once stops the call before
// anything rings; refused after the offer went, it cancels the call (the callee stops ringing);
// the caller reads why either way. Screenshots of ringing and in-call at phone and desktop sizes
// in test-output/web/calls/.
import type { Page } from "playwright-core";
import { expect } from "vitest";
import { launchChromium } from "../support/chromium.js";
import { openConversation, send, waitForMessage } from "./support/chat-page.js";
import { expectDecoding, keepLocalTracks, localTrackStates, slowGetUserMedia } from "./support/video.js";
import { checkA11y, DESKTOP, PHONE, shot, signUp, startChat, useWebSetup, webTest } from "./support/web.js";

/** Fake camera (640x480), microphone and screen (1280x720), auto-allowed; host candidates on loopback. */
const MEDIA_FLAGS = ["--use-fake-device-for-media-stream", "--use-fake-ui-for-media-stream", "--allow-loopback-in-peer-connection"];

const web = useWebSetup({ browser: () => launchChromium(MEDIA_FLAGS) });

const PART = "calls";

/** The remote video tile of `name` in the call view. */
function remoteVideo(page: Page, name: string) {
  return page.getByRole("dialog").locator(`video[aria-label="Video of ${name}"]`);
}

/** In the page: resolves with Date.now() when the video labelled `label` has its first frame (bounded: 30 s). */
function firstFrameAt(page: Page, label: string): Promise<number> {
  return page.evaluate(`new Promise((resolve, reject) => {
    const deadline = Date.now() + 30000;
    const check = () => {
      const v = document.querySelector(${JSON.stringify(`video[aria-label="${label}"]`)});
      if (v && v.videoWidth > 0) resolve(Date.now());
      else if (Date.now() > deadline) reject(new Error("no frame in ${label}"));
      else setTimeout(check, 5);
    };
    check();
  })`);
}

webTest("a video call: ring, accept, frames both ways, screen share, mute, hang up, history", { timeout: 240_000 }, async () => {
  const alice = await signUp(web.browser, web.relay, "alice", "Alice");
  const bob = await signUp(web.browser, web.relay, "bob", "Bob", PHONE);
  const a = alice.page;
  const b = bob.page;
  await startChat(a, "bob");
  await send(a, "call you?");
  await openConversation(b, "Alice");
  await waitForMessage(b, "call you?");

  // Alice calls; Bob's devices ring.
  const calledAt = Date.now();
  await a.getByRole("button", { name: "Video call Bob" }).click();
  const callView = a.getByRole("dialog", { name: "Bob" });
  await callView.waitFor();
  const ringing = b.getByRole("alertdialog", { name: "Alice" });
  await ringing.waitFor({ timeout: 30_000 });
  console.log(`call set-up: click on "Video call" → Bob's device rings: ${Date.now() - calledAt} ms`);
  await expect.poll(() => callView.getByRole("status").textContent(), { timeout: 15_000 }).toBe("Ringing…");
  expect(await ringing.textContent()).toContain("Incoming video call");
  // Accept has the focus (a keyboard user answers with Enter).
  expect(await b.evaluate("document.activeElement && document.activeElement.textContent")).toBe("Accept");
  await shot(b, PART, "01-ringing");
  await checkA11y(b);
  await b.setViewportSize(DESKTOP);
  await shot(b, PART, "01-ringing");
  await b.setViewportSize(PHONE);
  await shot(a, PART, "02-calling");

  // Bob accepts: set-up time from the answer to the first decoded frame on each side.
  const aliceFirst = firstFrameAt(a, "Video of Bob");
  const bobFirst = firstFrameAt(b, "Video of Alice");
  const acceptedAt = Date.now();
  await ringing.getByRole("button", { name: "Accept" }).click();
  const [aFrame, bFrame] = await Promise.all([aliceFirst, bobFirst]);
  console.log(
    `call set-up: accept → first decoded frame: Bob sees Alice after ${bFrame - acceptedAt} ms, Alice sees Bob after ${aFrame - acceptedAt} ms`,
  );
  await ringing.waitFor({ state: "detached" });
  await expectDecoding(a, "Video of Bob", "4:3");
  await expectDecoding(b, "Video of Alice", "4:3");
  await expect.poll(() => a.getByTestId("call-timer").textContent(), { timeout: 10_000 }).toMatch(/^\d+:\d\d$/);
  const tick = await a.getByTestId("call-timer").textContent();
  await expect.poll(() => a.getByTestId("call-timer").textContent(), { timeout: 5_000 }).not.toBe(tick);
  await expect.poll(() => b.getByTestId("call-quality").textContent(), { timeout: 15_000 }).toMatch(/connection \(\d+ % loss/);
  expect(await remoteVideo(b, "Alice").count()).toBe(1);
  await shot(b, PART, "03-in-call");
  await checkA11y(b);
  await shot(a, PART, "03-in-call");
  await b.setViewportSize(DESKTOP);
  await shot(b, PART, "03-in-call-remote");
  await b.setViewportSize(PHONE);
  await a.setViewportSize(PHONE);
  await shot(a, PART, "03-in-call-caller");
  await a.setViewportSize(DESKTOP);

  // Mute and camera off are toggles with a pressed state.
  const mute = a.getByRole("button", { name: "Mute" });
  await mute.click();
  expect(await a.getByRole("button", { name: "Unmute" }).getAttribute("aria-pressed")).toBe("true");
  await a.getByRole("button", { name: "Unmute" }).click();
  await a.getByRole("button", { name: "Camera off" }).click();
  await a.getByRole("button", { name: "Camera on" }).click();

  // Screen sharing swaps the sent track (no renegotiation): Bob now decodes the 1280x720 screen, then the camera again.
  await a.getByRole("button", { name: "Share screen" }).click();
  await expect.poll(() => a.getByRole("button", { name: "Stop sharing" }).getAttribute("aria-pressed"), { timeout: 10_000 }).toBe("true");
  await expectDecoding(b, "Video of Alice", "16:9");
  await shot(b, PART, "04-screen-shared");
  await a.getByRole("button", { name: "Stop sharing" }).click();
  await expectDecoding(b, "Video of Alice", "4:3");

  // Hang up: both call views close, every local track stops, both timelines get the history line.
  expect(await keepLocalTracks(a)).toBe(2);
  expect(await keepLocalTracks(b)).toBe(2);
  await a.getByRole("button", { name: "Hang up" }).click();
  await callView.waitFor({ state: "detached", timeout: 15_000 });
  await b.getByRole("dialog").waitFor({ state: "detached", timeout: 15_000 });
  await expect.poll(() => localTrackStates(a), { timeout: 10_000 }).toEqual(["ended", "ended"]);
  await expect.poll(() => localTrackStates(b), { timeout: 10_000 }).toEqual(["ended", "ended"]);
  await waitForMessage(a, /Video call · \d+:\d\d/);
  await waitForMessage(b, /Video call · \d+:\d\d/);
  await a.getByRole("status").filter({ hasText: "Call ended" }).waitFor();
  await shot(a, PART, "05-after-call");
  expect(alice.pageErrors).toEqual([]);
  expect(bob.pageErrors).toEqual([]);
  expect([...alice.offOrigin, ...bob.offOrigin]).toEqual([]);
  await alice.context.close();
  await bob.context.close();
});

webTest("a declined voice call: the caller is told, both keep a history line", { timeout: 180_000 }, async () => {
  const carol = await signUp(web.browser, web.relay, "carol", "Carol");
  const dave = await signUp(web.browser, web.relay, "dave", "Dave");
  const c = carol.page;
  const d = dave.page;
  await startChat(c, "dave");
  await send(c, "ring ring");
  await openConversation(d, "Carol");
  await waitForMessage(d, "ring ring");

  await c.getByRole("button", { name: "Voice call Dave" }).click();
  const ringing = d.getByRole("alertdialog", { name: "Carol" });
  await ringing.waitFor({ timeout: 30_000 });
  expect(await ringing.textContent()).toContain("Incoming voice call");
  await ringing.getByRole("button", { name: "Decline" }).click();
  await ringing.waitFor({ state: "detached" });
  await c.getByRole("status").filter({ hasText: "Call declined" }).waitFor({ timeout: 15_000 });
  await c.getByRole("dialog").waitFor({ state: "detached" });
  await waitForMessage(c, "Voice call declined");
  await waitForMessage(d, "Voice call declined");
  await shot(c, PART, "06-declined");
  // The call buttons are usable again.
  expect(await c.getByRole("button", { name: "Voice call Dave" }).isEnabled()).toBe(true);
  expect(carol.pageErrors).toEqual([]);
  expect(dave.pageErrors).toEqual([]);
  await carol.context.close();
  await dave.context.close();
});

webTest(
  "slow cameras: the callee rings and the call connects before they open, then frames flow both ways",
  { timeout: 180_000 },
  async () => {
    const erin = await signUp(web.browser, web.relay, "erin", "Erin");
    const finn = await signUp(web.browser, web.relay, "finn", "Finn");
    const e = erin.page;
    const f = finn.page;
    await startChat(e, "finn");
    await send(e, "slow camera");
    await openConversation(f, "Erin");
    await waitForMessage(f, "slow camera");
    // Both cameras take 4 s to open (a slow device, or a person deciding on the permission prompt).
    await e.evaluate(slowGetUserMedia(4_000));
    await f.evaluate(slowGetUserMedia(4_000));

    const calledAt = Date.now();
    await e.getByRole("button", { name: "Video call Finn" }).click();
    const ringing = f.getByRole("alertdialog", { name: "Erin" });
    await ringing.waitFor({ timeout: 30_000 });
    // Erin's offer went without her camera: Finn rings while it still opens.
    expect(await e.evaluate("window.__gumOpened")).toBe(0);
    console.log(`slow camera: click → Finn's device rings: ${Date.now() - calledAt} ms (getUserMedia takes 4000 ms)`);
    // Muted while the microphone opens: it is muted once open.
    const callView = e.getByRole("dialog", { name: "Finn" });
    await callView.getByRole("button", { name: "Mute" }).click();

    // Finn's answer goes without his camera too: the call connects (Erin's timer runs) before it opens.
    await ringing.getByRole("button", { name: "Accept" }).click();
    await callView.getByTestId("call-timer").waitFor({ timeout: 30_000 });
    expect(await f.evaluate("window.__gumOpened")).toBe(0);

    // Once both cameras are open, their frames flow both ways (replaceTrack, no new offer).
    await expectDecoding(e, "Video of Finn", "4:3");
    await expectDecoding(f, "Video of Erin", "4:3");
    expect(await e.evaluate("window.__gumOpened")).toBe(1);
    expect(await f.evaluate("window.__gumOpened")).toBe(1);
    expect(await callView.getByRole("button", { name: "Unmute" }).getAttribute("aria-pressed")).toBe("true");
    expect(await e.evaluate(`document.querySelector('video[aria-label="Your camera"]').srcObject.getAudioTracks()[0].enabled`)).toBe(false);

    expect(await keepLocalTracks(e)).toBe(2);
    await callView.getByRole("button", { name: "Hang up" }).click();
    await callView.waitFor({ state: "detached", timeout: 15_000 });
    await f.getByRole("dialog").waitFor({ state: "detached", timeout: 15_000 });
    await expect.poll(() => localTrackStates(e), { timeout: 10_000 }).toEqual(["ended", "ended"]);
    expect(erin.pageErrors).toEqual([]);
    expect(finn.pageErrors).toEqual([]);
    await erin.context.close();
    await finn.context.close();
  },
);

webTest(
  "a refused camera: at once, nothing rings; after the offer went, the call is cancelled; the caller reads why",
  { timeout: 180_000 },
  async () => {
    const gina = await signUp(web.browser, web.relay, "gina", "Gina");
    const hugo = await signUp(web.browser, web.relay, "hugo", "Hugo");
    const g = gina.page;
    const h = hugo.page;
    await startChat(g, "hugo");
    await send(g, "no camera");
    await openConversation(h, "Gina");
    await waitForMessage(h, "no camera");

    // Refused at once (before the offer is ready): the call does not start, nothing rings.
    await g.evaluate(slowGetUserMedia(0, true));
    await g.getByRole("button", { name: "Video call Hugo" }).click();
    await g.getByRole("alert").filter({ hasText: "Parley may not use the camera or microphone" }).waitFor({ timeout: 15_000 });
    await g.getByRole("dialog").waitFor({ state: "detached", timeout: 15_000 });
    await h.waitForTimeout(1_000);
    expect(await h.getByRole("alertdialog").count()).toBe(0);
    await g.getByRole("alert").getByRole("button", { name: "Dismiss" }).click();

    // Refused after the offer went (a person declining the permission prompt).
    await g.evaluate(slowGetUserMedia(3_000, true));

    await g.getByRole("button", { name: "Video call Hugo" }).click();
    const ringing = h.getByRole("alertdialog", { name: "Gina" });
    await ringing.waitFor({ timeout: 30_000 });
    // The refusal cancels the call: Hugo stops ringing and has a missed call; Gina reads why.
    await ringing.waitFor({ state: "detached", timeout: 30_000 });
    await g.getByRole("alert").filter({ hasText: "Parley may not use the camera or microphone" }).waitFor({ timeout: 15_000 });
    await g.getByRole("dialog").waitFor({ state: "detached", timeout: 15_000 });
    await waitForMessage(h, "Missed video call");
    await shot(g, PART, "07-camera-refused");
    // The call buttons are usable again.
    expect(await g.getByRole("button", { name: "Video call Hugo" }).isEnabled()).toBe(true);
    expect(gina.pageErrors).toEqual([]);
    expect(hugo.pageErrors).toEqual([]);
    await gina.context.close();
    await hugo.context.close();
  },
);
