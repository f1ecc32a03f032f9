/**
 * Serves a directory of static files (the web client's build) for GET/HEAD, with `index.html`
 * for `/` and for paths without an extension (single-page app routes). Paths cannot escape the
 * directory.
 */

import { createReadStream } from "node:fs";
import { stat } from "node:fs/promises";
import type { ServerResponse } from "node:http";
import { extname, join, normalize, sep } from "node:path";

const TYPES: Record<string, string> = {
  ".html": "text/html; charset=utf-8",
  ".js": "text/javascript; charset=utf-8",
  ".css": "text/css; charset=utf-8",
  ".json": "application/json",
  ".svg": "image/svg+xml",
  ".png": "image/png",
  ".ico": "image/x-icon",
  ".wasm": "application/wasm",
  ".txt": "text/plain; charset=utf-8",
};

/** Serves `urlPath` from `root`; false when there is no such file. */
export async function serveStatic(root: string, urlPath: string, res: ServerResponse): Promise<boolean> {
  let relative: string;
  try {
    relative = normalize(decodeURIComponent(urlPath)).replace(/^([/\\])+/, "");
  } catch {
    return false;
  }
  if (relative.split(sep).includes("..")) return false;
  const candidates =
    relative === "" || extname(relative) === "" ? [join(root, relative, "index.html"), join(root, "index.html")] : [join(root, relative)];
  for (const path of candidates) {
    const info = await stat(path).catch(() => undefined);
    if (!info?.isFile()) continue;
    res.writeHead(200, {
      "content-type": TYPES[extname(path)] ?? "application/octet-stream",
      "content-length": info.size,
      "x-content-type-options": "nosniff",
    });
    createReadStream(path).pipe(res);
    return true;
  }
  return false;
}
