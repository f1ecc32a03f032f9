/**
 * Where a file to send comes from (client/attachments.ts): a path (Node, read with node:fs
 * looked up at run time so browser bundles never import it), a Blob or File, a ReadableStream or
 * an async iterable; its size, whether it can be read again from the start (to resume after a
 * restart), and its name and content type.
 */

import { attachmentLayout } from "../attachment/stream.js";

/** Plaintext bytes read from a file or Blob at a time. */
const READ_BYTES = 1024 * 1024;

/** What `sendFile` can read: a path (Node), a Blob or File, a ReadableStream or an async iterable (these two need `size`). */
export type FileSource = string | Blob | ReadableStream<Uint8Array> | AsyncIterable<Uint8Array>;

/** node:fs/promises, as typed (only its type is imported). */
export type NodeFs = typeof import("node:fs/promises");

/** node:fs/promises looked up at run time (Node ≥ 20.16); TypeError elsewhere, naming what to pass instead. */
export function nodeFs(): NodeFs {
  const lookup = globalThis.process?.getBuiltinModule;
  if (typeof lookup !== "function") throw new TypeError("file paths need Node.js >= 20.16; pass a Blob or a stream");
  return lookup("node:fs/promises") as NodeFs;
}

/** Plaintext of a source as an async iterable of pieces, from the start. */
export async function* readSource(source: FileSource): AsyncGenerator<Uint8Array> {
  if (typeof source === "string") {
    const handle = await nodeFs().open(source, "r");
    try {
      const buffer = new Uint8Array(READ_BYTES);
      for (;;) {
        const { bytesRead } = await handle.read(buffer, 0, READ_BYTES, null);
        if (bytesRead === 0) return;
        yield buffer.subarray(0, bytesRead);
      }
    } finally {
      await handle.close();
    }
  } else if (typeof Blob !== "undefined" && source instanceof Blob) {
    for (let at = 0; at < source.size; at += READ_BYTES) {
      yield new Uint8Array(await source.slice(at, at + READ_BYTES).arrayBuffer());
    }
  } else if (typeof ReadableStream !== "undefined" && source instanceof ReadableStream) {
    yield* readStream(source);
  } else {
    yield* source as AsyncIterable<Uint8Array>;
  }
}

/** A ReadableStream's chunks as an async iterable, for runtimes whose streams are not iterable (Safari, older Chrome). */
export async function* readStream<T>(stream: ReadableStream<T>): AsyncGenerator<T> {
  const reader = stream.getReader();
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) return;
      yield value;
    }
  } finally {
    reader.releaseLock();
  }
}

/** Sources that can be read again from the start (after a rewind or a restart). */
export function rereadable(source: FileSource): boolean {
  return typeof source === "string" || (typeof Blob !== "undefined" && source instanceof Blob);
}

export async function sourceSize(source: FileSource, declared: number | undefined): Promise<number> {
  let actual: number | undefined;
  if (typeof source === "string") actual = (await nodeFs().stat(source)).size;
  else if (typeof Blob !== "undefined" && source instanceof Blob) actual = source.size;
  if (actual !== undefined && declared !== undefined && actual !== declared) throw new RangeError("size does not match the file's size");
  const size = actual ?? declared;
  if (size === undefined) throw new TypeError("sendFile needs options.size for a stream or async iterable");
  attachmentLayout(size);
  return size;
}

const TYPES: Record<string, string> = {
  jpg: "image/jpeg",
  jpeg: "image/jpeg",
  png: "image/png",
  gif: "image/gif",
  webp: "image/webp",
  heic: "image/heic",
  mp4: "video/mp4",
  mov: "video/quicktime",
  webm: "video/webm",
  mp3: "audio/mpeg",
  m4a: "audio/mp4",
  ogg: "audio/ogg",
  pdf: "application/pdf",
  txt: "text/plain",
  zip: "application/zip",
};

export function describeSource(
  source: FileSource,
  options: { readonly fileName?: string; readonly contentType?: string },
): { fileName: string; contentType: string } {
  const file = typeof File !== "undefined" && source instanceof File ? source : undefined;
  const fromPath = typeof source === "string" ? source.split(/[\\/]/).pop() : undefined;
  const fileName = options.fileName ?? file?.name ?? fromPath ?? "file";
  const extension = fileName.includes(".") ? fileName.split(".").pop()?.toLowerCase() : undefined;
  const blobType = typeof Blob !== "undefined" && source instanceof Blob ? source.type : "";
  const contentType = options.contentType ?? (blobType || (extension && TYPES[extension]) || "application/octet-stream");
  return { fileName, contentType };
}
