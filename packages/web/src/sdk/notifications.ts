/**
 * Desktop notifications: the permission (asked only when the user says yes in the app's own
 * prompt, never on load), what a notification shows (a non-secret UI preference kept in
 * localStorage: the sender only, or the sender and the text), and showing one.
 */

const PREVIEW_KEY = "parley.notifications.preview";
const ASKED_KEY = "parley.notifications.asked";

/** What a desktop notification shows: `sender` (default: title "Alice", body "New message") or `text`. */
export type NotificationPreview = "sender" | "text";

export function notificationPreview(): NotificationPreview {
  try {
    return localStorage.getItem(PREVIEW_KEY) === "text" ? "text" : "sender";
  } catch {
    return "sender";
  }
}

export function setNotificationPreview(preview: NotificationPreview): void {
  try {
    localStorage.setItem(PREVIEW_KEY, preview);
  } catch {
    // Private mode without storage: the default stays.
  }
}

/** The browser's permission, or "unsupported". */
export function notificationPermission(): NotificationPermission | "unsupported" {
  return typeof Notification === "undefined" ? "unsupported" : Notification.permission;
}

/** True once the user answered our prompt (either way): it is not shown again. */
export function notificationPromptAnswered(): boolean {
  try {
    return localStorage.getItem(ASKED_KEY) === "1";
  } catch {
    return true;
  }
}

export function markNotificationPromptAnswered(): void {
  try {
    localStorage.setItem(ASKED_KEY, "1");
  } catch {
    // Nothing to remember it in: the prompt may come back next time.
  }
}

/** Asks the browser for permission (call from a click); resolves with the answer. */
export async function requestNotificationPermission(): Promise<NotificationPermission | "unsupported"> {
  if (typeof Notification === "undefined") return "unsupported";
  try {
    return await Notification.requestPermission();
  } catch {
    return Notification.permission;
  }
}

/** The title and body of a message notification under the user's preference. */
export function messageNotification(sender: string, text: string, preview = notificationPreview()): { title: string; body: string } {
  if (preview === "text") return { title: sender, body: text };
  return { title: sender, body: "New message" };
}

/**
 * Shows a desktop notification for a conversation when permitted; one per conversation at a time
 * (a newer one replaces it). Clicking it focuses this tab and calls `onClick`. Returns false when
 * none could be shown.
 */
export function showNotification(
  conversationId: string,
  content: { readonly title: string; readonly body: string },
  onClick: () => void,
): boolean {
  if (notificationPermission() !== "granted") return false;
  try {
    const note = new Notification(content.title, { body: content.body, tag: `parley:${conversationId}`, icon: "/icon.svg" });
    note.onclick = () => {
      window.focus();
      onClick();
      note.close();
    };
    return true;
  } catch {
    return false;
  }
}
