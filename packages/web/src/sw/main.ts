// The service worker (built unhashed to /sw.js). It keeps the app shell available offline:
// - install: precaches index.html and the built assets (the list is written into this file at
//   build time by vite.config.ts's precache plugin; see shell-cache.ts);
// - navigations: network first, the cached index.html when the network fails;
// - /assets/* (content-hashed, immutable): cache first;
// - never caches the relay's API, blobs, WebSocket or anything cross-origin (see shell-cache.ts).
// A new version takes over at once (skipWaiting + claim) and drops the old shell cache, so the
// next load runs it. It also streams verified attachment plaintext from the page to <video>
// (/parley-media/<id>, ./media-stream.ts): that listener goes first, so it answers its own paths.
// Web Push (push-notify.ts): every push shows one content-free "New message" notification under
// one tag; a click focuses an open tab of the app or opens it.
// The DOM and WebWorker type libraries conflict, so the worker scope is typed here (sw-scope.ts).
import { handleMediaFetch } from "./media-stream.js";
import { openFromNotification, pushNotification } from "./push-notify.js";
import { handleShellFetch, installShell, pruneShellCaches, SHELL_VERSION } from "./shell-cache.js";
import type { SwScope } from "./sw-scope.js";

const sw = globalThis as unknown as SwScope;

sw.addEventListener("install", (event) => {
  event.waitUntil(installShell().then(() => sw.skipWaiting()));
});
sw.addEventListener("activate", (event) => {
  event.waitUntil(pruneShellCaches().then(() => sw.clients.claim()));
});
sw.addEventListener("message", (event) => {
  if (event.data === "parley:version") event.ports[0]?.postMessage(SHELL_VERSION);
});
sw.addEventListener("fetch", (event) => handleMediaFetch(sw, event));
sw.addEventListener("fetch", (event) => {
  handleShellFetch(event, sw.location.origin);
});
sw.addEventListener("push", (event) => {
  // The payload is content-free by design (spec/relay.md §14.3) and is not read.
  const { title, options } = pushNotification();
  event.waitUntil(sw.registration.showNotification(title, options));
});
sw.addEventListener("notificationclick", (event) => {
  event.notification.close();
  event.waitUntil(openFromNotification(sw.clients, sw.location.origin, event.notification.data));
});
