/**
 * A conversation's history, virtualised (react-virtuoso): starts at the newest message, loads
 * older pages when the reader reaches the top (prepended with `firstItemIndex`, so the view does
 * not move), follows new messages only at the live edge, and otherwise offers "N new ↓". Rows
 * are memoized MessageRows fed ids; one row holds tabIndex 0 (roving focus, Arrow/Home/End).
 * Incoming messages in view are marked read only while the page is visible and focused
 * (sdk/visibility.ts), throttled; incoming bursts are announced politely, own sends never.
 */
import { forwardRef, type HTMLAttributes, useCallback, useEffect, useImperativeHandle, useMemo, useRef, useState } from "react";
import { type ItemProps, Virtuoso, type VirtuosoHandle } from "react-virtuoso";
import { ErrorBoundary } from "../../app/ErrorBoundary.js";
import { useActions, useParley, useViewStore } from "../../sdk/hooks.js";
import { personName } from "../../sdk/selectors.js";
import { isAttentive, onAttentionChange } from "../../sdk/visibility.js";
import { MessageRow, type RowCallbacks } from "../MessageRow/MessageRow.js";
import { announce } from "./Announcer.js";
import styles from "./Timeline.module.css";

/** Virtuoso needs a positive first index that only ever decreases as older pages are prepended. */
const START_INDEX = 1_000_000;
const READ_THROTTLE_MS = 500;
const ANNOUNCE_BURST_MS = 1_200;
const EMPTY: readonly string[] = [];

export interface TimelineHandle {
  /** Scrolls to `messageId` (loading older pages until found), highlights and focuses it. */
  jumpTo(messageId: string): Promise<boolean>;
  /** Scrolls to the newest message. */
  toBottom(): void;
}

export interface TimelineProps {
  readonly conversationId: string;
  /** For the list's accessible name: "Messages with Alice". */
  readonly title: string;
  readonly onReply: (id: string) => void;
  readonly onEdit: (id: string) => void;
  readonly onError: (error: unknown) => void;
}

const List = forwardRef<HTMLDivElement, HTMLAttributes<HTMLDivElement> & { context?: unknown }>(function List({ context, ...props }, ref) {
  const label = (context as { label?: string } | undefined)?.label;
  // biome-ignore lint/a11y/useSemanticElements: react-virtuoso renders div items; <ul> would need <li> children.
  return <div {...props} ref={ref} role="list" aria-label={label} />;
});

interface ListContext {
  readonly label: string;
  readonly loading: boolean;
  readonly hasOlder: boolean;
}

function Header({ context }: { context?: ListContext }) {
  return (
    <p className={styles.edge}>
      {context?.loading ? "Loading older messages…" : context?.hasOlder ? "" : "This is the beginning of the conversation."}
    </p>
  );
}

function Footer() {
  return <div className={styles.footer} />;
}

function Item({ item: _item, context: _context, ...props }: ItemProps<string> & { context?: unknown }) {
  return <div {...props} role="none" />;
}

