/**
 * Loading a conversation's history in pages into the view store: the newest page when a
 * conversation opens, older pages as the reader scrolls up.
 */
import type { ChatMessage, ParleyClient } from "@parley/protocol/client";
import type { ParleyStore } from "./store.js";

/** Messages per page: about three screens of rows. */
export const PAGE_SIZE = 60;

/**
 * The newest PAGE_SIZE messages older than `before` (a message id), in arrival order. Asks the
 * SDK for one more than a page: if it comes back, older messages exist. The SDK reads only the
 * storage buckets the page needs, so opening a 10,000-message conversation costs one page.
 */
async function page(
  client: ParleyClient,
  conversationId: string,
  before: string | undefined,
): Promise<{ messages: ChatMessage[]; hasOlder: boolean }> {
  const got = await client.messages(conversationId, { limit: PAGE_SIZE + 1, ...(before === undefined ? {} : { before }) });
  const hasOlder = got.length > PAGE_SIZE;
  return { messages: hasOlder ? got.slice(1) : got, hasOlder };
}

/** Loads the newest page unless the conversation is already loaded. */
export async function openTimeline(store: ParleyStore, conversationId: string): Promise<void> {
  const client = store.client;
  if (!client || store.getSnapshot().timelines[conversationId]) return;
  store.setTimelineLoading(conversationId, true);
  try {
    const { messages, hasOlder } = await page(client, conversationId, undefined);
    // Messages that arrived while the page was read are kept after it.
    const arrived = store.getSnapshot().timelines[conversationId]?.ids ?? [];
    const got = new Set(messages.map((m) => m.id));
    const extra = arrived.flatMap((id) => {
      const m = store.getSnapshot().messagesById[id];
      return m && !got.has(id) ? [m] : [];
    });
    store.setTimeline(conversationId, [...messages, ...extra], hasOlder, "replace");
  } catch (error) {
    store.setTimelineLoading(conversationId, false);
    throw error;
  }
}

/** Loads the page before the oldest loaded message; no-op while loading or at the start. */
export async function loadOlder(store: ParleyStore, conversationId: string): Promise<void> {
  const client = store.client;
  const timeline = store.getSnapshot().timelines[conversationId];
  if (!client || !timeline || timeline.loading || !timeline.hasOlder) return;
  store.setTimelineLoading(conversationId, true);
  try {
    const { messages, hasOlder } = await page(client, conversationId, timeline.ids[0]);
    store.setTimeline(conversationId, messages, hasOlder, "prepend");
  } catch (error) {
    store.setTimelineLoading(conversationId, false);
    throw error;
  }
}

/**
 * Loads older pages until `messageId` is in the conversation's loaded timeline (for jumping to a
 * replied-to message); resolves true when it is, false when history ran out first.
 */
export async function loadUntil(store: ParleyStore, conversationId: string, messageId: string): Promise<boolean> {
  for (;;) {
    const timeline = store.getSnapshot().timelines[conversationId];
    if (!timeline) return false;
    if (timeline.ids.includes(messageId)) return true;
    if (!timeline.hasOlder) return false;
    const before = timeline.ids[0];
    if (timeline.loading) await new Promise((resolve) => setTimeout(resolve, 50));
    else await loadOlder(store, conversationId);
    const after = store.getSnapshot().timelines[conversationId];
    if (after && !after.loading && after.ids[0] === before && after.hasOlder) return false;
  }
}
