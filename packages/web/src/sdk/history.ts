/**
 * Loading a conversation's history in pages into the view store: the newest page when a
 * conversation opens, older pages as the reader scrolls up.
 */
import type { ChatMessage, ParleyClient } from "@parley/protocol/client";
import type { ParleyStore } from "./store.js";

/** Messages per page: about three screens of rows. */
export const PAGE_SIZE = 60;

/** The newest `limit` messages older than `before` (a message id), in arrival order. */
async function page(
  client: ParleyClient,
  conversationId: string,
  before: string | undefined,
): Promise<{ messages: ChatMessage[]; hasOlder: boolean }> {
  const all = await client.messages(conversationId);
  const end = before === undefined ? all.length : all.findIndex((m) => m.id === before);
  const stop = end < 0 ? all.length : end;
  const start = Math.max(0, stop - PAGE_SIZE);
  return { messages: all.slice(start, stop), hasOlder: start > 0 };
}

/** Loads the newest page unless the conversation is already loaded. */
export async function openTimeline(store: ParleyStore, conversationId: string): Promise<void> {
  const client = store.client;
  if (!client || store.getSnapshot().timelines[conversationId]) return;
  store.setTimelineLoading(conversationId, true);
  const { messages, hasOlder } = await page(client, conversationId, undefined);
  store.setTimeline(conversationId, messages, hasOlder, "replace");
}

/** Loads the page before the oldest loaded message; no-op while loading or at the start. */
export async function loadOlder(store: ParleyStore, conversationId: string): Promise<void> {
  const client = store.client;
  const timeline = store.getSnapshot().timelines[conversationId];
  if (!client || !timeline || timeline.loading || !timeline.hasOlder) return;
  store.setTimelineLoading(conversationId, true);
  const { messages, hasOlder } = await page(client, conversationId, timeline.ids[0]);
  store.setTimeline(conversationId, messages, hasOlder, "prepend");
}
