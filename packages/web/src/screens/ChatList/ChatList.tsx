/**
 * The conversation list (the `nav` pane): "New group" and "Settings", a search over contacts,
 * conversations and loaded message text, a new chat by handle, then every conversation by
 * activity with initials, name, last message, time, unread badge, online dot and "typing…".
 * Alt+↑/↓ opens the previous/next conversation; Ctrl/Cmd+K focuses the search.
 */
import { type FormEvent, type MouseEvent, memo, useEffect, useRef, useState } from "react";
import { conversationPath, navigate, useRoute } from "../../app/router.js";
import { messageSummary } from "../../components/MessageRow/summary.js";
import { listTime } from "../../components/Timeline/format.js";
import { describeError } from "../../sdk/errors.js";
import { useActions, useParley } from "../../sdk/hooks.js";
import { conversationTitle, personName } from "../../sdk/selectors.js";
import type { Snapshot } from "../../sdk/store.js";
import styles from "./ChatList.module.css";
import { initials } from "./initials.js";

/** True when the query matches the conversation's title, handle, or any loaded message text. */
function matches(s: Snapshot, id: string, q: string): boolean {
  if (conversationTitle(s, id).toLowerCase().includes(q)) return true;
  const handle = (s.contactsById[id] ?? s.conversationsById[id]?.contact)?.handle;
  if (handle?.toLowerCase().includes(q)) return true;
  const ids = s.timelines[id]?.ids ?? [];
  const last = s.conversationsById[id]?.lastMessage;
  if (last && !last.deleted && last.text.toLowerCase().includes(q)) return true;
  return ids.some((mid) => {
    const m = s.messagesById[mid];
    return m !== undefined && !m.deleted && m.text.toLowerCase().includes(q);
  });
}

/** After starting a chat, typing goes to its composer (once the conversation has rendered). */
function focusComposerSoon(tries = 10): void {
  requestAnimationFrame(() => {
    const composer = document.getElementById("composer-text");
    if (composer) composer.focus();
    else if (tries > 0) focusComposerSoon(tries - 1);
  });
}

export function ChatList() {
  const me = useParley((s) => s.me);
  const actions = useActions();
  const route = useRoute();
  const [query, setQuery] = useState("");
  const [handle, setHandle] = useState("");
  const [error, setError] = useState<string>();
  const [busy, setBusy] = useState(false);
  const search = useRef<HTMLInputElement>(null);
  const q = query.trim().toLowerCase();

  const ids = useParley((s) => (q ? s.conversations.filter((id) => matches(s, id, q)) : s.conversations));
  const contacts = useParley((s) =>
    q
      ? Object.values(s.contactsById)
          .filter((c) => !s.conversationsById[c.id])
          .filter((c) => (c.displayName ?? "").toLowerCase().includes(q) || (c.handle ?? "").toLowerCase().includes(q))
          .map((c) => c.id)
      : [],
  );

  // Keyboard: Alt+↑/↓ between conversations, Ctrl/Cmd+K to search.
  const current = route.conversationId;
  const order = useRef(ids);
  order.current = ids;
  useEffect(() => {
    const onKey = (e: KeyboardEvent) => {
      if ((e.ctrlKey || e.metaKey) && !e.altKey && e.key.toLowerCase() === "k") {
        e.preventDefault();
        search.current?.focus();
        search.current?.select();
        return;
      }
      if (e.altKey && !e.ctrlKey && !e.metaKey && (e.key === "ArrowUp" || e.key === "ArrowDown")) {
        const list = order.current;
        if (list.length === 0) return;
        e.preventDefault();
        const at = current ? list.indexOf(current) : -1;
        const next = e.key === "ArrowDown" ? list[at < 0 ? 0 : Math.min(list.length - 1, at + 1)] : list[at <= 0 ? 0 : at - 1];
        if (next && next !== current) navigate(conversationPath(next));
      }
    };
    window.addEventListener("keydown", onKey);
    return () => window.removeEventListener("keydown", onKey);
  }, [current]);

  const start = async (event: FormEvent) => {
    event.preventDefault();
    setError(undefined);
    setBusy(true);
    try {
      const contact = await actions.findContact(handle);
      setHandle("");
      navigate(conversationPath(contact.id));
      focusComposerSoon();
    } catch (e) {
      setError(describeError(e));
    } finally {
      setBusy(false);
    }
  };

  const go = (path: string) => (e: MouseEvent) => {
    e.preventDefault();
    navigate(path);
  };

  return (
    <div className={styles.list}>
      <header className={styles.header}>
        <div className={styles.heading}>
          <h1 className={styles.title}>Chats</h1>
          {me && <span className={styles.me}>{me.displayName}</span>}
        </div>
        <div className={styles.actions}>
          <a className={styles.action} href="/new-group" onClick={go("/new-group")}>
            New group
          </a>
          <a className={styles.action} href="/settings" onClick={go("/settings")}>
            Settings
          </a>
        </div>
      </header>
      <search className={styles.search}>
        <label className="visually-hidden" htmlFor="chat-search">
          Search conversations
        </label>
        <input
          ref={search}
          id="chat-search"
          type="search"
          placeholder="Search (Ctrl+K)"
          value={query}
          onChange={(e) => setQuery(e.target.value)}
          onKeyDown={(e) => {
            if (e.key === "Escape") setQuery("");
            if (e.key === "Enter" && ids[0]) navigate(conversationPath(ids[0]));
          }}
          aria-describedby="chat-search-count"
        />
        <span id="chat-search-count" className="visually-hidden" aria-live="polite">
          {q ? `${ids.length + contacts.length} found` : ""}
        </span>
      </search>
      <form className={styles.newChat} onSubmit={start} aria-label="New chat">
        <label className="visually-hidden" htmlFor="new-chat-handle">
          Handle to chat with
        </label>
        <input
          id="new-chat-handle"
          placeholder="New chat: @handle"
          value={handle}
          onChange={(e) => setHandle(e.target.value)}
          autoComplete="off"
          autoCapitalize="off"
          spellCheck={false}
          required
          aria-invalid={error ? true : undefined}
          aria-describedby={error ? "new-chat-error" : undefined}
        />
        <button type="submit" className={styles.start} disabled={busy}>
          Start
        </button>
      </form>
      {error && (
        <p id="new-chat-error" role="alert" className={styles.error}>
          {error}
        </p>
      )}
      <ul className={styles.items} aria-label="Conversations">
        {ids.map((id) => (
          <ConversationItem key={id} id={id} current={id === current} />
        ))}
        {contacts.map((id) => (
          <ConversationItem key={`contact:${id}`} id={id} current={id === current} />
        ))}
      </ul>
      {ids.length === 0 && contacts.length === 0 && (
        <p className={styles.empty}>{q ? "Nothing matches your search." : "No conversations yet. Start one with a handle above."}</p>
      )}
    </div>
  );
}

