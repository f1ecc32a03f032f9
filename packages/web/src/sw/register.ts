// Registers the service worker once the app has started (after the load event, when the browser
// is idle), so it never competes with the first paint. Not in `vite dev` (no built /sw.js there).
// Also follows the worker's "open this path" message after a push notification is clicked.
import { navigate } from "../app/router.js";
import { clickTarget, OPEN_MESSAGE_TYPE } from "./push-notify.js";

function followNotificationClicks(): void {
  navigator.serviceWorker.addEventListener("message", (event: MessageEvent) => {
    const data = event.data as { type?: unknown; path?: unknown } | null;
    if (data?.type !== OPEN_MESSAGE_TYPE) return;
    // "/" means just the app: the focused tab stays where it is.
    const path = clickTarget(data);
    if (path !== "/") navigate(path);
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
