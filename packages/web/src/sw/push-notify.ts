// Web Push in the service worker (spec/relay.md §14.3). The relay's push is content-free: its
// payload is `{"t":"mail"}` padded, naming no sender, conversation or text. So the worker never
// reads a name or text from it: every push shows one notification "New message" under one tag,
// which replaces the previous one (a burst leaves one notification, not a pile), and never asks
// the push payload who wrote. Naming the conversation would mean opening the encrypted store and
// running a second client beside a page's (two writers of one ratchet state); the worker does not
// do that, so the notification stays "New message" and the app shows the rest once opened.
// A click focuses an open tab of the app, or opens one, at /unread: the app waits for the mail
// the relay holds, then shows the conversation with the newest unread message (app/OpenUnread.tsx).

/** The one tag every push notification uses, so a new one replaces the old. */
export const PUSH_NOTIFICATION_TAG = "parley-new-message";
/** The notification's title: all a content-free push can say. */
export const PUSH_NOTIFICATION_TITLE = "New message";
/** The message a focused tab gets after a notification click: `{ type, path }`. */
export const OPEN_MESSAGE_TYPE = "parley:open";

/** Where a click on a push notification takes the app: on to the newest unread conversation. */
export const UNREAD_PATH = "/unread";

/** What a notification carries for its click: the app path to open (UNREAD_PATH, "/" or "/c/<id>"). */
export interface PushNotificationData {
  readonly path: string;
}

/** The title and options of the notification shown for any push, whatever its payload. */
export function pushNotification(): { title: string; options: NotificationOptions } {
  const data: PushNotificationData = { path: UNREAD_PATH };
  return {
    title: PUSH_NOTIFICATION_TITLE,
    options: {
      body: "Open Parley to read it.",
      tag: PUSH_NOTIFICATION_TAG,
      // Replacing the earlier notification still alerts once more: a new message did arrive.
      renotify: true,
      icon: "/icon.svg",
      data,
    } as NotificationOptions,
  };
}

/** The app path a clicked notification opens: its own when it is a path of this app, else "/". */
export function clickTarget(data: unknown): string {
  const path = (data as Partial<PushNotificationData> | null | undefined)?.path;
  return typeof path === "string" && path.startsWith("/") && !path.startsWith("//") ? path : "/";
}

/** A window the worker can focus, tell or navigate (the part of WindowClient used). */
export interface AppWindow {
  readonly url: string;
  focus(): Promise<unknown>;
  postMessage(message: unknown): void;
}

/** The clients API as the click handler uses it. */
export interface WindowClients {
  matchAll(options: { type: "window"; includeUncontrolled: boolean }): Promise<readonly AppWindow[]>;
  openWindow(url: string): Promise<unknown>;
}

/**
 * Handles a click on a push notification: focuses the first open tab of the app (same origin)
 * and tells it which path to show, or opens the app at that path when no tab is open.
 */
export async function openFromNotification(clients: WindowClients, origin: string, data: unknown): Promise<void> {
  const path = clickTarget(data);
  const windows = await clients.matchAll({ type: "window", includeUncontrolled: true });
  const open = windows.find((w) => new URL(w.url).origin === origin);
  if (open) {
    await open.focus();
    open.postMessage({ type: OPEN_MESSAGE_TYPE, path });
    return;
  }
  await clients.openWindow(new URL(path, origin).href);
}
