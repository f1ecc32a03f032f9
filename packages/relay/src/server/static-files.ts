/**
 * Serves a directory of static files (the web client's build) for GET/HEAD, with `index.html`
 * for `/` and for paths without an extension (single-page app routes). Paths cannot escape the
 * directory.
 *
 * Every response carries the web client's security headers: a strict Content-Security-Policy
 * (no inline script or style, WebAssembly compilation allowed for libsodium, connections only to
 * this origin — CSP3 `'self'` also matches `ws:`/`wss:` on the same host and port), no referrer,
 * no MIME sniffing, no framing, a same-origin opener policy and a Permissions-Policy that allows
 * only the camera (QR scanning) for this origin. Caching: content-hashed `/assets/*` are immutable
 * for a year; the HTML, the service worker, its precache list and the manifest are revalidated on
 * every load (`no-cache` with an ETag) so an update reaches people on their next visit.
 */

import { createReadStream } from "node:fs";
import { stat } from "node:fs/promises";
import type { ServerResponse } from "node:http";
import { extname, join, normalize, sep } from "node:path";

const TYPES: Record<string, string> = {
  ".html": "text/html; charset=utf-8",
  ".js": "text/javascript; charset=utf-8",
  ".mjs": "text/javascript; charset=utf-8",
  ".css": "text/css; charset=utf-8",
  ".json": "application/json",
  ".webmanifest": "application/manifest+json",
  ".map": "application/json",
  ".svg": "image/svg+xml",
  ".png": "image/png",
  ".webp": "image/webp",
  ".jpg": "image/jpeg",
  ".ico": "image/x-icon",
  ".wasm": "application/wasm",
  ".mp4": "video/mp4",
  ".webm": "video/webm",
  ".woff2": "font/woff2",
  ".txt": "text/plain; charset=utf-8",
};

/** The Content-Security-Policy of the web client (and its service worker). */
export const CONTENT_SECURITY_POLICY = [
  "default-src 'self'",
  "script-src 'self' 'wasm-unsafe-eval'",
  "style-src 'self'",
  "img-src 'self' blob: data:",
  "media-src 'self' blob:",
  "connect-src 'self'",
  "font-src 'self'",
  "worker-src 'self'",
  "manifest-src 'self'",
  "object-src 'none'",
  "base-uri 'none'",
  "frame-ancestors 'none'",
  "form-action 'self'",
].join("; ");

/** Browser features the page may use: camera (QR scanning, video calls), microphone and screen capture (calls), nothing else. */
export const PERMISSIONS_POLICY =
  "camera=(self), microphone=(self), display-capture=(self), geolocation=(), payment=(), usb=(), serial=(), midi=()";

/** Headers on every static response. */
export const SECURITY_HEADERS: Readonly<Record<string, string>> = {
  "content-security-policy": CONTENT_SECURITY_POLICY,
  "referrer-policy": "no-referrer",
  "x-content-type-options": "nosniff",
  "x-frame-options": "DENY",
  "permissions-policy": PERMISSIONS_POLICY,
  "cross-origin-opener-policy": "same-origin",
  "cross-origin-resource-policy": "same-origin",
};

const IMMUTABLE = "public, max-age=31536000, immutable";
const REVALIDATE = "no-cache";
const SHORT = "public, max-age=3600";

/** How long a browser may keep `relative` (a path inside the served directory, `/`-separated or not). */
export function cacheControl(relative: string): string {
  const posix = relative.split(sep).join("/");
  if (posix.startsWith("assets/")) return IMMUTABLE;
  const ext = extname(posix);
  if (ext === ".html" || ext === ".webmanifest" || ext === ".json" || posix === "sw.js") return REVALIDATE;
  return SHORT;
}

/** Serves `urlPath` from `root`; false when there is no such file. */
/** Paths the relay answers itself (spec/relay.md): never served from the static directory. */
const RELAY_PATHS = ["metrics", "healthz", "blobs", "push"];

export async function serveStatic(
  root: string,
  urlPath: string,
  res: ServerResponse,
  requestHeaders: { readonly "if-none-match"?: string | undefined } = {},
): Promise<boolean> {
  let relative: string;
  try {
    relative = normalize(decodeURIComponent(urlPath)).replace(/^([/\\])+/, "");
  } catch {
    return false;
  }
  if (relative.split(sep).includes("..")) return false;
  // The relay's own endpoints never fall back to the app: a /metrics moved to the admin port,
  // or a mistyped blob URL, must stay a 404 rather than become the app's index.html.
  if (RELAY_PATHS.some((prefix) => relative === prefix || relative.startsWith(`${prefix}/`))) return false;
  const candidates = relative === "" || extname(relative) === "" ? [join(relative, "index.html"), "index.html"] : [relative];
  for (const file of candidates) {
    const path = join(root, file);
    const info = await stat(path).catch(() => undefined);
    if (!info?.isFile()) continue;
    const etag = `"${info.size.toString(36)}-${Math.floor(info.mtimeMs).toString(36)}"`;
    const headers = {
      ...SECURITY_HEADERS,
      "cache-control": cacheControl(file),
      etag,
    };
    if (requestHeaders["if-none-match"] === etag) {
      res.writeHead(304, headers);
      res.end();
      return true;
    }
    res.writeHead(200, {
      ...headers,
      "content-type": TYPES[extname(path)] ?? "application/octet-stream",
      "content-length": info.size,
    });
    createReadStream(path).pipe(res);
    return true;
  }
  return false;
}
