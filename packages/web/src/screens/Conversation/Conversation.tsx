/**
 * One conversation (placeholder, H3 owns and replaces): the loaded history, the identity banner,
 * and a composer. Marks incoming messages read while it is open.
 */
import { type FormEvent, useEffect, useState } from "react";
import { AttachButton } from "../../components/Attachments/AttachButton.js";
import { AttachmentView } from "../../components/Attachments/AttachmentView.js";
import { DropZone } from "../../components/Attachments/DropZone.js";
import { IdentityBanner } from "../../components/IdentityBanner/IdentityBanner.js";
import { describeError } from "../../sdk/errors.js";
import { useActions, useParley } from "../../sdk/hooks.js";
import { conversationTitle, personName } from "../../sdk/selectors.js";
import styles from "./Conversation.module.css";

export function Conversation({ conversationId }: { readonly conversationId: string }) {
  const actions = useActions();
  const title = useParley((s) => conversationTitle(s, conversationId));
  const ids = useParley((s) => s.timelines[conversationId]?.ids);
  const [text, setText] = useState("");
  const [error, setError] = useState<string>();

  useEffect(() => {
    actions.openTimeline(conversationId).catch((e) => setError(describeError(e)));
  }, [actions, conversationId]);

  useEffect(() => {
    if (ids && ids.length > 0) actions.markRead(conversationId).catch(() => {});
  }, [actions, conversationId, ids]);

  const send = async (event: FormEvent) => {
    event.preventDefault();
    const body = text.trim();
    if (!body) return;
    setText("");
    try {
      await actions.sendText(conversationId, body);
    } catch (e) {
      setError(describeError(e));
    }
  };

  return (
    <DropZone conversationId={conversationId}>
      <section className={styles.conversation} aria-labelledby="conversation-title">
        <header className={styles.header}>
          <h2 id="conversation-title">{title}</h2>
        </header>
        <ol className={styles.timeline} aria-label={`Messages with ${title}`}>
          {(ids ?? []).map((id) => (
            <Row key={id} id={id} conversationId={conversationId} />
          ))}
        </ol>
        <IdentityBanner conversationId={conversationId} />
        {error && <p role="alert">{error}</p>}
        <form className={styles.composer} onSubmit={send} aria-label="Send a message">
          <AttachButton conversationId={conversationId} />
          <label className="visually-hidden" htmlFor="composer-text">
            Message
          </label>
          <textarea
            id="composer-text"
            rows={1}
            value={text}
            onChange={(e) => setText(e.target.value)}
            onKeyDown={(e) => {
              if (e.key === "Enter" && !e.shiftKey && !e.nativeEvent.isComposing) {
                e.preventDefault();
                e.currentTarget.form?.requestSubmit();
              }
            }}
            placeholder="Message"
          />
          <button type="submit">Send</button>
        </form>
      </section>
    </DropZone>
  );
}

function Row({ id, conversationId }: { readonly id: string; readonly conversationId: string }) {
  const m = useParley((s) => s.messagesById[id]);
  const sender = useParley((s) => (m ? personName(s, m.sender, conversationId) : ""));
  if (!m) return null;
  return (
    <li className={m.outgoing ? styles.out : styles.in} data-status={m.status}>
      <span className={styles.sender}>{sender}</span>
      {m.deleted ? <em>Message deleted</em> : m.kind === "attachment" ? <AttachmentView message={m} /> : <span>{m.text}</span>}
      <span className={styles.status}>{m.outgoing ? m.status : ""}</span>
    </li>
  );
}
