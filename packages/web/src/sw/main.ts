// The service worker (built to /sw.js). Placeholder: H6 adds the offline app shell, H4 the media
// streaming route (./media-stream.ts). Registered by the app once it is ready. The DOM and
// WebWorker type libraries conflict, so the worker scope is typed here (sw-scope.ts).
import { handleMediaFetch } from "./media-stream.js";
import type { SwScope } from "./sw-scope.js";

const sw = globalThis as unknown as SwScope;

sw.addEventListener("install", () => {
  void sw.skipWaiting();
});
sw.addEventListener("activate", (event) => {
  event.waitUntil(sw.clients.claim());
});
sw.addEventListener("fetch", (event) => handleMediaFetch(sw, event));
