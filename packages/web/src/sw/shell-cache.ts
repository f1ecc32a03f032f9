// The offline app shell: which URLs the service worker precaches and how it answers requests.
// Kept apart from main.ts so that file stays a short list of listeners.

/**
 * The app shell's URLs, written in at build time (vite.config.ts `precacheManifest()` replaces the
 * placeholder string with a JSON array). In `vite dev` it stays the placeholder: nothing precached.
 */
const MANIFEST = "__PARLEY_PRECACHE_MANIFEST__";
/** Changes whenever any precached file does (hash of the hashed names and index.html). */
export const SHELL_VERSION = "__PARLEY_PRECACHE_VERSION__";

const PREFIX = "parley-shell-";
const CACHE = PREFIX + SHELL_VERSION;

/** The precache list (empty when the build did not fill it in). */
export function precacheUrls(manifest: string = MANIFEST): readonly string[] {
  if (manifest.startsWith("__")) return [];
  const parsed: unknown = JSON.parse(manifest);
  return Array.isArray(parsed) ? parsed.filter((u): u is string => typeof u === "string") : [];
}

/** Relay endpoints and anything else that must always go to the network and never be stored. */
export function isNeverCached(pathname: string): boolean {
  return (
    pathname.startsWith("/blobs/") ||
    pathname.startsWith("/parley-media/") ||
    pathname === "/healthz" ||
    pathname === "/metrics" ||
    pathname === "/sw.js"
  );
}

export async function installShell(): Promise<void> {
  const urls = precacheUrls();
  if (urls.length === 0) return;
  const cache = await caches.open(CACHE);
  // `cache: "reload"`: straight from the relay, not from the HTTP cache of an older version.
  await cache.addAll(urls.map((url) => new Request(url, { cache: "reload" })));
}

export async function pruneShellCaches(): Promise<void> {
  const names = await caches.keys();
  await Promise.all(names.filter((n) => n.startsWith(PREFIX) && n !== CACHE).map((n) => caches.delete(n)));
}

interface FetchLike {
  readonly request: Request;
  respondWith(response: Response | Promise<Response>): void;
}

/** Answers shell requests; leaves everything else to the network untouched. */
export function handleShellFetch(event: FetchLike, origin: string): void {
  const { request } = event;
  if (request.method !== "GET") return;
  const url = new URL(request.url);
  if (url.origin !== origin || isNeverCached(url.pathname)) return;
  if (request.mode === "navigate") {
    event.respondWith(networkFirstShell(request));
    return;
  }
  if (url.pathname.startsWith("/assets/")) {
    event.respondWith(cacheFirst(request));
    return;
  }
  if (precacheUrls().includes(url.pathname)) event.respondWith(networkFirst(request));
}

async function networkFirstShell(request: Request): Promise<Response> {
  try {
    const response = await fetch(request);
    if (response.ok) {
      const cache = await caches.open(CACHE);
      await cache.put("/", response.clone());
    }
    return response;
  } catch (error) {
    const cached = await caches.match("/", { cacheName: CACHE });
    if (cached) return cached;
    throw error;
  }
}

async function networkFirst(request: Request): Promise<Response> {
  try {
    return await fetch(request);
  } catch (error) {
    const cached = await caches.match(request, { cacheName: CACHE });
    if (cached) return cached;
    throw error;
  }
}

async function cacheFirst(request: Request): Promise<Response> {
  const cache = await caches.open(CACHE);
  const cached = await cache.match(request);
  if (cached) return cached;
  const response = await fetch(request);
  if (response.ok) await cache.put(request, response.clone());
  return response;
}
