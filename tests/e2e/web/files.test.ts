// Attachments in the web client end to end, Alice and Bob in two Chromium contexts on a real
// relay: an image (a PNG drawn in the page) shows its ThumbHash placeholder while the download
// is held back, then the decrypted image, and opens in the lightbox (Escape closes it, focus
// returns); a document card downloads bytes identical to what was sent; a large upload shows
// progress, is cancelled, resumed and delivered, another is discarded; a WebM video recorded in
// the page plays while streamed through the service worker (and, without one, from a blob).
import { randomBytes } from "node:crypto";
import { readFile } from "node:fs/promises";
import type { Page, Route } from "playwright-core";
import { describe, expect, onTestFailed, test } from "vitest";
import { parseRange } from "../../../packages/web/src/sw/media-range.js";
import { appears, drawPng, sendText, shotBoth } from "./support/groups-page.js";
import { DESKTOP, shot, signUp, startChat, useWebSetup, webTest } from "./support/web.js";

const PART = "files";

const web = useWebSetup();

/** A ~2 s 160×120 WebM (VP8) recorded in the page with MediaRecorder from an animated canvas. */
async function recordWebm(page: Page): Promise<Buffer> {
  const bytes = (await page.evaluate(`(async () => {
    const canvas = document.createElement("canvas");
    canvas.width = 160;
    canvas.height = 120;
    const g = canvas.getContext("2d");
    let frame = 0;
    const draw = () => {
      g.fillStyle = "hsl(" + ((frame * 12) % 360) + " 70% 45%)";
      g.fillRect(0, 0, 160, 120);
      g.fillStyle = "#fff";
      g.fillRect((frame * 5) % 160, 40, 24, 40);
      frame++;
    };
    draw();
    const recorder = new MediaRecorder(canvas.captureStream(25), { mimeType: "video/webm;codecs=vp8" });
    const chunks = [];
    recorder.ondataavailable = (e) => chunks.push(e.data);
    const timer = setInterval(draw, 40);
    recorder.start(200);
    await new Promise((r) => setTimeout(r, 2200));
    const stopped = new Promise((r) => { recorder.onstop = r; });
    recorder.stop();
    await stopped;
    clearInterval(timer);
    return Array.from(new Uint8Array(await new Blob(chunks).arrayBuffer()));
  })()`)) as number[];
  return Buffer.from(bytes);
}

async function attach(page: Page, name: string, mimeType: string, buffer: Buffer): Promise<void> {
  await page.locator('input[type="file"]').first().setInputFiles({ name, mimeType, buffer });
}

/** Holds PATCH requests (upload segments) for `ms` each, so an upload can be caught mid-way. */
async function slowUploads(page: Page, ms: number): Promise<() => Promise<void>> {
  const handler = async (route: Route) => {
    if (route.request().method() === "PATCH") await new Promise((r) => setTimeout(r, ms));
    await route.continue().catch(() => {});
  };
  await page.route("**/blobs/**", handler);
  return () => page.unroute("**/blobs/**", handler);
}

describe("media stream ranges", () => {
  test("a Range header is parsed at the file's edges", () => {
    expect(parseRange(null, 100)).toBeUndefined();
    expect(parseRange("bytes=0-", 100)).toBeUndefined();
    expect(parseRange("bytes=0-99", 100)).toBeUndefined();
    expect(parseRange("bytes=10-", 100)).toEqual({ start: 10, end: 99 });
    expect(parseRange("bytes=10-19", 100)).toEqual({ start: 10, end: 19 });
    expect(parseRange("bytes=10-500", 100)).toEqual({ start: 10, end: 99 });
    expect(parseRange("bytes=99-", 100)).toEqual({ start: 99, end: 99 });
    expect(parseRange("bytes=100-", 100)).toBe("unsatisfiable");
    expect(parseRange("bytes=-10", 100)).toEqual({ start: 90, end: 99 });
    expect(parseRange("bytes=-0", 100)).toBe("unsatisfiable");
    expect(parseRange("bytes=5-4", 100)).toBe("unsatisfiable");
    expect(parseRange("items=0-1", 100)).toBeUndefined();
  });
});

