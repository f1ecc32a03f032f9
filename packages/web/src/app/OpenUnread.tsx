/**
 * The `/unread` route, where a click on a push notification lands. The push names no
 * conversation (it is content-free), so the app finds it: once every message queued at the
 * relay has arrived (`synced`), it goes on to the conversation with the newest unread message,
 * or to the conversation list when nothing is unread. It replaces its own history entry, so Back
 * does not return here. If the relay cannot be reached within OPEN_UNREAD_WAIT_MS, it goes to
 * the list, which shows the connection state.
 */
import type { ConversationSummary } from "@parley/protocol/client";
import { useEffect } from "react";
import { useParley, useViewStore } from "../sdk/hooks.js";
import styles from "./App.module.css";
import { conversationPath, navigate } from "./router.js";

/** How long `/unread` waits for the relay's queued messages before showing the list. */
export const OPEN_UNREAD_WAIT_MS = 15_000;

/** The conversation to open: the one whose unread messages are newest, if any is unread. */
export function newestUnread(conversations: readonly ConversationSummary[]): ConversationSummary | undefined {
  let best: ConversationSummary | undefined;
  for (const c of conversations) {
    if (c.unread > 0 && (best === undefined || (c.lastActivity ?? 0) > (best.lastActivity ?? 0))) best = c;
  }
  return best;
}

export function OpenUnread() {
  const view = useViewStore();
  const synced = useParley((s) => s.synced);
  useEffect(() => {
    const timer = setTimeout(() => navigate("/", { replace: true }), OPEN_UNREAD_WAIT_MS);
    return () => clearTimeout(timer);
  }, []);
  useEffect(() => {
    const client = view.client;
    if (!synced || !client) return;
    let live = true;
    client.conversations().then(
      (list) => {
        if (!live) return;
        const target = newestUnread(list);
        navigate(target ? conversationPath(target.id) : "/", { replace: true });
      },
      () => live && navigate("/", { replace: true }),
    );
    return () => {
      live = false;
    };
  }, [synced, view]);
  return (
    <p className={styles.empty} role="status">
      Opening your new message…
    </p>
  );
}
