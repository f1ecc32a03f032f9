// Registers the service worker once the app has started (after the load event, when the browser
// is idle), so it never competes with the first paint. Not in `vite dev` (no built /sw.js there).
export function registerServiceWorker(): void {
  if (import.meta.env.DEV || !("serviceWorker" in navigator)) return;
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
