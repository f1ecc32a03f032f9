/**
 * One message in the timeline: a listitem named "Alice, 10:42, see you, delivered" (roving
 * focus: the Timeline gives one row tabIndex 0), with an optional day heading, a reply quote,
 * text with links and mentions, the attachment (Attachments/AttachmentView), "edited", reactions, and the
 * status as text + icon. A hover/focus toolbar offers reply, react, edit, delete and copy; on a
 * focused row R replies, E reacts, Delete deletes. Notices are centred system lines.
 */
import { type KeyboardEvent, memo, useCallback, useState } from "react";
import { useActions, useParley, useViewStore } from "../../sdk/hooks.js";
import { personName } from "../../sdk/selectors.js";
import type { Snapshot } from "../../sdk/store.js";
import { AttachmentView } from "../Attachments/AttachmentView.js";
import { ReactionChips, ReactionMenu } from "../Reactions/Reactions.js";
import { announce } from "../Timeline/Announcer.js";
import { dayKey, dayLabel, formatTime } from "../Timeline/format.js";
import { richText, type Segment } from "./linkify.js";
import styles from "./MessageRow.module.css";
import { groupReceiptText, messageSummary } from "./summary.js";

export interface RowCallbacks {
  readonly onReply: (id: string) => void;
  readonly onEdit: (id: string) => void;
  /** Scroll to (loading older pages if needed) and highlight a message. */
  readonly onJump: (id: string) => void;
  /** Move focus to the row `delta` rows away (Arrow keys), or to the first/last (Home/End). */
  readonly onMove: (id: string, to: "prev" | "next" | "first" | "last") => void;
  readonly onFocusRow: (id: string) => void;
  readonly onError: (error: unknown) => void;
}

export interface MessageRowProps {
  readonly conversationId: string;
  readonly id: string;
  /** The message before this one (for the day separator). */
  readonly prevId: string | undefined;
  /** True for the row that holds tabIndex 0. */
  readonly active: boolean;
  /** Briefly highlighted (a reply quote jumped here). */
  readonly flash: boolean;
  readonly callbacks: RowCallbacks;
}

const STATUS_TEXT: Record<string, string> = {
  pending: "Sending",
  sent: "Sent",
  delivered: "Delivered",
  read: "Read",
  failed: "Failed",
};
const STATUS_ICON: Record<string, string> = { pending: "◷", sent: "✓", delivered: "✓✓", read: "✓✓", failed: "!" };

/** A mentioned user's name as it appears after "@" in the text (own display name for us). */
function mentionName(s: Snapshot, userId: string, conversationId: string): string {
  if (s.me && userId === s.me.userId) return s.me.displayName;
  return personName(s, userId, conversationId);
}

