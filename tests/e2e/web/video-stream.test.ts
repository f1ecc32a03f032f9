// A received video starts playing while it still downloads. Alice records a WebM of a few
// seconds in her page (MediaRecorder on an animated canvas, dozens of 64 KiB attachment chunks)
// and sends it; Bob opens the app through a proxy that sends blob downloads slowly, so his
// download takes seconds. His <video> must reach `playing` while the proxy has handed over only
// part of the blob and the player still shows "Loading", its time must advance during the
// download, and the whole video must then play to its end. A player that waited for the whole
// file (download, then play) would fire `playing` only after the last byte: the test fails then.
import type { Page } from "playwright-core";
import { expect, onTestFailed } from "vitest";
import { appears, sendText } from "./support/groups-page.js";
import { startThrottleProxy, type ThrottleProxy } from "./support/throttle-proxy.js";
import { DESKTOP, PHONE, shot, signUp, startChat, startWebRelay, useWebSetup, webTest } from "./support/web.js";

const PART = "video-stream";
/** How fast Bob's proxy sends blob downloads. */
const BYTES_PER_SECOND = 160 * 1024;
/** The recorded video must be at least this big: with the rate above, its download takes over 5 s. */
const MIN_VIDEO_BYTES = 900 * 1024;
const RECORD_SECONDS = 6;

let proxy: ThrottleProxy | undefined;
// Alice and Bob both reach the relay through the proxy; only downloads are slowed (Bob's video).
const web = useWebSetup({
  relay: async () => {
    proxy = await startThrottleProxy(BYTES_PER_SECOND);
    return proxy.front(await startWebRelay(["--public-url", proxy.url]));
  },
  teardown: () => proxy?.close(),
});

/** A WebM (VP8) of about RECORD_SECONDS, recorded in the page from a canvas of moving noise (hard to compress). */
async function recordWebm(page: Page): Promise<Buffer> {
  const bytes = (await page.evaluate(`(async () => {
    const w = 320, h = 240;
    const canvas = document.createElement("canvas");
    canvas.width = w;
    canvas.height = h;
    const g = canvas.getContext("2d");
    const image = g.createImageData(w, h);
    let frame = 0;
    const draw = () => {
      const d = image.data;
      for (let i = 0; i < d.length; i += 4) {
        const v = (Math.random() * 255) | 0;
        d[i] = v; d[i + 1] = (v + frame * 7) & 255; d[i + 2] = 255 - v; d[i + 3] = 255;
      }
      g.putImageData(image, 0, 0);
      g.fillStyle = "#fff";
      g.fillRect((frame * 6) % w, 90, 40, 60);
      frame++;
    };
    draw();
    const recorder = new MediaRecorder(canvas.captureStream(25), { mimeType: "video/webm;codecs=vp8", videoBitsPerSecond: 2500000 });
    const chunks = [];
    recorder.ondataavailable = (e) => chunks.push(e.data);
    const timer = setInterval(draw, 40);
    recorder.start(250);
    await new Promise((r) => setTimeout(r, ${RECORD_SECONDS * 1000} + 200));
    const stopped = new Promise((r) => { recorder.onstop = r; });
    recorder.stop();
    await stopped;
    clearInterval(timer);
    return Array.from(new Uint8Array(await new Blob(chunks).arrayBuffer()));
  })()`)) as number[];
  return Buffer.from(bytes);
}