webTest("images, documents, uploads and a streamed video between two browsers", { timeout: 300_000 }, async () => {
  // Alice's browser runs no service worker (the fallback path); Bob's does (streaming).
  const [alice, bob] = await Promise.all([
    signUp(web.browser, web.relay, "alice", "Alice", DESKTOP, { serviceWorkers: "block" }),
    signUp(web.browser, web.relay, "bob", "Bob"),
  ]);
  onTestFailed(async () => {
    await shot(alice.page, PART, "failure-alice");
    await shot(bob.page, PART, "failure-bob");
  });
  await startChat(alice.page, "bob");
  await sendText(alice.page, "files coming");
  await bob.page.getByRole("link", { name: /Alice/ }).click();
  await appears(bob.page.getByText("files coming"));

  // Image: Bob's download is held back, so the ThumbHash placeholder shows first.
  let release: () => void = () => {};
  const gate = new Promise<void>((r) => {
    release = r;
  });
  const holdDownloads = async (route: Route) => {
    if (route.request().method() === "GET") await gate;
    await route.continue().catch(() => {});
  };
  await bob.page.route("**/blobs/**", holdDownloads);
  const png = await drawPng(alice.page);
  await attach(alice.page, "photo.png", "image/png", png);
  await appears(alice.page.getByRole("button", { name: "Open image photo.png" }));
  await appears(bob.page.locator('img[src^="data:image/png"]'));
  release();
  const opener = bob.page.getByRole("button", { name: "Open image photo.png" });
  await appears(opener);
  await bob.page.unroute("**/blobs/**", holdDownloads);
  const natural = await opener.locator("img").evaluate((img) => {
    const i = img as unknown as { naturalWidth: number; naturalHeight: number };
    return [i.naturalWidth, i.naturalHeight];
  });
  expect(natural).toEqual([300, 200]);
  const box = await opener.boundingBox();
  expect(box && Math.abs(box.width / box.height - 1.5)).toBeLessThan(0.05);

  // Lightbox: a dialog with the image and a Download link; Escape closes, focus returns.
  await opener.click();
  const lightbox = bob.page.getByRole("dialog", { name: "photo.png" });
  await lightbox.waitFor();
  expect(await lightbox.getByRole("link", { name: "Download" }).getAttribute("download")).toBe("photo.png");
  expect(await bob.page.evaluate("document.activeElement?.textContent")).toBe("Close");
  await shotBoth(bob.page, PART, "lightbox");
  await bob.page.keyboard.press("Escape");
  await expect.poll(() => lightbox.count()).toBe(0);
  expect(await bob.page.evaluate('document.activeElement?.getAttribute("aria-label")')).toBe("Open image photo.png");

  // Document: a card with name, size and type; Download saves the very bytes sent.
  const doc = randomBytes(300 * 1024);
  await attach(alice.page, "report.pdf", "application/pdf", doc);
  await appears(bob.page.getByText("report.pdf"));
  await appears(bob.page.getByText("300 KB · PDF"));
  const downloadEvent = bob.page.waitForEvent("download");
  await bob.page.getByRole("button", { name: "Download report.pdf" }).click();
  const download = await downloadEvent;
  expect(download.suggestedFilename()).toBe("report.pdf");
  expect(Buffer.compare(await readFile(await download.path()), doc)).toBe(0);

  // Upload progress: a 5 MB file (two segments) is caught mid-way, cancelled, resumed and delivered.
  const big = randomBytes(5 * 1024 * 1024);
  let restore = await slowUploads(alice.page, 1_000);
  await attach(alice.page, "big.bin", "application/octet-stream", big);
  const progress = alice.page.getByRole("progressbar", { name: "Uploading big.bin" });
  await progress.waitFor();
  await expect.poll(() => progress.evaluate((p) => (p as unknown as { value: number }).value), { timeout: 20_000 }).toBeGreaterThan(0);
  await shot(alice.page, PART, "upload-progress");
  await alice.page.getByRole("button", { name: "Cancel uploading big.bin" }).click();
  await alice.page.getByRole("button", { name: "Resume big.bin" }).waitFor({ timeout: 20_000 });
  await appears(alice.page.getByText("Paused"));
  await restore();
  await alice.page.getByRole("button", { name: "Resume big.bin" }).click();
  await appears(bob.page.getByText("big.bin"), 60_000);
  await expect.poll(() => alice.page.getByRole("list", { name: "Uploads" }).count(), { timeout: 30_000 }).toBe(0);

  // Another is cancelled and discarded: the tray empties, nothing is sent.
  restore = await slowUploads(alice.page, 3_000);
  await attach(alice.page, "scrap.bin", "application/octet-stream", randomBytes(512 * 1024));
  await alice.page.getByRole("progressbar", { name: "Uploading scrap.bin" }).waitFor();
  await alice.page.getByRole("button", { name: "Cancel uploading scrap.bin" }).click();
  await alice.page.getByRole("button", { name: "Discard scrap.bin" }).click();
  await expect.poll(() => alice.page.getByRole("list", { name: "Uploads" }).count(), { timeout: 15_000 }).toBe(0);
  await restore();

  // An upload cut short before a reload is listed again and continues once its file is picked again.
  const kept = randomBytes(700 * 1024);
  restore = await slowUploads(alice.page, 3_000);
  await attach(alice.page, "kept.bin", "application/octet-stream", kept);
  await alice.page.getByRole("progressbar", { name: "Uploading kept.bin" }).waitFor();
  await alice.page.getByRole("button", { name: "Cancel uploading kept.bin" }).click();
  await alice.page.getByRole("button", { name: "Resume kept.bin" }).waitFor();
  await restore();
  await alice.page.reload();
  const tray = alice.page.getByRole("list", { name: "Uploads" });
  await tray.getByRole("button", { name: "Resume kept.bin: choose the file again" }).waitFor({ timeout: 60_000 });
  await shot(alice.page, PART, "upload-paused");
  await tray
    .locator('input[type="file"]')
    .setInputFiles({ name: "other.bin", mimeType: "application/octet-stream", buffer: randomBytes(10) });
  await appears(tray.getByRole("alert").filter({ hasText: "not the same file" }));
  await tray.locator('input[type="file"]').setInputFiles({ name: "kept.bin", mimeType: "application/octet-stream", buffer: kept });
  await appears(bob.page.getByText("kept.bin"), 60_000);
  await expect.poll(() => tray.count(), { timeout: 30_000 }).toBe(0);
  const keptDownload = bob.page.waitForEvent("download");
  await bob.page.getByRole("button", { name: "Download kept.bin" }).click();
  expect(Buffer.compare(await readFile(await (await keptDownload).path()), kept)).toBe(0);

  // Drag and drop: dragging files over the conversation shows "Drop to send"; dropping sends them.
  await bob.page.evaluate(`(() => {
    const dt = new DataTransfer();
    dt.items.add(new File(["dropped text"], "dropped.txt", { type: "text/plain" }));
    window.__drop = dt;
    document.querySelector("textarea").dispatchEvent(new DragEvent("dragenter", { bubbles: true, cancelable: true, dataTransfer: dt }));
  })()`);
  await bob.page.getByRole("status").filter({ hasText: "Drop to send" }).waitFor();
  await shot(bob.page, PART, "drop-overlay");
  await bob.page.evaluate(
    `document.querySelector("textarea").dispatchEvent(new DragEvent("drop", { bubbles: true, cancelable: true, dataTransfer: window.__drop }))`,
  );
  await expect.poll(() => bob.page.getByText("Drop to send").count()).toBe(0);
  await appears(alice.page.getByText("dropped.txt"));

  // Paste: a file pasted into the composer is sent, not inserted.
  await bob.page.evaluate(`(() => {
    const dt = new DataTransfer();
    dt.items.add(new File(["pasted"], "pasted.txt", { type: "text/plain" }));
    document.querySelector("textarea").dispatchEvent(new ClipboardEvent("paste", { bubbles: true, cancelable: true, clipboardData: dt }));
  })()`);
  await appears(alice.page.getByText("pasted.txt"));

  // A blob changed on the way is refused by the SDK; the card says so and saves nothing.
  const tamper = async (route: Route) => {
    if (route.request().method() !== "GET") return route.continue();
    const response = await route.fetch();
    const body = Buffer.from(await response.body());
    const at = Math.floor(body.length / 2);
    body.writeUInt8(body.readUInt8(at) ^ 0xff, at);
    await route.fulfill({ response, body });
  };
  await attach(alice.page, "tampered.txt", "text/plain", Buffer.from("x".repeat(2000)));
  await appears(bob.page.getByText("tampered.txt"));
  await bob.page.route("**/blobs/**", tamper);
  await bob.page.getByRole("button", { name: "Download tampered.txt" }).click();
  await appears(bob.page.getByRole("alert").filter({ hasText: "damaged or tampered with" }));
  await bob.page.unroute("**/blobs/**", tamper);

  // Video: Bob's page is controlled by the service worker, which streams the verified plaintext.
  const webm = await recordWebm(alice.page);
  expect(webm.length).toBeGreaterThan(1_000);
  await bob.page.evaluate(`(async () => {
    await navigator.serviceWorker.register("/sw.js");
    await navigator.serviceWorker.ready;
  })()`);
  await expect.poll(() => bob.page.evaluate("navigator.serviceWorker.controller !== null"), { timeout: 15_000 }).toBe(true);
  await attach(alice.page, "clip.webm", "video/webm", webm);
  const play = bob.page.getByRole("button", { name: /^Play video clip\.webm/ });
  await appears(play, 60_000);
  await play.click();
  const video = bob.page.locator("video");
  await video.waitFor();
  expect(await video.getAttribute("data-mode")).toBe("stream");
  expect(await video.getAttribute("src")).toMatch(/^\/parley-media\/[0-9a-f]+$/);
  await expect
    .poll(() => video.evaluate((v) => (v as unknown as { readyState: number }).readyState), { timeout: 20_000 })
    .toBeGreaterThanOrEqual(2);
  await expect
    .poll(() => video.evaluate((v) => (v as unknown as { currentTime: number }).currentTime), { timeout: 20_000 })
    .toBeGreaterThan(0.3);
  await shotBoth(bob.page, PART, "conversation", DESKTOP, video);

  // Alice has no service worker: the same video plays from a blob after a full download.
  await alice.page.getByRole("button", { name: /^Play video clip\.webm/ }).click();
  const aliceVideo = alice.page.locator("video");
  await aliceVideo.waitFor();
  expect(await aliceVideo.getAttribute("data-mode")).toBe("blob");
  await expect
    .poll(() => aliceVideo.evaluate((v) => (v as unknown as { readyState: number }).readyState), { timeout: 20_000 })
    .toBeGreaterThanOrEqual(2);
  await shotBoth(alice.page, PART, "conversation-sender", DESKTOP, aliceVideo);

  expect([...alice.offOrigin, ...bob.offOrigin]).toEqual([]);
  expect([...alice.pageErrors, ...bob.pageErrors]).toEqual([]);
});