const ConversationItem = memo(function ConversationItem({ id, current }: { readonly id: string; readonly current: boolean }) {
  const title = useParley((s) => conversationTitle(s, id));
  const unread = useParley((s) => s.conversationsById[id]?.unread ?? 0);
  const last = useParley((s) => {
    const m = s.conversationsById[id]?.lastMessage;
    const fresh = m ? (s.messagesById[m.id] ?? m) : undefined;
    if (!fresh) return undefined;
    const who =
      fresh.kind === "notice"
        ? ""
        : s.me && fresh.sender === s.me.userId
          ? "You: "
          : s.groupsById[id]
            ? `${personName(s, fresh.sender, id)}: `
            : "";
    return { text: who + messageSummary(fresh), at: fresh.sentAt, notice: fresh.kind === "notice" };
  });
  const online = useParley((s) => s.presence[id]?.presence === "online");
  const typing = useParley((s) => {
    const users = s.typing[id] ?? [];
    if (users.length === 0) return "";
    if (!s.groupsById[id]) return "typing…";
    return `${users.map((u) => personName(s, u, id)).join(", ")} typing…`;
  });
  const [now] = useState(() => Date.now());
  const time = last ? listTime(last.at, Math.max(now, Date.now())) : "";
  const preview = typing || (last ? last.text : "No messages yet");
  const label = [title, online ? "online" : "", unread > 0 ? `${unread} unread` : "", typing || last?.text || "", time]
    .filter(Boolean)
    .join(", ");
  return (
    <li>
      <a
        className={styles.item}
        href={conversationPath(id)}
        aria-current={current ? "page" : undefined}
        aria-label={label}
        onClick={(e) => {
          e.preventDefault();
          navigate(conversationPath(id));
        }}
      >
        <span className={styles.avatar} aria-hidden="true">
          {initials(title) || "?"}
          {online && <span className={styles.dot} />}
        </span>
        <span className={styles.name}>{title}</span>
        <span className={styles.time}>{time}</span>
        <span className={styles.preview} data-typing={typing ? true : undefined} data-notice={last?.notice || undefined}>
          {preview}
        </span>
        {unread > 0 && <span className={styles.unread}>{unread}</span>}
      </a>
    </li>
  );
});