export const Timeline = forwardRef<TimelineHandle, TimelineProps>(function Timeline(
  { conversationId, title, onReply, onEdit, onError },
  ref,
) {
  const store = useViewStore();
  const actions = useActions();
  const timeline = useParley((s) => s.timelines[conversationId]);
  const ids = timeline?.ids ?? EMPTY;
  const virtuoso = useRef<VirtuosoHandle>(null);
  const [atBottom, setAtBottom] = useState(true);
  const [activeId, setActiveId] = useState<string>();
  const [flashId, setFlashId] = useState<string>();
  const [anchorId, setAnchorId] = useState<string>();

  // firstItemIndex: lowered by the number of messages prepended before the previous first one.
  const first = useRef<{ id: string | undefined; index: number }>({ id: undefined, index: START_INDEX });
  if (ids.length > 0 && ids[0] !== first.current.id) {
    const k = first.current.id === undefined ? -1 : ids.indexOf(first.current.id);
    first.current = { id: ids[0], index: k > 0 ? first.current.index - k : first.current.index };
  }
  const firstItemIndex = first.current.index;
  const idsRef = useRef(ids);
  idsRef.current = ids;

  // "N new ↓": incoming messages after the last one seen at the live edge.
  const newCount = useParley((s) => {
    if (atBottom || !anchorId) return 0;
    const at = ids.indexOf(anchorId);
    if (at < 0) return 0;
    return ids.slice(at + 1).filter((id) => {
      const m = s.messagesById[id];
      return m && !m.outgoing && m.kind !== "notice";
    }).length;
  });

  const onBottomChange = useCallback((bottom: boolean) => {
    setAtBottom(bottom);
    setAnchorId(bottom ? undefined : idsRef.current.at(-1));
  }, []);

  // Own sends scroll to the newest message even when scrolled up (you see what you sent).
  const lastId = ids.at(-1);
  const lastSeenLast = useRef(lastId);
  useEffect(() => {
    if (lastId === lastSeenLast.current) return;
    const prevLast = lastSeenLast.current;
    lastSeenLast.current = lastId;
    if (!lastId || prevLast === undefined) return;
    const m = store.getSnapshot().messagesById[lastId];
    if (m?.outgoing && m.status === "pending") virtuoso.current?.scrollToIndex({ index: "LAST", align: "end" });
  }, [lastId, store]);

  // Announce incoming messages (appended at the end, not older pages), summarised per burst.
  const announced = useRef<{ last: string | undefined; pending: string[]; timer?: ReturnType<typeof setTimeout> | undefined }>({
    last: lastId,
    pending: [],
  });
  useEffect(() => {
    const a = announced.current;
    if (!lastId || lastId === a.last) return;
    const from = a.last ? ids.indexOf(a.last) + 1 : ids.length;
    a.last = lastId;
    const s = store.getSnapshot();
    for (const id of ids.slice(Math.max(0, from))) {
      const m = s.messagesById[id];
      if (m && !m.outgoing && m.kind !== "notice") a.pending.push(id);
    }
    if (a.pending.length === 0 || a.timer) return;
    a.timer = setTimeout(() => {
      a.timer = undefined;
      const snap = store.getSnapshot();
      const msgs = a.pending.flatMap((id) => snap.messagesById[id] ?? []);
      a.pending = [];
      if (msgs.length === 0) return;
      const senders = [...new Set(msgs.map((m) => personName(snap, m.sender, conversationId)))];
      const one = msgs[0];
      if (msgs.length === 1 && one) announce(`${senders[0]}: ${one.deleted ? "Message deleted" : one.text || "sent a file"}`);
      else announce(`${msgs.length} new messages from ${senders.join(", ")}`);
    }, ANNOUNCE_BURST_MS);
  }, [ids, lastId, store, conversationId]);
  useEffect(
    () => () => {
      const a = announced.current;
      clearTimeout(a.timer);
      a.timer = undefined;
      a.pending = [];
    },
    [],
  );

  // Mark read: incoming unread messages in view, while attentive, at most every 500 ms. A mark
  // still waiting when the conversation is left (or the page hidden or unloaded) is sent at once,
  // so a message that was on screen does not stay unread because the reader was quick.
  const range = useRef({ start: 0, end: -1 });
  const readTimer = useRef<ReturnType<typeof setTimeout>>(undefined);
  const requested = useRef(new Set<string>());
  // Whether the page was attentive while the waiting mark waited: a mark sent on leaving counts
  // only then (leaving itself usually ends the attention: blur, hidden tab).
  const scheduledAttentive = useRef(false);
  const flushRead = useCallback(
    (leaving = false) => {
      clearTimeout(readTimer.current);
      readTimer.current = undefined;
      if (!isAttentive() && !(leaving && scheduledAttentive.current)) return;
      const s = store.getSnapshot();
      const visible = idsRef.current.slice(Math.max(0, range.current.start), range.current.end + 1);
      const unread = visible.filter((id) => {
        const m = s.messagesById[id];
        return m && !m.outgoing && m.status === "received" && m.kind !== "notice" && !requested.current.has(id);
      });
      if (unread.length === 0) return;
      for (const id of unread) requested.current.add(id);
      actions.markRead(conversationId, unread).catch(() => {
        for (const id of unread) requested.current.delete(id);
      });
    },
    [actions, conversationId, store],
  );
  const markVisibleRead = useCallback(() => {
    if (readTimer.current === undefined) {
      scheduledAttentive.current = false;
      readTimer.current = setTimeout(() => flushRead(), READ_THROTTLE_MS);
    }
    if (isAttentive()) scheduledAttentive.current = true;
  }, [flushRead]);
  useEffect(() => {
    const flushPending = () => {
      if (readTimer.current !== undefined) flushRead(true);
    };
    // Losing attention (blur, another tab), "pagehide" (reload, close, navigation) and leaving
    // the conversation send the waiting mark.
    const stopAttention = onAttentionChange((attentive) => (attentive ? markVisibleRead() : flushPending()));
    window.addEventListener("pagehide", flushPending);
    return () => {
      stopAttention();
      window.removeEventListener("pagehide", flushPending);
      flushPending();
      // Reset the ref, not only the timer: a remount (StrictMode, Suspense) reuses it.
      readTimer.current = undefined;
    };
  }, [flushRead, markVisibleRead]);
  const unreadInView = useParley((s) => ids.some((id) => s.messagesById[id]?.status === "received"));
  useEffect(() => {
    if (unreadInView) markVisibleRead();
  }, [unreadInView, markVisibleRead]);

  const focusRow = useCallback((id: string) => {
    const index = idsRef.current.indexOf(id);
    if (index < 0) return;
    setActiveId(id);
    virtuoso.current?.scrollIntoView({ index, align: "center" });
    let tries = 0;
    const tryFocus = () => {
      const el = document.querySelector<HTMLElement>(`[data-message-id="${CSS.escape(id)}"]`);
      if (el) el.focus();
      else if (tries++ < 10) requestAnimationFrame(tryFocus);
    };
    requestAnimationFrame(tryFocus);
  }, []);

  const jumpTo = useCallback(
    async (messageId: string): Promise<boolean> => {
      const found = idsRef.current.includes(messageId) || (await actions.loadUntil(conversationId, messageId));
      if (!found) {
        announce("The original message is not in this conversation's history.");
        return false;
      }
      // Let the prepended rows render before scrolling to one of them.
      await new Promise((r) => requestAnimationFrame(r));
      const index = idsRef.current.indexOf(messageId);
      virtuoso.current?.scrollToIndex({ index, align: "center" });
      setFlashId(messageId);
      setTimeout(() => setFlashId((f) => (f === messageId ? undefined : f)), 2_000);
      focusRow(messageId);
      return true;
    },
    [actions, conversationId, focusRow],
  );

  useImperativeHandle(
    ref,
    () => ({
      jumpTo,
      toBottom: () => virtuoso.current?.scrollToIndex({ index: "LAST", align: "end" }),
    }),
    [jumpTo],
  );

  const callbacks = useMemo<RowCallbacks>(
    () => ({
      onReply,
      onEdit,
      onError,
      onJump: (id) => void jumpTo(id),
      onFocusRow: setActiveId,
      onMove: (id, to) => {
        const list = idsRef.current;
        const i = list.indexOf(id);
        const next = to === "prev" ? list[i - 1] : to === "next" ? list[i + 1] : to === "first" ? list[0] : list.at(-1);
        if (next) focusRow(next);
      },
    }),
    [onReply, onEdit, onError, jumpTo, focusRow],
  );

  const active = activeId && ids.includes(activeId) ? activeId : ids.at(-1);
  const loadingOlder = timeline?.loading ?? false;
  const hasOlder = timeline?.hasOlder ?? false;
  const context = useMemo<ListContext>(
    () => ({ label: `Messages with ${title}`, loading: loadingOlder, hasOlder }),
    [title, loadingOlder, hasOlder],
  );
  // The list mounts once the first page is in (messages arriving meanwhile are merged into it),
  // and stays mounted while older pages load.
  const shown = useRef(false);
  if (timeline !== undefined && !timeline.loading) shown.current = true;
  const loaded = shown.current;

  if (!loaded) return <p className={styles.placeholder}>Loading messages…</p>;
  if (ids.length === 0)
    return (
      <p className={styles.placeholder} role="status">
        No messages yet. Say hello!
      </p>
    );

  return (
    <div className={styles.wrap}>
      <Virtuoso<string, ListContext>
        key={conversationId}
        ref={virtuoso}
        className={styles.scroller}
        data={ids}
        context={context}
        firstItemIndex={firstItemIndex}
        initialTopMostItemIndex={ids.length - 1}
        computeItemKey={(_, id) => id}
        increaseViewportBy={{ top: 600, bottom: 300 }}
        alignToBottom
        followOutput={(bottom) => (bottom ? "auto" : false)}
        atBottomThreshold={60}
        atBottomStateChange={onBottomChange}
        startReached={() => {
          if (timeline?.hasOlder) actions.loadOlder(conversationId).catch(onError);
        }}
        rangeChanged={(r) => {
          range.current = { start: r.startIndex - first.current.index, end: r.endIndex - first.current.index };
          markVisibleRead();
        }}
        components={{
          List,
          Item,
          Header,
          Footer,
        }}
        itemContent={(index, id) => {
          const i = index - firstItemIndex;
          return (
            <ErrorBoundary fallback={<p className={styles.broken}>This message could not be shown.</p>}>
              <MessageRow
                conversationId={conversationId}
                id={id}
                prevId={i > 0 ? ids[i - 1] : undefined}
                active={id === active}
                flash={id === flashId}
                callbacks={callbacks}
              />
            </ErrorBoundary>
          );
        }}
      />
      {!atBottom && (
        <button
          type="button"
          className={styles.newer}
          onClick={() => virtuoso.current?.scrollToIndex({ index: "LAST", align: "end", behavior: "auto" })}
          aria-label={
            newCount > 0 ? `${newCount} new ${newCount === 1 ? "message" : "messages"}, jump to the newest` : "Jump to the newest message"
          }
        >
          {newCount > 0 ? `${newCount} new ↓` : "↓"}
        </button>
      )}
    </div>
  );
});
