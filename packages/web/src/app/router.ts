/**
 * A tiny history-API router: the path is the state. `/`, `/c/<conversation id>`,
 * `/c/<id>/info`, `/c/<id>/verify`, `/new-group`, `/settings`, `/settings/devices`, `/link`, and
 * `/unread` (where a push notification's click lands: it goes on to the newest unread conversation).
 * The relay serves index.html for any path without an extension, so every route survives a reload.
 */
import { useSyncExternalStore } from "react";

export interface Route {
  readonly name: "home" | "conversation" | "info" | "verify" | "newGroup" | "settings" | "devices" | "link" | "unread" | "notFound";
  /** The conversation id for conversation, info and verify. */
  readonly conversationId?: string;
}

const listeners = new Set<() => void>();

function notify(): void {
  for (const listener of [...listeners]) listener();
}

if (typeof window !== "undefined") window.addEventListener("popstate", notify);

/** Parses a path into a route. */
export function parseRoute(path: string): Route {
  const parts = path.split("/").filter(Boolean);
  if (parts.length === 0) return { name: "home" };
  if (parts[0] === "c" && parts[1]) {
    let conversationId: string;
    try {
      conversationId = decodeURIComponent(parts[1]);
    } catch {
      return { name: "notFound" };
    }
    if (parts.length === 2) return { name: "conversation", conversationId };
    if (parts[2] === "info" && parts.length === 3) return { name: "info", conversationId };
    if (parts[2] === "verify" && parts.length === 3) return { name: "verify", conversationId };
    return { name: "notFound" };
  }
  if (parts.length === 1 && parts[0] === "new-group") return { name: "newGroup" };
  if (parts.length === 1 && parts[0] === "settings") return { name: "settings" };
  if (parts.length === 2 && parts[0] === "settings" && parts[1] === "devices") return { name: "devices" };
  if (parts.length === 1 && parts[0] === "link") return { name: "link" };
  if (parts.length === 1 && parts[0] === "unread") return { name: "unread" };
  return { name: "notFound" };
}

/** The path of a conversation (or one of its sub-pages). */
export function conversationPath(conversationId: string, sub?: "info" | "verify"): string {
  return `/c/${encodeURIComponent(conversationId)}${sub ? `/${sub}` : ""}`;
}

/** Goes to `path`, pushing a history entry (or replacing the current one). */
export function navigate(path: string, options: { replace?: boolean } = {}): void {
  if (path === window.location.pathname) return;
  if (options.replace) window.history.replaceState(null, "", path);
  else window.history.pushState(null, "", path);
  notify();
}

let cachedPath = "";
let cachedRoute: Route = { name: "home" };

function current(): Route {
  const path = window.location.pathname;
  if (path !== cachedPath) {
    cachedPath = path;
    cachedRoute = parseRoute(path);
  }
  return cachedRoute;
}

function subscribe(listener: () => void): () => void {
  listeners.add(listener);
  return () => listeners.delete(listener);
}

export function useRoute(): Route {
  return useSyncExternalStore(subscribe, current, current);
}
