/**
 * System notifications for calls, under the same rules as message notifications
 * (sdk/notifications.ts): only with the browser's permission granted, only while the user is not
 * looking at the page. Unlike a message notification, the one of a ringing call is closed again
 * by the app (the call stopped ringing), so this returns a handle.
 */
import { notificationPermission } from "../sdk/notifications.js";

/** A notification on screen. */
export interface ShownNotification {
  close(): void;
}

/**
 * Shows a notification with `tag` (a newer one with the same tag replaces it); clicking it
 * focuses this tab, closes it and calls `onClick`. `requireInteraction` keeps it up until the user
 * acts, where the browser supports that. Undefined when none could be shown.
 */
export function showCallNotification(
  tag: string,
  content: { readonly title: string; readonly body: string },
  options: { readonly requireInteraction: boolean; readonly onClick?: () => void },
): ShownNotification | undefined {
  if (notificationPermission() !== "granted") return undefined;
  try {
    const note = new Notification(content.title, {
      body: content.body,
      tag,
      icon: "/icon.svg",
      requireInteraction: options.requireInteraction,
    });
    note.onclick = () => {
      window.focus();
      note.close();
      options.onClick?.();
    };
    return { close: () => note.close() };
  } catch {
    // Browsers that allow only service-worker notifications (Chrome on Android) throw here.
    return undefined;
  }
}