webTest("a received video plays while its download is still under way, then to its end", { timeout: 180_000 }, async () => {
  if (!proxy) throw new Error("no proxy");
  const [alice, bob] = await Promise.all([signUp(web.browser, web.relay, "alice", "Alice"), signUp(web.browser, web.relay, "bob", "Bob")]);
  onTestFailed(async () => {
    await shot(alice.page, PART, "failure-alice");
    await shot(bob.page, PART, "failure-bob");
  });
  await startChat(alice.page, "bob");
  await sendText(alice.page, "a video is coming");
  await bob.page.getByRole("link", { name: /Alice/ }).click();
  await appears(bob.page.getByText("a video is coming"));
  // The app registers its service worker at start; streaming needs it in control of the page.
  await expect.poll(() => bob.page.evaluate("navigator.serviceWorker.controller !== null"), { timeout: 15_000 }).toBe(true);

  // Bob's player's playing, timeupdate and ended events reach the test at once, each with what the
  // proxy had served then (`loading`: the percentage on the player's "Loading" bar, -1 if none).
  const events: { type: string; time: number; served: number; total: number; loading: number; at: number }[] = [];
  await bob.page.exposeBinding("__videoEvent", (_source, type: string, time: number, loading: number) => {
    const download = proxy?.downloads.at(-1);
    events.push({ type, time, loading, served: download?.served ?? 0, total: download?.total ?? 0, at: Date.now() });
  });
  await bob.page.evaluate(`(() => {
    for (const type of ["playing", "timeupdate", "ended"])
      document.addEventListener(type, (e) => {
        const bar = document.querySelector('progress[aria-label^="Loading "]');
        window.__videoEvent(type, e.target.currentTime, bar ? bar.value : -1);
      }, true);
  })()`);

  const webm = await recordWebm(alice.page);
  expect(webm.length).toBeGreaterThan(MIN_VIDEO_BYTES);
  await alice.page.locator('input[type="file"]').first().setInputFiles({ name: "clip.webm", mimeType: "video/webm", buffer: webm });
  const play = bob.page.getByRole("button", { name: /^Play video clip\.webm/ });
  await appears(play, 60_000);
  expect(proxy.downloads).toEqual([]);
  await play.click();
  const video = bob.page.locator("video");
  await video.waitFor();
  expect(await video.getAttribute("data-mode")).toBe("stream");

  // `playing` came while only part of the blob had reached the browser, with "Loading" still shown.
  await expect.poll(() => events.filter((e) => e.type === "playing").length, { timeout: 30_000 }).toBeGreaterThan(0);
  const first = events.find((e) => e.type === "playing");
  const download = proxy.downloads[0];
  expect(proxy.downloads).toHaveLength(1);
  expect(download?.total).toBeGreaterThan(webm.length);
  // (Chromium starts once it holds a couple of seconds of video: here about 40 % of the file.)
  expect(first?.served).toBeLessThan((download?.total ?? 0) * 0.75);
  expect(first?.loading).toBeGreaterThanOrEqual(0);
  expect(first?.loading).toBeLessThan(75);

  // Time advances while the download goes on (each event carries the proxy's count at that moment).
  const advanced = () => events.some((e) => e.type === "timeupdate" && e.time > 1 && e.loading >= 0 && e.served < e.total);
  await expect.poll(advanced, { timeout: 15_000 }).toBe(true);
  for (const size of [PHONE, DESKTOP]) {
    await bob.page.setViewportSize(size);
    await video.scrollIntoViewIfNeeded();
    await shot(bob.page, PART, "playing-while-loading");
  }

  // The download ends seconds after playback began, and the whole video plays to its end.
  await expect.poll(() => events.filter((e) => e.type === "ended").length, { timeout: 60_000 }).toBe(1);
  expect(download?.served).toBe(download?.total);
  expect((download?.finishedAt ?? 0) - (first?.at ?? 0)).toBeGreaterThan(2_000);
  const ended = events.find((e) => e.type === "ended");
  expect(ended?.time).toBeGreaterThan(RECORD_SECONDS - 1);
  await expect.poll(() => bob.page.getByRole("progressbar", { name: "Loading clip.webm" }).count()).toBe(0);
  await shot(bob.page, PART, "ended");

  expect([...alice.offOrigin, ...bob.offOrigin]).toEqual([]);
  expect([...alice.pageErrors, ...bob.pageErrors]).toEqual([]);
});
