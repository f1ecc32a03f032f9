/**
 * The composer: a labelled form with an auto-growing textarea (Enter sends, Shift+Enter breaks
 * the line, Esc cancels a reply or edit, ↑ in an empty composer edits your last message), a
 * reply/edit bar, `:shortcode:` and (in groups) `@name` completion, the emoji picker (loaded on
 * demand), the attach button, a typing indicator (throttled; stops after 5 s idle or on send) and
 * per-conversation drafts kept in memory while switching. Sending is disabled, with the reason
 * shown, while `blockedReason` is set (an identity change to review).
 */
import {
  type ChangeEvent,
  type FormEvent,
  forwardRef,
  type KeyboardEvent,
  lazy,
  Suspense,
  useCallback,
  useEffect,
  useImperativeHandle,
  useLayoutEffect,
  useMemo,
  useRef,
  useState,
} from "react";
import { describeError } from "../../sdk/errors.js";
import { useActions, useParley } from "../../sdk/hooks.js";
import { personName } from "../../sdk/selectors.js";
import { completeShortcode, emojiForShortcode, replaceShortcodes, shortcodeQuery } from "../../sdk/shortcodes.js";
import { AttachButton } from "../Attachments/AttachButton.js";
import { messageSummary } from "../MessageRow/summary.js";
import styles from "./Composer.module.css";

const EmojiPickerPanel = lazy(() => import("../EmojiPicker/EmojiPicker.js").then((m) => ({ default: m.EmojiPickerPanel })));
const preloadPicker = () => void import("../EmojiPicker/EmojiPicker.js");

/** Typing "true" is repeated this often while typing (the receiver drops it after 6 s). */
const TYPING_REPEAT_MS = 3_000;
/** Typing stops after this long without a keystroke. */
const TYPING_IDLE_MS = 5_000;

const GROWS_BY_CSS = typeof CSS !== "undefined" && CSS.supports("field-sizing", "content");

/** Drafts by conversation, for this tab's life (never stored: they are message content). */
const drafts = new Map<string, string>();

export type ComposerMode = { readonly kind: "reply" | "edit"; readonly messageId: string } | undefined;

export interface ComposerHandle {
  focus(): void;
}

export interface ComposerProps {
  readonly conversationId: string;
  readonly mode: ComposerMode;
  readonly onModeChange: (mode: ComposerMode) => void;
  /** Why sending is not possible now (shown under the composer), or undefined. */
  readonly blockedReason: string | undefined;
  /** The id of your newest editable message, for ↑ in an empty composer. */
  readonly lastOwnMessageId: string | undefined;
}

interface Completion {
  readonly kind: "emoji" | "mention";
  /** Where the replaced text starts (the ":" or "@") and ends (the caret). */
  readonly start: number;
  readonly end: number;
  readonly options: readonly { readonly label: string; readonly insert: string; readonly userId?: string; readonly icon: string }[];
}

