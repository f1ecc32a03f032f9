// Image previews: the thumbnail geometry, ThumbHashes that fit the pointer's preview limit and
// decode back to the image's colour, and no preview in Node without an image library.
import { thumbHashToAverageRGBA } from "thumbhash";
import { expect, test } from "vitest";
import { MAX_ATTACHMENT_PREVIEW_BYTES } from "../limits.js";
import { makeImagePreview, thumbHashOf, thumbnailSize } from "./preview.js";

test("thumbnails keep the aspect ratio within 100×100 and at least 1 pixel a side", () => {
  expect(thumbnailSize(4000, 3000)).toEqual({ width: 100, height: 75 });
  expect(thumbnailSize(30, 20)).toEqual({ width: 30, height: 20 });
  expect(thumbnailSize(50, 5000)).toEqual({ width: 1, height: 100 });
});

test("a ThumbHash fits MAX_ATTACHMENT_PREVIEW_BYTES and keeps the image's average colour", () => {
  for (const [w, h] of [
    [100, 100],
    [100, 7],
    [1, 1],
  ] as const) {
    const rgba = new Uint8Array(w * h * 4);
    for (let i = 0; i < rgba.length; i += 4) rgba.set([200, 30, 30, 255], i);
    const hash = thumbHashOf(w, h, rgba);
    expect(hash.length).toBeGreaterThan(0);
    expect(hash.length).toBeLessThanOrEqual(MAX_ATTACHMENT_PREVIEW_BYTES);
    const average = thumbHashToAverageRGBA(hash);
    expect(average.r).toBeGreaterThan(0.6);
    expect(average.g).toBeLessThan(0.3);
  }
});

test("in Node without `sharp` there is no preview (and no error)", async () => {
  const hasSharp = await import("sharp" as string).then(
    () => true,
    () => false,
  );
  if (hasSharp) return;
  expect(await makeImagePreview(new Blob([new Uint8Array(10)]))).toBeUndefined();
  expect(await makeImagePreview("/nonexistent.png")).toBeUndefined();
});
