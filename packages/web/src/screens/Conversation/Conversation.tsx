/**
 * One conversation: a header (back on phones, name, presence, info and — for 1:1 — verify links),
 * the virtualised timeline, the typing line, the identity banner and the composer, all
 * inside the drop zone. Reply/edit state lives here; rows and the composer share it.
 */
import { type MouseEvent, useCallback, useEffect, useMemo, useRef, useState } from "react";
import { conversationPath, navigate } from "../../app/router.js";
import { CallButtons } from "../../calls/CallButtons.js";
import { DropZone } from "../../components/Attachments/DropZone.js";
import { Composer, type ComposerHandle, type ComposerMode } from "../../components/Composer/Composer.js";
import { IdentityBanner } from "../../components/IdentityBanner/IdentityBanner.js";
import { Announcer } from "../../components/Timeline/Announcer.js";
import { lastSeenText } from "../../components/Timeline/format.js";
import { Timeline, type TimelineHandle } from "../../components/Timeline/Timeline.js";
import { describeError } from "../../sdk/errors.js";
import { useActions, useParley } from "../../sdk/hooks.js";
import { conversationTitle, isGroupId, personName } from "../../sdk/selectors.js";
import styles from "./Conversation.module.css";

export function Conversation({ conversationId }: { readonly conversationId: string }) {
  const actions = useActions();
  const title = useParley((s) => conversationTitle(s, conversationId));
  const exists = useParley(
    (s) =>
      s.conversationsById[conversationId] !== undefined ||
      s.contactsById[conversationId] !== undefined ||
      s.groupsById[conversationId] !== undefined,
  );
  const blocked = useParley((s) => s.identityAlerts[conversationId] !== undefined);
  const left = useParley((s) => s.groupsById[conversationId]?.active === false);
  const lastOwn = useParley((s) => {
    const ids = s.timelines[conversationId]?.ids ?? [];
    for (let i = ids.length - 1; i >= 0; i--) {
      const m = s.messagesById[ids[i] ?? ""];
      if (m && s.me && m.sender === s.me.userId && m.kind === "text" && !m.deleted) return m.id;
    }
    return undefined;
  });
  const [mode, setMode] = useState<ComposerMode>();
  const [error, setError] = useState<string>();
  const composer = useRef<ComposerHandle>(null);
  const timeline = useRef<TimelineHandle>(null);

  useEffect(() => {
    actions.openTimeline(conversationId).catch((e) => setError(describeError(e)));
  }, [actions, conversationId]);

  const onReply = useCallback((id: string) => {
    setMode({ kind: "reply", messageId: id });
    composer.current?.focus();
  }, []);
  const onEdit = useCallback((id: string) => {
    setMode({ kind: "edit", messageId: id });
    composer.current?.focus();
  }, []);
  const onError = useCallback((e: unknown) => setError(describeError(e)), []);

  const blockedReason = blocked
    ? "Sending is paused: this contact's safety number changed. Review it above to continue."
    : left
      ? "You are no longer a member of this group."
      : undefined;

  if (!exists)
    return (
      <section className={styles.conversation} aria-labelledby="conversation-title">
        <Header conversationId={conversationId} title="Conversation not found" />
        <p className={styles.missing}>There is no conversation here. Pick one from the list or start a new chat.</p>
      </section>
    );

  return (
    <DropZone conversationId={conversationId}>
      <section className={styles.conversation} aria-labelledby="conversation-title">
        <Header conversationId={conversationId} title={title} />
        <Timeline ref={timeline} conversationId={conversationId} title={title} onReply={onReply} onEdit={onEdit} onError={onError} />
        <TypingLine conversationId={conversationId} />
        {error && (
          <p role="alert" className={styles.error}>
            {error}{" "}
            <button type="button" className={styles.link} onClick={() => setError(undefined)}>
              Dismiss
            </button>
          </p>
        )}
        <IdentityBanner conversationId={conversationId} />
        <Composer
          ref={composer}
          conversationId={conversationId}
          mode={mode}
          onModeChange={(next) => {
            setMode(next);
            if (!next) composer.current?.focus();
          }}
          blockedReason={blockedReason}
          lastOwnMessageId={lastOwn}
        />
        <Announcer />
      </section>
    </DropZone>
  );
}

function Header({ conversationId, title }: { readonly conversationId: string; readonly title: string }) {
  const group = isGroupId(conversationId);
  const presence = useParley((s) => s.presence[conversationId]);
  const memberCount = useParley((s) => s.groupsById[conversationId]?.members.length);
  const [now, setNow] = useState(() => Date.now());
  useEffect(() => {
    const timer = setInterval(() => setNow(Date.now()), 60_000);
    return () => clearInterval(timer);
  }, []);
  const status = group
    ? memberCount !== undefined
      ? `${memberCount} ${memberCount === 1 ? "member" : "members"}`
      : ""
    : presence?.presence === "online"
      ? "online"
      : presence?.presence === "away"
        ? "away"
        : presence?.lastSeen
          ? lastSeenText(presence.lastSeen, now)
          : "";
  const go = (path: string) => (e: MouseEvent) => {
    e.preventDefault();
    navigate(path);
  };
  return (
    <header className={styles.header}>
      <a className={styles.back} href="/" onClick={go("/")}>
        <span aria-hidden="true">←</span>
        <span className="visually-hidden">Back to conversations</span>
      </a>
      <div className={styles.titleBlock}>
        <h2 id="conversation-title" className={styles.title}>
          {title}
        </h2>
        {status && (
          <p className={styles.presence} data-online={presence?.presence === "online" || undefined}>
            {status}
          </p>
        )}
      </div>
      <CallButtons conversationId={conversationId} title={title} />
      {/* On a phone the title keeps the room: "Verify" moves into Info (its "Verify safety number"),
          and Info becomes an icon with the same accessible name. */}
      <nav className={styles.headerLinks} aria-label="Conversation">
        {!group && (
          <a
            className={styles.wideOnly}
            href={conversationPath(conversationId, "verify")}
            onClick={go(conversationPath(conversationId, "verify"))}
          >
            Verify
          </a>
        )}
        <a
          className={styles.infoLink}
          href={conversationPath(conversationId, "info")}
          onClick={go(conversationPath(conversationId, "info"))}
          title={group ? "Group info" : "Info"}
        >
          <InfoIcon />
          <span className={styles.linkText}>{group ? "Group info" : "Info"}</span>
        </a>
      </nav>
    </header>
  );
}

/** An "i" in a circle (inline SVG), for the Info link on narrow screens. */
function InfoIcon() {
  return (
    <svg className={styles.infoIcon} viewBox="0 0 24 24" aria-hidden="true" focusable="false">
      <path d="M12 2a10 10 0 1 1 0 20 10 10 0 0 1 0-20zm0 2a8 8 0 1 0 0 16 8 8 0 0 0 0-16zm-1 6h2v7h-2zm0-3h2v2h-2z" />
    </svg>
  );
}

function TypingLine({ conversationId }: { readonly conversationId: string }) {
  const names = useParley((s) => (s.typing[conversationId] ?? []).map((u) => personName(s, u, conversationId)));
  const text = useMemo(() => {
    if (names.length === 0) return "";
    if (names.length === 1) return `${names[0]} is typing…`;
    if (names.length === 2) return `${names[0]} and ${names[1]} are typing…`;
    return `${names.length} people are typing…`;
  }, [names]);
  // The line keeps its height when empty so the timeline never jumps; not a live region (no floods).
  return (
    <p className={styles.typing} data-testid="typing-line">
      {text}
    </p>
  );
}