export const MessageRow = memo(function MessageRow({ conversationId, id, prevId, active, flash, callbacks }: MessageRowProps) {
  const m = useParley((s) => s.messagesById[id]);
  const prevAt = useParley((s) => (prevId ? s.messagesById[prevId]?.sentAt : undefined));
  const meId = useParley((s) => s.me?.userId);
  const isGroup = useParley((s) => s.groupsById[conversationId] !== undefined);
  const isAdmin = useParley((s) => s.groupsById[conversationId]?.isAdmin === true);
  const memberCount = useParley((s) => s.groupsById[conversationId]?.members.filter((x) => !x.self).length ?? 0);
  const sender = useParley((s) => (m ? personName(s, m.sender, conversationId) : ""));
  const mentionNames = useParley((s) => (m?.mentions ?? []).map((u) => mentionName(s, u, conversationId)));
  const quote = useParley((s) => {
    const target = m?.replyTo ? s.messagesById[m.replyTo] : undefined;
    return target ? { sender: personName(s, target.sender, conversationId), text: messageSummary(target) } : undefined;
  });
  const store = useViewStore();
  const actions = useActions();
  const [menu, setMenu] = useState<"react" | "delete" | undefined>();

  const nameOf = useCallback((u: string) => personName(store.getSnapshot(), u, conversationId), [store, conversationId]);

  if (!m) return null;
  const mine = meId !== undefined && m.sender === meId;
  const showDay = prevAt === undefined || dayKey(prevAt) !== dayKey(m.sentAt);
  const day = showDay ? <h3 className={styles.day}>{dayLabel(m.sentAt, Date.now())}</h3> : null;
  const time = formatTime(m.sentAt);

  // Notices and call history lines ("Missed voice call", "Video call · 2:13") are centred lines.
  if (m.kind === "notice" || m.kind === "call")
    return (
      // biome-ignore lint/a11y/useSemanticElements: virtualised rows are divs inside a role="list" div.
      <div
        role="listitem"
        className={styles.noticeItem}
        data-message-id={id}
        tabIndex={active ? 0 : -1}
        aria-label={`${m.text}, ${time}`}
        onFocus={() => callbacks.onFocusRow(id)}
        onKeyDown={(e) => navKeys(e, id, callbacks)}
      >
        {day}
        <p className={styles.notice}>{m.text}</p>
      </div>
    );

  const canEdit = mine && !m.deleted && m.kind === "text";
  const canDelete = !m.deleted && (mine || (isGroup && isAdmin));
  const status = m.outgoing ? (STATUS_TEXT[m.status] ?? "") : "";
  const groupReceipts = m.outgoing && isGroup ? groupReceiptText(m.receipts, memberCount) : undefined;
  const statusLine = m.deleted ? "" : (groupReceipts ?? status);
  const label = [sender, time, messageSummary(m), m.editedAt && !m.deleted ? "edited" : "", statusLine].filter(Boolean).join(", ");

  const react = (emoji: string, remove: boolean) => {
    setMenu(undefined);
    actions.react(conversationId, id, emoji, remove).catch(callbacks.onError);
  };
  const remove = () => {
    setMenu(undefined);
    actions.deleteMessage(conversationId, id).catch(callbacks.onError);
  };
  const copy = () => {
    navigator.clipboard.writeText(m.text).then(
      () => announce("Copied"),
      () => announce("Could not copy"),
    );
  };
  const retry = () => {
    actions.sendText(conversationId, m.text, m.replyTo ? { replyTo: m.replyTo } : {}).catch(callbacks.onError);
  };

  const onKeyDown = (e: KeyboardEvent<HTMLDivElement>) => {
    if (e.target !== e.currentTarget) return;
    if (navKeys(e, id, callbacks)) return;
    if (e.ctrlKey || e.metaKey || e.altKey) return;
    if (m.deleted) return;
    const key = e.key.toLowerCase();
    if (key === "r") {
      e.preventDefault();
      callbacks.onReply(id);
    } else if (key === "e") {
      e.preventDefault();
      setMenu("react");
    } else if ((e.key === "Delete" || e.key === "Backspace") && canDelete) {
      e.preventDefault();
      setMenu("delete");
    }
  };

  const tab = active ? 0 : -1;
  return (
    // biome-ignore lint/a11y/useSemanticElements: virtualised rows are divs inside a role="list" div.
    <div
      role="listitem"
      className={styles.item}
      data-message-id={id}
      data-out={mine || undefined}
      data-flash={flash || undefined}
      data-open={menu !== undefined || undefined}
      tabIndex={tab}
      aria-label={label}
      onFocus={(e) => {
        if (e.target === e.currentTarget) callbacks.onFocusRow(id);
      }}
      onKeyDown={onKeyDown}
    >
      {day}
      <div className={styles.line}>
        {menu === "react" && (
          <ReactionMenu align={mine ? "end" : "start"} onPick={(emoji) => react(emoji, false)} onClose={() => setMenu(undefined)} />
        )}
        <div className={styles.bubble} data-deleted={m.deleted || undefined} data-failed={m.status === "failed" || undefined}>
          {isGroup && !mine && <span className={styles.sender}>{sender}</span>}
          {m.replyTo && !m.deleted && (
            <button
              type="button"
              className={styles.quote}
              tabIndex={tab}
              onClick={() => m.replyTo && callbacks.onJump(m.replyTo)}
              aria-label={
                quote ? `Reply to ${quote.sender}: ${quote.text}. Show original` : "Reply to a message that is not loaded. Load and show it"
              }
            >
              {quote ? (
                <>
                  <span className={styles.quoteSender}>{quote.sender}</span>
                  <span className={styles.quoteText}>{quote.text}</span>
                </>
              ) : (
                <span className={styles.quoteText}>Original not loaded — show it</span>
              )}
            </button>
          )}
          {m.deleted ? (
            <em className={styles.deleted}>Message deleted</em>
          ) : (
            <>
              {m.kind === "attachment" && <AttachmentView message={m} />}
              {m.text && <Text segments={richText(m.text, mentionNames)} tab={tab} />}
            </>
          )}
          <span className={styles.meta}>
            {m.editedAt && !m.deleted ? <span className={styles.edited}>edited</span> : null}
            <time dateTime={new Date(m.sentAt).toISOString()}>{time}</time>
            {m.outgoing && !m.deleted && (
              <span className={styles.status} data-status={m.status}>
                <span aria-hidden="true" className={styles.icon}>
                  {STATUS_ICON[m.status] ?? ""}
                </span>
                {statusLine}
              </span>
            )}
          </span>
          {m.status === "failed" && m.outgoing && !m.deleted && (
            <button type="button" className={styles.retry} tabIndex={tab} onClick={retry}>
              Retry
            </button>
          )}
          {!m.deleted && (
            <ReactionChips reactions={m.reactions} me={meId} nameOf={nameOf} onToggle={(emoji, isMine) => react(emoji, isMine)} />
          )}
        </div>
        {!m.deleted && (
          <div className={styles.toolbar} role="toolbar" aria-label="Message actions">
            <button type="button" tabIndex={tab} onClick={() => callbacks.onReply(id)}>
              Reply
            </button>
            <button
              type="button"
              tabIndex={tab}
              aria-expanded={menu === "react"}
              onClick={() => setMenu(menu === "react" ? undefined : "react")}
            >
              React
            </button>
            {canEdit && (
              <button type="button" tabIndex={tab} onClick={() => callbacks.onEdit(id)}>
                Edit
              </button>
            )}
            {m.text && (
              <button type="button" tabIndex={tab} onClick={copy}>
                Copy
              </button>
            )}
            {canDelete && (
              <button type="button" tabIndex={tab} onClick={() => setMenu("delete")}>
                Delete
              </button>
            )}
          </div>
        )}
      </div>
      {menu === "delete" && (
        // biome-ignore lint/a11y/useSemanticElements: an inline confirmation, not a modal.
        <div className={styles.confirm} role="group" aria-label="Delete message">
          <span>{mine ? "Delete this message for everyone?" : `Delete ${sender}'s message for everyone?`}</span>
          <button type="button" className={styles.danger} onClick={remove}>
            Delete for everyone
          </button>
          {/* biome-ignore lint/a11y/noAutofocus: the safe choice gets focus when the confirmation opens. */}
          <button type="button" autoFocus onClick={() => setMenu(undefined)}>
            Cancel
          </button>
        </div>
      )}
    </div>
  );
});

