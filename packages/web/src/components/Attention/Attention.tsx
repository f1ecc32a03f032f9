/**
 * Getting the user's attention, rendered once by the app shell:
 * - the unread total in the tab title ("(3) Parley") and as a badge on the favicon;
 * - a new message in a conversation that is not open, while the page is visible: an in-page
 *   toast (click opens the conversation);
 * - a new message while the page is hidden or another window has the focus: a desktop notification, if the user allowed them
 *   (click focuses the tab and opens the conversation);
 * - a call ringing here (../../calls/call-alerts-hook.ts): the ringtone, ringback and call cues,
 *   "📞 Alice is calling…" in the tab title, and a system notification while the user is elsewhere;
 * - a missed call (the SDK's "Missed … call" line): "Missed call from Alice" as a desktop
 *   notification while the user is elsewhere, else a toast unless its conversation is open.
 *   Other call lines ("Video call · 1:23") are not news: neither toast nor notification;
 * - an error that stays when this browser was removed from the account;
 * - the question whether to allow desktop notifications, asked in the app (never on load) after
 *   the user sent their first message, and only once.
 */
import type { ChatMessage } from "@parley/protocol/client";
import { CloseCode } from "@parley/protocol/wire";
import { useEffect, useState } from "react";
import { conversationPath, navigate, parseRoute, useRoute } from "../../app/router.js";
import { missedCallNotification, ringingTitle } from "../../calls/call-alerts.js";
import { callerText, useCallAlerts } from "../../calls/call-alerts-hook.js";
import { showCallNotification } from "../../calls/call-alerts-notify.js";
import { attentionTitle, faviconUrl, pageUnattended, unreadTotal } from "../../sdk/attention.js";
import { useParley, useViewStore } from "../../sdk/hooks.js";
import {
  markNotificationPromptAnswered,
  messageNotification,
  notificationPermission,
  notificationPromptAnswered,
  showNotification,
} from "../../sdk/notifications.js";
import { conversationTitle, isGroupId, personName } from "../../sdk/selectors.js";
import type { ParleyStore } from "../../sdk/store.js";
import { formatTime } from "../Timeline/format.js";
import { NotificationPrompt } from "./NotificationPrompt.js";

export function Attention() {
  const store = useViewStore();
  const unread = useParley(unreadTotal);
  const route = useRoute();
  const [prompt, setPrompt] = useState(false);
  const removed = useParley((s) => s.connection.state === "closed" && s.connection.code === CloseCode.DeviceRemoved);
  const caller = useCallAlerts();

  // This browser was removed from the account (on the primary device): say so, and that it stays so.
  useEffect(() => {
    if (removed)
      store.toast(
        "error",
        "This browser was removed from your Parley account on your primary device. It can no longer send or receive messages.",
      );
  }, [store, removed]);

  // Title and favicon follow the unread total; while a call rings, the title says who calls.
  useEffect(() => {
    document.title = caller ? ringingTitle(caller) : attentionTitle(unread);
  }, [unread, caller]);
  useEffect(() => setFavicon(unread), [unread]);

  // Opening a conversation clears its message toasts.
  useEffect(() => {
    const id = route.conversationId;
    if (!id) return;
    for (const t of store.getSnapshot().toasts) if (t.kind === "message" && t.conversationId === id) store.dismissToast(t.id);
  }, [store, route.conversationId]);

  // New messages: a toast or a desktop notification; our first sent message: the permission prompt.
  useEffect(() => {
    const client = store.client;
    if (!client) return;
    return client.on("message", (m) => {
      if (m.outgoing) {
        if (m.senderDevice === client.deviceId && notificationPermission() === "default" && !notificationPromptAnswered()) setPrompt(true);
        return;
      }
      if (m.kind === "notice") return;
      if (m.kind === "call") {
        if (m.call?.outcome === "missed") announceMissedCall(store, m);
        return;
      }
      announce(store, m);
    });
  }, [store]);

  if (!prompt) return null;
  return (
    <NotificationPrompt
      onDone={() => {
        markNotificationPromptAnswered();
        setPrompt(false);
      }}
    />
  );
}

/** Tells the user about an incoming message they are not looking at. */
function announce(store: ParleyStore, m: ChatMessage): void {
  const s = store.getSnapshot();
  const conversationId = m.contactId;
  const sender = personName(s, m.sender, conversationId);
  const from = isGroupId(conversationId) ? `${sender} in ${conversationTitle(s, conversationId)}` : conversationTitle(s, conversationId);
  const text = m.deleted ? "Message deleted" : m.kind === "attachment" ? `📎 ${m.attachment?.fileName ?? "A file"}` : m.text;
  const open = () => navigate(conversationPath(conversationId));
  if (pageUnattended()) {
    showNotification(conversationId, messageNotification(from, text), open);
    return;
  }
  if (parseRoute(window.location.pathname).conversationId === conversationId) return;
  // One toast per conversation: a newer message replaces the older toast.
  for (const t of s.toasts) if (t.kind === "message" && t.conversationId === conversationId) store.dismissToast(t.id);
  store.toast("message", `${from}: ${text}`, conversationId);
}

/** Tells the user about a call that rang here unanswered (busy elsewhere, cancelled, timed out). */
function announceMissedCall(store: ParleyStore, m: ChatMessage): void {
  const s = store.getSnapshot();
  const conversationId = m.contactId;
  const content = missedCallNotification(callerText(s, m.sender, conversationId), m.call?.video ?? false, formatTime(m.sentAt));
  const open = () => navigate(conversationPath(conversationId));
  if (pageUnattended()) {
    showCallNotification(`parley:missed:${conversationId}`, content, { requireInteraction: false, onClick: open });
    return;
  }
  if (parseRoute(window.location.pathname).conversationId === conversationId) return;
  store.toast("message", `${content.title} (${content.body})`, conversationId);
}

let originalIcon: string | null | undefined;

/** The page's icon: the app's own when nothing is unread, else one with the count. */
function setFavicon(unread: number): void {
  let link = document.querySelector<HTMLLinkElement>('link[rel="icon"]');
  if (!link) {
    link = document.createElement("link");
    link.rel = "icon";
    document.head.appendChild(link);
  }
  if (originalIcon === undefined) originalIcon = link.getAttribute("href");
  link.type = "image/svg+xml";
  link.href = unread === 0 && originalIcon ? originalIcon : faviconUrl(unread);
}
