/**
 * Image previews for attachment pointers (spec/attachments.md §6): a ThumbHash of the image,
 * with its dimensions, made where the platform can decode images. In browsers (and workers)
 * through `createImageBitmap` and `OffscreenCanvas`; in Node only when the optional `sharp`
 * package can be imported (looked up at run time, never a dependency); otherwise no preview.
 * This is the one attachment file that touches platform APIs; the rest of the directory is pure.
 */

import { rgbaToThumbHash } from "thumbhash";

/** ThumbHash inputs are at most 100×100 pixels. */
const THUMB_MAX_SIDE = 100;
/** Node: images larger than this are not loaded whole for a preview. */
const NODE_PREVIEW_MAX_BYTES = 64 * 1024 * 1024;

/** A preview and the image's dimensions. */
export interface ImagePreview {
  readonly hash: Uint8Array;
  readonly width: number;
  readonly height: number;
}

/** The thumbnail size (≤ 100×100, aspect kept, ≥ 1 px a side) for an image of `width`×`height`. */
export function thumbnailSize(width: number, height: number): { width: number; height: number } {
  const scale = Math.min(1, THUMB_MAX_SIDE / Math.max(width, height));
  return { width: Math.max(1, Math.round(width * scale)), height: Math.max(1, Math.round(height * scale)) };
}

/** A ThumbHash of RGBA pixels already at most 100×100 (no platform code: testable anywhere). */
export function thumbHashOf(width: number, height: number, rgba: ArrayLike<number>): Uint8Array {
  return rgbaToThumbHash(width, height, rgba);
}

interface SharpImage {
  metadata(): Promise<{ width?: number; height?: number }>;
  resize(w: number, h: number, o: { fit: "inside" }): SharpImage;
  ensureAlpha(): SharpImage;
  raw(): SharpImage;
  toBuffer(o: { resolveWithObject: true }): Promise<{ data: Uint8Array; info: { width: number; height: number } }>;
}
type Sharp = (input: string | Uint8Array) => SharpImage;

/** The few browser image APIs used here (the package builds without the DOM library). */
interface Bitmap {
  readonly width: number;
  readonly height: number;
  close(): void;
}
interface Canvas2d {
  drawImage(image: Bitmap, x: number, y: number, w: number, h: number): void;
  getImageData(x: number, y: number, w: number, h: number): { data: ArrayLike<number> };
}
interface BrowserImaging {
  createImageBitmap?: (image: Blob) => Promise<Bitmap>;
  OffscreenCanvas?: new (w: number, h: number) => { getContext(kind: "2d"): Canvas2d | null };
}
const imaging = globalThis as unknown as BrowserImaging;

let sharpModule: Promise<Sharp | undefined> | undefined;

/** `sharp` if it can be imported (Node with the optional package installed), else undefined. */
function loadSharp(): Promise<Sharp | undefined> {
  // The name is in a variable so bundlers leave the import alone.
  const name = "sharp";
  sharpModule ??= import(/* @vite-ignore */ name).then(
    (m: { default?: Sharp }) => m.default,
    () => undefined,
  );
  return sharpModule;
}

async function browserPreview(image: Blob): Promise<ImagePreview | undefined> {
  const { createImageBitmap, OffscreenCanvas } = imaging;
  if (!createImageBitmap || !OffscreenCanvas) return undefined;
  const bitmap = await createImageBitmap(image);
  try {
    const size = thumbnailSize(bitmap.width, bitmap.height);
    const canvas = new OffscreenCanvas(size.width, size.height);
    const context = canvas.getContext("2d");
    if (!context) return undefined;
    context.drawImage(bitmap, 0, 0, size.width, size.height);
    const pixels = context.getImageData(0, 0, size.width, size.height).data;
    return { hash: thumbHashOf(size.width, size.height, pixels), width: bitmap.width, height: bitmap.height };
  } finally {
    bitmap.close();
  }
}

async function nodePreview(image: string | Blob): Promise<ImagePreview | undefined> {
  const sharp = await loadSharp();
  if (!sharp) return undefined;
  let input: string | Uint8Array;
  if (typeof image === "string") input = image;
  else if (image.size <= NODE_PREVIEW_MAX_BYTES) input = new Uint8Array(await image.arrayBuffer());
  else return undefined;
  const meta = await sharp(input).metadata();
  if (!meta.width || !meta.height) return undefined;
  const { data, info } = await sharp(input)
    .resize(THUMB_MAX_SIDE, THUMB_MAX_SIDE, { fit: "inside" })
    .ensureAlpha()
    .raw()
    .toBuffer({ resolveWithObject: true });
  return { hash: thumbHashOf(info.width, info.height, data), width: meta.width, height: meta.height };
}

/**
 * A preview of an image file (a Blob, or a path in Node), or undefined where the platform
 * cannot decode images. Rejects when the image is undecodable (callers send it without one).
 */
export async function makeImagePreview(image: string | Blob): Promise<ImagePreview | undefined> {
  if (typeof image !== "string" && imaging.createImageBitmap && imaging.OffscreenCanvas) return browserPreview(image);
  return nodePreview(image);
}
