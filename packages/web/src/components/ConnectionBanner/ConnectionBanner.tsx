/**
 * A thin line above the app when the relay connection is not open: "Offline" (the browser has no
 * network), "Reconnecting…" (the client is dialling again), then "Connected again" for a few
 * seconds. The connection is the truth: while it is open the banner says nothing, whatever
 * `navigator.onLine` claims (a relay on this machine or the local network is reachable without
 * "the internet"). One `role="status"` region that stays in the DOM, so screen readers hear each change
 * once and politely; nothing shows while connected.
 */
import { useEffect, useRef, useState, useSyncExternalStore } from "react";
import { useParley } from "../../sdk/hooks.js";
import styles from "./ConnectionBanner.module.css";

/** How long "Connected again" stays. */
export const RECONNECTED_MS = 3_000;

function subscribeOnline(listener: () => void): () => void {
  window.addEventListener("online", listener);
  window.addEventListener("offline", listener);
  return () => {
    window.removeEventListener("online", listener);
    window.removeEventListener("offline", listener);
  };
}

const isOnline = () => navigator.onLine;

export type BannerState = "hidden" | "offline" | "reconnecting" | "reconnected";

/**
 * Which line shows (pure, for tests): `connected` is the relay connection's state, `online` the
 * browser's guess, `wasUp` whether the connection has been open since start, `reconnected`
 * whether it came back less than {@link RECONNECTED_MS} ago.
 */
export function bannerState(connected: boolean, online: boolean, wasUp: boolean, reconnected: boolean): BannerState {
  if (connected) return reconnected ? "reconnected" : "hidden";
  if (!online) return "offline";
  return wasUp ? "reconnecting" : "hidden";
}

/** What the banner says for a connection state (pure, for tests). */
export function bannerText(state: BannerState): string {
  switch (state) {
    case "offline":
      return "You are offline. Messages you send will go out when you are back.";
    case "reconnecting":
      return "Reconnecting to the relay…";
    case "reconnected":
      return "Connected again.";
    default:
      return "";
  }
}

export function ConnectionBanner() {
  const state = useParley((s) => s.connection.state);
  const online = useSyncExternalStore(subscribeOnline, isOnline, () => true);
  // "Reconnecting" and "Connected again" only after the connection had been up once; the first
  // connect after start is not news.
  const wasUp = useRef(false);
  const wasDown = useRef(false);
  const [reconnected, setReconnected] = useState(false);

  const down = state !== "ready";
  useEffect(() => {
    if (down) {
      wasDown.current = wasUp.current;
      setReconnected(false);
      return;
    }
    wasUp.current = true;
    if (!wasDown.current) return;
    wasDown.current = false;
    setReconnected(true);
    const timer = setTimeout(() => setReconnected(false), RECONNECTED_MS);
    return () => clearTimeout(timer);
  }, [down]);

  const shown = bannerState(!down, online, wasUp.current, reconnected);
  return (
    <div role="status" className={styles.banner} data-state={shown}>
      {bannerText(shown)}
    </div>
  );
}
