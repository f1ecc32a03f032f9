// Registers the service worker once the app has started (after the load event, when the browser
// is idle), so it never competes with the first paint. Not in `vite dev` (no built /sw.js there).
// Also follows the worker's "open this path" message after a push notification is clicked.
// Nothing here may import the worker's modules: a module both bundles use becomes a shared
// chunk, and /sw.js (a classic worker) cannot import one. So the message's shape is repeated
// here: push-notify.ts's OPEN_MESSAGE_TYPE and clickTarget.
import { navigate } from "../app/router.js";

/** The app path in a worker's "open" message, or undefined for any other message or a path not of this app. */
export function openMessagePath(data: unknown): string | undefined {
  const message = data as { type?: unknown; path?: unknown } | null;
  if (message?.type !== "parley:open" || typeof message.path !== "string") return undefined;
  return message.path.startsWith("/") && !message.path.startsWith("//") ? message.path : undefined;
}

function followNotificationClicks(): void {
  navigator.serviceWorker.addEventListener("message", (event: MessageEvent) => {
    // "/" means just the app: the focused tab stays where it is.
    const path = openMessagePath(event.data);
    if (path !== undefined && path !== "/") navigate(path);
  });
}

/** Registers the app's service worker when the browser is idle after load (production builds only). */
export function registerServiceWorker(): void {
  if (import.meta.env.DEV || !("serviceWorker" in navigator)) return;
  followNotificationClicks();
  const register = () => {
    navigator.serviceWorker.register("/sw.js", { scope: "/" }).catch(() => {
      // Offline support is an extra: the app works without it (e.g. in a private window).
    });
  };
  const later = () =>
    "requestIdleCallback" in window ? window.requestIdleCallback(register, { timeout: 3000 }) : setTimeout(register, 1000);
  if (document.readyState === "complete") later();
  else window.addEventListener("load", later, { once: true });
}
