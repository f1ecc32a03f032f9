// Video checks shared by the call tests: what a <video> element decodes, read in the page.
import type { Page } from "playwright-core";
import { expect } from "vitest";

// Page scripts are strings: this project's typecheck has no DOM types.

/** Width, decoded frame count and current time of a video element (by its aria-label). */
export async function videoStats(page: Page, label: string): Promise<{ width: number; height: number; frames: number; time: number }> {
  return page.evaluate(`(() => {
    const v = document.querySelector(${JSON.stringify(`video[aria-label="${label}"]`)});
    if (!v) return { width: 0, height: 0, frames: 0, time: 0 };
    return { width: v.videoWidth, height: v.videoHeight, frames: v.getVideoPlaybackQuality().totalVideoFrames, time: v.currentTime };
  })()`);
}

/** "4:3" (the fake camera, 640x480) or "16:9" (the fake screen, 1280x720): the encoder may scale either down on a busy machine. */
export function aspect(stats: { width: number; height: number }): string {
  if (stats.width === 0 || stats.height === 0) return "none";
  const ratio = stats.width / stats.height;
  return Math.abs(ratio - 4 / 3) < 0.05 ? "4:3" : Math.abs(ratio - 16 / 9) < 0.05 ? "16:9" : `${stats.width}x${stats.height}`;
}

/** Waits until the video labelled `label` decodes frames of `shape` and keeps decoding (frames and time advance). */
export async function expectDecoding(page: Page, label: string, shape: "4:3" | "16:9"): Promise<void> {
  await expect.poll(async () => aspect(await videoStats(page, label)), { timeout: 30_000, interval: 100 }).toBe(shape);
  const before = await videoStats(page, label);
  await expect
    .poll(
      async () => {
        const now = await videoStats(page, label);
        return now.frames > before.frames + 5 && now.time > before.time;
      },
      { timeout: 15_000, interval: 200 },
    )
    .toBe(true);
}

/** Remembers the page's local camera/microphone tracks (to check they end after hang-up); returns how many. */
export function keepLocalTracks(page: Page): Promise<number> {
  return page.evaluate(`(() => {
    const v = document.querySelector('video[aria-label="Your camera"]');
    window.__callTracks = v && v.srcObject ? v.srcObject.getTracks() : [];
    return window.__callTracks.length;
  })()`);
}

/** The readyState of each track keepLocalTracks remembered. */
export function localTrackStates(page: Page): Promise<string[]> {
  return page.evaluate("window.__callTracks.map((t) => t.readyState)");
}

/**
 * An init script that keeps every RTCPeerConnection the page makes in `window.__pcs` (a subclass
 * that only records the real object), so a test can read each leg's senders and stats.
 */
export const RECORD_PEER_CONNECTIONS = `(() => {
  const Real = window.RTCPeerConnection;
  window.__pcs = [];
  window.RTCPeerConnection = class extends Real {
    constructor(...args) { super(...args); window.__pcs.push(this); }
  };
})()`;

/** What arrives on the page's open legs (needs RECORD_PEER_CONNECTIONS): video frames decoded, audio packets received (inbound-rtp, summed). */
export function inbound(page: Page): Promise<{ framesDecoded: number; audioPackets: number }> {
  return page.evaluate(`(async () => {
    let framesDecoded = 0;
    let audioPackets = 0;
    for (const pc of window.__pcs.filter((pc) => pc.connectionState !== "closed")) {
      (await pc.getStats()).forEach((s) => {
        if (s.type !== "inbound-rtp") return;
        if (s.kind === "video") framesDecoded += s.framesDecoded || 0;
        if (s.kind === "audio") audioPackets += s.packetsReceived || 0;
      });
    }
    return { framesDecoded, audioPackets };
  })()`);
}

/**
 * A page script that makes the page's getUserMedia take `ms` longer (a slow camera, or a person
 * deciding on the permission prompt), then resolve as the real one, or reject with a
 * NotAllowedError when `refuse` (with `ms` 0: at once, as a permission refused before).
 * `window.__gumOpened` counts the calls that resolved.
 */
export function slowGetUserMedia(ms: number, refuse = false): string {
  return `(() => {
    const media = navigator.mediaDevices;
    const real = media.getUserMedia.bind(media);
    window.__gumOpened = 0;
    media.getUserMedia = async (constraints) => {
      if (${ms} > 0) await new Promise((resolve) => setTimeout(resolve, ${ms}));
      if (${refuse}) throw new DOMException("Permission denied", "NotAllowedError");
      const stream = await real(constraints);
      window.__gumOpened += 1;
      return stream;
    };
  })()`;
}