/** Arrow/Home/End/PageUp/PageDown between rows; true when handled. */
function navKeys(e: KeyboardEvent<HTMLDivElement>, id: string, callbacks: RowCallbacks): boolean {
  if (e.target !== e.currentTarget) return false;
  const to =
    e.key === "ArrowUp" ? "prev" : e.key === "ArrowDown" ? "next" : e.key === "Home" ? "first" : e.key === "End" ? "last" : undefined;
  if (!to) return false;
  e.preventDefault();
  callbacks.onMove(id, to);
  return true;
}

function Text({ segments, tab }: { readonly segments: readonly Segment[]; readonly tab: number }) {
  return (
    <p className={styles.text}>
      {segments.map((seg, i) =>
        seg.kind === "link" ? (
          // biome-ignore lint/suspicious/noArrayIndexKey: segments of one text, stable for that text.
          <a key={i} href={seg.href} target="_blank" rel="noopener noreferrer" tabIndex={tab}>
            {seg.text}
          </a>
        ) : seg.kind === "mention" ? (
          // biome-ignore lint/suspicious/noArrayIndexKey: as above.
          <mark key={i} className={styles.mention}>
            {seg.text}
          </mark>
        ) : (
          // biome-ignore lint/suspicious/noArrayIndexKey: as above.
          <span key={i}>{seg.text}</span>
        ),
      )}
    </p>
  );
}
