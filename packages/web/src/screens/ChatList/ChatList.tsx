/**
 * The conversation list (placeholder, H3 owns and replaces): new chat by handle, then every
 * conversation with its last message and unread count.
 */
import { type FormEvent, useState } from "react";
import { conversationPath, navigate } from "../../app/router.js";
import { describeError } from "../../sdk/errors.js";
import { useActions, useParley } from "../../sdk/hooks.js";
import { conversationTitle } from "../../sdk/selectors.js";
import styles from "./ChatList.module.css";

export function ChatList() {
  const ids = useParley((s) => s.conversations);
  const me = useParley((s) => s.me);
  const actions = useActions();
  const [handle, setHandle] = useState("");
  const [error, setError] = useState<string>();

  const start = async (event: FormEvent) => {
    event.preventDefault();
    setError(undefined);
    try {
      const contact = await actions.findContact(handle);
      setHandle("");
      navigate(conversationPath(contact.id));
    } catch (e) {
      setError(describeError(e));
    }
  };

  return (
    <div className={styles.list}>
      <header className={styles.header}>
        <h1 className={styles.title}>Chats</h1>
        <span className={styles.me}>{me?.displayName}</span>
      </header>
      <form className={styles.newChat} onSubmit={start} aria-label="New chat">
        <label className="visually-hidden" htmlFor="new-chat-handle">
          Handle to chat with
        </label>
        <input id="new-chat-handle" placeholder="New chat: @handle" value={handle} onChange={(e) => setHandle(e.target.value)} required />
        <button type="submit">Start</button>
      </form>
      {error && (
        <p role="alert" className={styles.error}>
          {error}
        </p>
      )}
      <ul className={styles.items}>
        {ids.map((id) => (
          <ConversationItem key={id} id={id} />
        ))}
      </ul>
    </div>
  );
}

function ConversationItem({ id }: { readonly id: string }) {
  const title = useParley((s) => conversationTitle(s, id));
  const summary = useParley((s) => s.conversationsById[id]);
  const last = summary?.lastMessage;
  return (
    <li>
      <a
        className={styles.item}
        href={conversationPath(id)}
        onClick={(e) => {
          e.preventDefault();
          navigate(conversationPath(id));
        }}
      >
        <span className={styles.name}>{title}</span>
        <span className={styles.preview}>
          {last ? (last.deleted ? "Message deleted" : last.text || last.attachment?.fileName || "") : ""}
        </span>
        {summary && summary.unread > 0 && <span className={styles.unread}>{summary.unread} unread</span>}
      </a>
    </li>
  );
}
