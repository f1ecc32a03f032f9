// Both people turn on their cameras at the same moment in a voice call, in Chromium through a real
// relay on loopback: the two renegotiation offers cross (spec/calls.md §4.1). Each side must
// decode the other's video and show it (the tile's video, not the initial that stands for "no
// video") within a bounded time, and the audio must keep flowing. One call per case: two real
// clicks at once, and two clicks in the same millisecond or 10 ms apart with one person's page
// slowed down (CPU throttling, a slow phone), then the other's, so the offers and answers meet
// in different orders. Where the offers crossed, Chromium left each rolled-back side's remote
// video track muted for good although its frames played: the call showed "no video" until the
// media layer looked at decoded frames too. Each case prints how long each side took.
import type { Page } from "playwright-core";
import { expect } from "vitest";
import { launchChromium } from "../support/chromium.js";
import { openConversation, send, waitForMessage } from "./support/chat-page.js";
import { inbound, RECORD_PEER_CONNECTIONS, videoStats } from "./support/video.js";
import { signUp, startChat, useWebSetup, webTest } from "./support/web.js";

const MEDIA_FLAGS = ["--use-fake-device-for-media-stream", "--use-fake-ui-for-media-stream", "--allow-loopback-in-peer-connection"];

const web = useWebSetup({ browser: () => launchChromium(MEDIA_FLAGS) });

/** How long both sides get, from the clicks, to decode and show each other's video. */
const DECODE_BUDGET_MS = 20_000;

/** How much slower the slow person's page runs (Chromium's CPU throttling rate). */
const SLOW = 6;

/** In the page: clicks the call's "Turn on camera" button at `at` (Date.now(), the same clock in both pages: one browser). */
function clickAt(page: Page, at: number): Promise<void> {
  return page.evaluate(`new Promise((resolve, reject) => {
    const button = [...document.querySelectorAll('[role="dialog"] button')].find((b) => b.textContent.trim() === "Turn on camera");
    if (!button) return reject(new Error("no Turn on camera button"));
    const fire = () => { button.click(); resolve(); };
    const wait = () => { const left = ${at} - Date.now(); if (left <= 0) fire(); else if (left > 4) setTimeout(wait, left - 4); else queueMicrotask(wait); };
    wait();
  })`);
}

/** Records each peer connection's signalling states and its remote tracks' arrival, mute and unmute, in order (`window.__signalling`). */
const RECORD_SIGNALLING = `(() => {
  const Real = window.RTCPeerConnection;
  window.__signalling = [];
  window.RTCPeerConnection = class extends Real {
    constructor(...args) {
      super(...args);
      const log = [];
      window.__signalling.push(log);
      this.addEventListener("signalingstatechange", () => log.push(this.signalingState));
      this.addEventListener("track", (e) => {
        log.push("track:" + e.track.kind + ":" + e.transceiver.mid + (e.track.muted ? ":muted" : ""));
        e.track.addEventListener("mute", () => log.push("mute:" + e.track.kind));
        e.track.addEventListener("unmute", () => log.push("unmute:" + e.track.kind));
      });
    }
  };
})()`;

/** The history of the page's newest peer connection (for the failure message). */
function history(page: Page): Promise<string> {
  return page.evaluate(`window.__signalling[window.__signalling.length - 1].join(" ")`);
}

/** The remote tile's state: its <video>'s size and frames, and whether it is shown as video (`data-video`). */
async function tile(page: Page, label: string): Promise<string> {
  const stats = await videoStats(page, label);
  const shown = await page.getByRole("dialog").locator("figure").first().getAttribute("data-video");
  return `${stats.width}x${stats.height}, ${stats.frames} frames, data-video=${shown}`;
}

/** True when `page` decodes video on its leg (inbound-rtp framesDecoded grows), its tile's <video> plays it and the tile shows it as video. */
async function decodes(page: Page, label: string): Promise<boolean> {
  const before = await inbound(page);
  const element = await videoStats(page, label);
  await page.waitForTimeout(500);
  const after = await inbound(page);
  const elementAfter = await videoStats(page, label);
  const shown = await page.getByRole("dialog").locator("figure").first().getAttribute("data-video");
  return (
    after.framesDecoded > before.framesDecoded + 3 && elementAfter.width > 0 && elementAfter.frames > element.frames && shown === "true"
  );
}

interface Case {
  readonly name: string;
  /** Real Playwright clicks at once, or DOM clicks at set times: Alice's and Bob's delay from a common instant (ms). */
  readonly clicks: "playwright" | { readonly alice: number; readonly bob: number };
  /** Whose page runs slowed down. */
  readonly slow?: "alice" | "bob";
}

