// Helpers of the trust, devices and notification browser tests: in-app navigation, screenshots
// at both sizes, and reading what the screens show.
import type { Browser, Page } from "playwright-core";
import { launchChromium } from "../support/chromium.js";
import { checkA11y, DESKTOP, PHONE, shot } from "./support/web.js";

/** Goes to `path` inside the app (history API, as the app's own links do): no reload. */
export async function go(page: Page, path: string): Promise<void> {
  await page.evaluate(`history.pushState(null, "", ${JSON.stringify(path)}); dispatchEvent(new PopStateEvent("popstate"))`);
}

/**
 * Screenshots at desktop and phone size (then back to the page's size), and an axe check (at
 * desktop size: the markup is the same at both; axe takes seconds per run on a busy machine).
 */
export async function shotBoth(page: Page, part: string, name: string): Promise<void> {
  const size = page.viewportSize() ?? DESKTOP;
  await page.setViewportSize(DESKTOP);
  await checkA11y(page);
  for (const viewport of [DESKTOP, PHONE]) {
    await page.setViewportSize(viewport);
    await page.waitForTimeout(50);
    await shot(page, part, name);
  }
  await page.setViewportSize(size);
}

/** The digit groups a code list shows (safety number or link check code), joined. */
export async function shownDigits(page: Page, listName: string): Promise<string> {
  const items = await page.getByRole("list", { name: listName }).getByRole("listitem").allTextContents();
  return items.map((t) => t.trim()).join("");
}

/** The path of a conversation's sub-page, as the app builds it. */
export function pathOf(conversationId: string, sub?: "info" | "verify"): string {
  return `/c/${encodeURIComponent(conversationId)}${sub ? `/${sub}` : ""}`;
}

/**
 * Writes a Y4M video (what Chromium's fake camera plays, `--use-file-for-fake-video-capture`)
 * showing the QR code of `text`, dark on light, as a phone screen held up to the camera would.
 */
export async function writeQrVideo(text: string, path: string): Promise<void> {
  const { encode } = await import("uqr");
  const { writeFileSync } = await import("node:fs");
  const qr = encode(text, { ecc: "M", border: 4 });
  const width = 480;
  const height = 480;
  const scale = Math.floor(400 / qr.size);
  const offset = Math.floor((width - qr.size * scale) / 2);
  const luma = new Uint8Array(width * height).fill(235);
  for (let y = 0; y < qr.size; y++)
    for (let x = 0; x < qr.size; x++)
      if (qr.data[y]?.[x])
        for (let dy = 0; dy < scale; dy++)
          luma.fill(
            16,
            (offset + y * scale + dy) * width + offset + x * scale,
            (offset + y * scale + dy) * width + offset + (x + 1) * scale,
          );
  const chroma = new Uint8Array((width / 2) * (height / 2)).fill(128);
  const frame = Buffer.concat([Buffer.from("FRAME\n"), luma, chroma, chroma]);
  writeFileSync(path, Buffer.concat([Buffer.from(`YUV4MPEG2 W${width} H${height} F5:1 Ip A1:1 C420jpeg\n`), frame, frame, frame]));
}

/** Chromium's flags for a fake camera playing `videoPath`, with camera access granted. */
export function fakeCameraArgs(videoPath: string): string[] {
  return ["--use-fake-ui-for-media-stream", "--use-fake-device-for-media-stream", `--use-file-for-fake-video-capture=${videoPath}`];
}

/** Headless Chromium as launchChromium() starts it, plus a fake camera playing `videoPath`. */
export function launchWithCamera(videoPath: string): Promise<Browser> {
  return launchChromium(fakeCameraArgs(videoPath));
}