export const Composer = forwardRef<ComposerHandle, ComposerProps>(function Composer(
  { conversationId, mode, onModeChange, blockedReason, lastOwnMessageId },
  ref,
) {
  const actions = useActions();
  const [text, setTextState] = useState(() => drafts.get(conversationId) ?? "");
  const [error, setError] = useState<string>();
  const [completion, setCompletion] = useState<Completion>();
  const [selected, setSelected] = useState(0);
  const [picker, setPicker] = useState(false);
  const area = useRef<HTMLTextAreaElement>(null);
  const emojiButton = useRef<HTMLButtonElement>(null);
  const caretAfter = useRef<number | undefined>(undefined);
  const mentions = useRef(new Map<string, string>());
  const stash = useRef<string | undefined>(undefined);
  const typing = useRef<{ on: boolean; sentAt: number; timer?: ReturnType<typeof setTimeout> | undefined }>({ on: false, sentAt: 0 });

  // Strings, so the selection stays equal (no re-render) until a member or name changes.
  const memberKeys = useParley((s) =>
    (s.groupsById[conversationId]?.members ?? [])
      .filter((m) => !m.self)
      .map((m) => `${m.userId}\t${personName(s, m.userId, conversationId)}`),
  );
  const members = useMemo(
    () =>
      memberKeys.map((key) => {
        const [userId = "", name = ""] = key.split("\t");
        return { userId, name };
      }),
    [memberKeys],
  );
  const target = useParley((s) => (mode ? s.messagesById[mode.messageId] : undefined));
  const targetSender = useParley((s) => (target ? personName(s, target.sender, conversationId) : ""));

  useImperativeHandle(ref, () => ({ focus: () => area.current?.focus() }), []);

  const setText = useCallback(
    (next: string, caret?: number) => {
      setTextState(next);
      if (!stashActive(stash)) {
        if (next) drafts.set(conversationId, next);
        else drafts.delete(conversationId);
      }
      caretAfter.current = caret;
    },
    [conversationId],
  );

  // Auto-grow: CSS `field-sizing: content` where supported, else the measured height.
  // biome-ignore lint/correctness/useExhaustiveDependencies: re-measures whenever the text changes.
  useLayoutEffect(() => {
    const el = area.current;
    if (!el || GROWS_BY_CSS) return;
    el.style.height = "auto";
    el.style.height = `${Math.min(el.scrollHeight + 2, window.innerHeight * 0.4)}px`;
  }, [text]);

  useLayoutEffect(() => {
    if (caretAfter.current === undefined || !area.current) return;
    area.current.setSelectionRange(caretAfter.current, caretAfter.current);
    caretAfter.current = undefined;
  });

  // Entering edit mode puts the message's text in the composer and stashes the draft (restored after).
  const modeKey = mode ? `${mode.kind}:${mode.messageId}` : "";
  // biome-ignore lint/correctness/useExhaustiveDependencies: runs when the mode changes, reading the latest text then.
  useEffect(() => {
    if (mode?.kind === "edit") {
      const message = target;
      if (stash.current === undefined) stash.current = text;
      const body = message?.text ?? "";
      setTextState(body);
      caretAfter.current = body.length;
    } else if (stash.current !== undefined) {
      const restored = stash.current;
      stash.current = undefined;
      setTextState(restored);
      caretAfter.current = restored.length;
    }
    if (mode) area.current?.focus();
  }, [modeKey]);

  const stopTyping = useCallback(() => {
    const t = typing.current;
    clearTimeout(t.timer);
    t.timer = undefined;
    if (t.on) {
      t.on = false;
      actions.setTyping(conversationId, false).catch(() => {});
    }
  }, [actions, conversationId]);

  const noteTyping = useCallback(() => {
    const t = typing.current;
    const now = Date.now();
    if (!t.on || now - t.sentAt > TYPING_REPEAT_MS) {
      t.on = true;
      t.sentAt = now;
      actions.setTyping(conversationId, true).catch(() => {});
    }
    clearTimeout(t.timer);
    t.timer = setTimeout(stopTyping, TYPING_IDLE_MS);
  }, [actions, conversationId, stopTyping]);

  useEffect(() => stopTyping, [stopTyping]);

  const updateCompletion = (value: string, caret: number) => {
    const before = value.slice(0, caret);
    const sc = shortcodeQuery(before);
    if (sc) {
      const options = completeShortcode(sc.query, 6).map((m) => ({ label: `:${m.code}:`, insert: m.emoji, icon: m.emoji }));
      setCompletion(options.length > 0 ? { kind: "emoji", start: sc.start, end: caret, options } : undefined);
      setSelected(0);
      return;
    }
    const at = members.length > 0 ? /(^|\s)@([^\s@]{0,32})$/.exec(before) : null;
    if (at && at[2] !== undefined) {
      const q = at[2].toLowerCase();
      const options = members
        .filter((m) => m.name.toLowerCase().startsWith(q) || m.name.toLowerCase().includes(` ${q}`))
        .slice(0, 6)
        .map((m) => ({ label: m.name, insert: `@${m.name}`, userId: m.userId, icon: "@" }));
      setCompletion(options.length > 0 ? { kind: "mention", start: caret - at[2].length - 1, end: caret, options } : undefined);
      setSelected(0);
      return;
    }
    setCompletion(undefined);
  };

  const onChange = (e: ChangeEvent<HTMLTextAreaElement>) => {
    let value = e.target.value;
    let caret = e.target.selectionStart ?? value.length;
    // A just-closed ":code:" becomes its emoji.
    const closed = /(^|\s):([a-z0-9_+-]+):$/i.exec(value.slice(0, caret));
    const emoji = closed?.[2] ? emojiForShortcode(closed[2]) : undefined;
    if (closed?.[2] && emoji) {
      const start = caret - closed[2].length - 2;
      value = value.slice(0, start) + emoji + value.slice(caret);
      caret = start + emoji.length;
    }
    setText(value, emoji ? caret : undefined);
    updateCompletion(value, caret);
    if (value && mode?.kind !== "edit") noteTyping();
    else if (!value) stopTyping();
  };

  const accept = (index: number) => {
    const c = completion;
    const option = c?.options[index];
    if (!c || !option) return;
    const insert = `${option.insert} `;
    const next = text.slice(0, c.start) + insert + text.slice(c.end);
    if (option.userId) mentions.current.set(option.insert, option.userId);
    setText(next, c.start + insert.length);
    setCompletion(undefined);
  };

  const insertAtCaret = (value: string) => {
    const el = area.current;
    const start = el?.selectionStart ?? text.length;
    const end = el?.selectionEnd ?? text.length;
    setText(text.slice(0, start) + value + text.slice(end), start + value.length);
    el?.focus();
  };

  const send = async (event?: FormEvent) => {
    event?.preventDefault();
    if (blockedReason) return;
    const body = replaceShortcodes(text).trim();
    if (!body) return;
    setError(undefined);
    setCompletion(undefined);
    stopTyping();
    const currentMode = mode;
    const mentioned = [...mentions.current].filter(([name]) => body.includes(name)).map(([, id]) => id);
    try {
      if (currentMode?.kind === "edit") {
        onModeChange(undefined);
        if (body !== target?.text) await actions.edit(conversationId, currentMode.messageId, body);
      } else {
        setText("");
        mentions.current.clear();
        if (currentMode) onModeChange(undefined);
        await actions.sendText(conversationId, body, {
          ...(currentMode?.kind === "reply" ? { replyTo: currentMode.messageId } : {}),
          ...(mentioned.length > 0 ? { mentions: [...new Set(mentioned)] } : {}),
        });
      }
    } catch (e) {
      setError(describeError(e));
      if (currentMode?.kind !== "edit") setText(body);
    }
  };

  const onKeyDown = (e: KeyboardEvent<HTMLTextAreaElement>) => {
    if (e.nativeEvent.isComposing) return;
    if (completion) {
      const n = completion.options.length;
      if (e.key === "ArrowDown" || e.key === "ArrowUp") {
        e.preventDefault();
        setSelected((i) => (i + (e.key === "ArrowDown" ? 1 : n - 1)) % n);
        return;
      }
      if (e.key === "Enter" || e.key === "Tab") {
        e.preventDefault();
        accept(selected);
        return;
      }
      if (e.key === "Escape") {
        e.preventDefault();
        setCompletion(undefined);
        return;
      }
    }
    if (e.key === "Enter" && !e.shiftKey) {
      e.preventDefault();
      void send();
    } else if (e.key === "Escape" && mode) {
      e.preventDefault();
      onModeChange(undefined);
    } else if (e.key === "ArrowUp" && text === "" && !mode && lastOwnMessageId) {
      e.preventDefault();
      onModeChange({ kind: "edit", messageId: lastOwnMessageId });
    }
  };

  const listId = `composer-completions-${conversationId}`;
  const blockedId = "composer-blocked";
  return (
    <form className={styles.composer} onSubmit={send} aria-label="Send a message">
      {mode && (
        <div className={styles.bar} data-kind={mode.kind}>
          <div className={styles.barText}>
            <strong>{mode.kind === "reply" ? `Replying to ${targetSender || "a message"}` : "Editing your message"}</strong>
            <span className={styles.barQuote}>{target ? messageSummary(target) : ""}</span>
          </div>
          <button
            type="button"
            className={styles.ghost}
            onClick={() => onModeChange(undefined)}
            aria-label={mode.kind === "reply" ? "Cancel reply" : "Cancel edit"}
          >
            ✕
          </button>
        </div>
      )}
      {completion && (
        <div
          id={listId}
          className={styles.completions}
          role="listbox"
          aria-label={completion.kind === "emoji" ? "Emoji suggestions" : "People to mention"}
        >
          {completion.options.map((o, i) => (
            <div
              key={o.label}
              id={`${listId}-${i}`}
              role="option"
              tabIndex={-1}
              aria-selected={i === selected}
              className={styles.option}
              onPointerDown={(e) => {
                e.preventDefault();
                accept(i);
              }}
            >
              <span aria-hidden="true" className={styles.optionIcon}>
                {o.icon}
              </span>
              {o.label}
            </div>
          ))}
        </div>
      )}
      {error && (
        <p role="alert" className={styles.error}>
          {error}
        </p>
      )}
      <div className={styles.row}>
        <AttachButton conversationId={conversationId} disabled={blockedReason !== undefined} />
        <div className={styles.pickerAnchor}>
          <button
            ref={emojiButton}
            type="button"
            className={styles.iconButton}
            aria-label="Emoji"
            aria-expanded={picker}
            aria-haspopup="dialog"
            onPointerEnter={preloadPicker}
            onFocus={preloadPicker}
            onClick={() => setPicker((p) => !p)}
          >
            <span aria-hidden="true">☺</span>
          </button>
          {picker && (
            <Suspense fallback={<p className={styles.loading}>Loading emoji…</p>}>
              <EmojiPickerPanel
                label="Choose an emoji"
                onPick={(emoji) => {
                  setPicker(false);
                  insertAtCaret(emoji);
                }}
                onClose={() => {
                  setPicker(false);
                  emojiButton.current?.focus();
                }}
              />
            </Suspense>
          )}
        </div>
        <label className="visually-hidden" htmlFor="composer-text">
          Message
        </label>
        <textarea
          ref={area}
          id="composer-text"
          className={styles.text}
          rows={1}
          value={text}
          placeholder={mode?.kind === "edit" ? "Edit message" : "Message"}
          onChange={onChange}
          onKeyDown={onKeyDown}
          onSelect={(e) => {
            if (completion) updateCompletion(e.currentTarget.value, e.currentTarget.selectionStart ?? 0);
          }}
          onBlur={() => setCompletion(undefined)}
          aria-autocomplete="list"
          aria-controls={completion ? listId : undefined}
          aria-activedescendant={completion ? `${listId}-${selected}` : undefined}
          aria-describedby={blockedReason ? blockedId : undefined}
        />
        <button type="submit" className={styles.send} disabled={blockedReason !== undefined || text.trim() === ""}>
          {mode?.kind === "edit" ? "Save" : "Send"}
        </button>
      </div>
      {blockedReason && (
        <p id={blockedId} className={styles.blocked}>
          {blockedReason}
        </p>
      )}
    </form>
  );
});

function stashActive(stash: { current: string | undefined }): boolean {
  return stash.current !== undefined;
}