const CASES: readonly Case[] = [
  { name: "two clicks at once", clicks: "playwright" },
  ...(["bob", "alice"] as const).flatMap((slow) => [
    { name: `two clicks at once, ${slow} slow`, clicks: "playwright" as const, slow },
    { name: `same millisecond, ${slow} slow`, clicks: { alice: 0, bob: 0 }, slow },
    { name: `Bob 10 ms after Alice, ${slow} slow`, clicks: { alice: 0, bob: 10 }, slow },
  ]),
];

webTest(
  "both turn on their cameras at once in a voice call: each decodes and shows the other's video, audio keeps flowing",
  { timeout: 400_000 },
  async () => {
    const alice = await signUp(web.browser, web.relay, "alice", "Alice");
    const bob = await signUp(web.browser, web.relay, "bob", "Bob");
    const a = alice.page;
    const b = bob.page;
    for (const p of [a, b]) {
      await p.addInitScript(RECORD_PEER_CONNECTIONS);
      await p.addInitScript(RECORD_SIGNALLING);
      await p.reload();
      await p.getByRole("navigation", { name: "Conversations" }).waitFor({ timeout: 60_000 });
    }
    const cdp = { alice: await a.context().newCDPSession(a), bob: await b.context().newCDPSession(b) };
    await startChat(a, "bob");
    await send(a, "cameras on together?");
    await openConversation(b, "Alice");
    await waitForMessage(b, "cameras on together?");

    const failures: string[] = [];
    for (const c of CASES) {
      await a.getByRole("button", { name: "Voice call Bob" }).click();
      const ringing = b.getByRole("alertdialog", { name: "Alice" });
      await ringing.waitFor({ timeout: 30_000 });
      await ringing.getByRole("button", { name: "Accept" }).click();
      for (const p of [a, b]) {
        await expect.poll(() => p.getByRole("dialog").getByRole("status").textContent(), { timeout: 30_000 }).toMatch(/^Voice call · /);
        await p.getByRole("dialog").getByRole("button", { name: "Turn on camera" }).waitFor();
      }
      for (const who of ["alice", "bob"] as const)
        await cdp[who].send("Emulation.setCPUThrottlingRate", { rate: c.slow === who ? SLOW : 1 });

      const clickedAt = Date.now();
      if (c.clicks === "playwright") {
        await Promise.all([a, b].map((p) => p.getByRole("dialog").getByRole("button", { name: "Turn on camera" }).click()));
      } else {
        const at = Date.now() + 300;
        await Promise.all([clickAt(a, at + c.clicks.alice), clickAt(b, at + c.clicks.bob)]);
      }

      // Both must decode and show the other within the budget (polled: the time of each is reported).
      const seen = { alice: -1, bob: -1 };
      while (Date.now() - clickedAt < DECODE_BUDGET_MS && (seen.alice < 0 || seen.bob < 0)) {
        if (seen.alice < 0 && (await decodes(a, "Video of Bob"))) seen.alice = Date.now() - clickedAt;
        if (seen.bob < 0 && (await decodes(b, "Video of Alice"))) seen.bob = Date.now() - clickedAt;
      }
      // The audio keeps flowing both ways.
      const audioBefore = await Promise.all([inbound(a), inbound(b)]);
      await a.waitForTimeout(1_000);
      const audioAfter = await Promise.all([inbound(a), inbound(b)]);
      const audio = audioAfter.map((s, i) => s.audioPackets - (audioBefore[i]?.audioPackets ?? 0));
      const alerts = [
        ...(await a.getByRole("dialog").getByRole("alert").allTextContents()),
        ...(await b.getByRole("dialog").getByRole("alert").allTextContents()),
      ];
      const ok = seen.alice >= 0 && seen.bob >= 0 && audio.every((n) => n > 10) && alerts.length === 0;
      const when = (ms: number) => (ms >= 0 ? `after ${ms} ms` : "NEVER");
      console.log(
        `${c.name}: Alice sees Bob ${when(seen.alice)}, Bob sees Alice ${when(seen.bob)}; audio packets in 1 s: Alice ${audio[0]}, Bob ${audio[1]}`,
      );
      if (!ok) {
        failures.push(
          `${c.name}: Alice sees Bob ${when(seen.alice)} (${await tile(a, "Video of Bob")}; ${await history(a)}), ` +
            `Bob sees Alice ${when(seen.bob)} (${await tile(b, "Video of Alice")}; ${await history(b)}); audio ${audio.join("/")}; alerts ${JSON.stringify(alerts)}`,
        );
      }

      for (const who of ["alice", "bob"] as const) await cdp[who].send("Emulation.setCPUThrottlingRate", { rate: 1 });
      await a.getByRole("dialog").getByRole("button", { name: "Hang up" }).click();
      await a.getByRole("dialog").waitFor({ state: "detached", timeout: 15_000 });
      await b.getByRole("dialog").waitFor({ state: "detached", timeout: 15_000 });
    }
    expect(failures).toEqual([]);
    expect(alice.pageErrors).toEqual([]);
    expect(bob.pageErrors).toEqual([]);
    await alice.context.close();
    await bob.context.close();
  },
);
