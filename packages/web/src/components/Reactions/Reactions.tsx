/**
 * Reactions under a message as chips (emoji + count; yours highlighted; a click toggles yours),
 * and the reaction chooser: six quick emoji plus "More…" for the full picker (loaded on demand).
 */
import { lazy, Suspense, useEffect, useLayoutEffect, useRef, useState } from "react";
import { DEFAULT_RECENT, rememberEmoji } from "../EmojiPicker/recent.js";
import styles from "./Reactions.module.css";

const EmojiPickerPanel = lazy(() => import("../EmojiPicker/EmojiPicker.js").then((m) => ({ default: m.EmojiPickerPanel })));

export const QUICK_REACTIONS: readonly string[] = DEFAULT_RECENT;

export interface ReactionChipsProps {
  /** emoji → user ids (hex). */
  readonly reactions: Readonly<Record<string, readonly string[]>>;
  readonly me: string | undefined;
  /** Names of who reacted, for the chip's label. */
  readonly nameOf: (userId: string) => string;
  readonly onToggle: (emoji: string, mine: boolean) => void;
}

export function ReactionChips({ reactions, me, nameOf, onToggle }: ReactionChipsProps) {
  const entries = Object.entries(reactions).filter(([, users]) => users.length > 0);
  if (entries.length === 0) return null;
  return (
    <ul className={styles.chips} aria-label="Reactions">
      {entries.map(([emoji, users]) => {
        const mine = me !== undefined && users.includes(me);
        const who = users.map(nameOf).join(", ");
        return (
          <li key={emoji}>
            <button
              type="button"
              className={styles.chip}
              data-mine={mine || undefined}
              aria-pressed={mine}
              aria-label={`${emoji} ${users.length}: ${who}${mine ? ". Click to remove yours" : ""}`}
              title={who}
              onClick={() => onToggle(emoji, mine)}
            >
              <span aria-hidden="true">{emoji}</span>
              <span aria-hidden="true" className={styles.count}>
                {users.length}
              </span>
            </button>
          </li>
        );
      })}
    </ul>
  );
}

export interface ReactionMenuProps {
  /** Which edge of the message the menu lines up with (start for incoming, end for own). */
  readonly align: "start" | "end";
  readonly onPick: (emoji: string) => void;
  readonly onClose: () => void;
}

/** Quick reactions; "More…" swaps in the full picker. Focus starts on the first emoji; Escape closes. */
export function ReactionMenu({ align, onPick, onClose }: ReactionMenuProps) {
  const [full, setFull] = useState(false);
  const first = useRef<HTMLButtonElement>(null);
  const box = useRef<HTMLDivElement>(null);
  // Opens above the message, or below it when that would leave the scrolling timeline.
  const [below, setBelow] = useState(false);
  useLayoutEffect(() => {
    const el = box.current;
    const scroller = el?.closest("[data-virtuoso-scroller]");
    if (el && scroller && el.getBoundingClientRect().top < scroller.getBoundingClientRect().top) setBelow(true);
  }, []);
  useEffect(() => {
    if (!full) first.current?.focus();
  }, [full]);
  useEffect(() => {
    if (full) return;
    const onDown = (event: PointerEvent) => {
      if (box.current && !box.current.contains(event.target as Node)) onClose();
    };
    document.addEventListener("pointerdown", onDown);
    return () => document.removeEventListener("pointerdown", onDown);
  }, [full, onClose]);

  if (full)
    return (
      <div className={styles.fullAnchor} data-align={align}>
        <Suspense fallback={<p className={styles.loading}>Loading emoji…</p>}>
          <EmojiPickerPanel label="Choose a reaction" onPick={onPick} onClose={onClose} />
        </Suspense>
      </div>
    );
  const pick = (emoji: string) => {
    rememberEmoji(emoji);
    onPick(emoji);
  };
  return (
    <div
      ref={box}
      className={styles.menu}
      data-align={align}
      data-below={below || undefined}
      role="dialog"
      aria-label="React"
      onKeyDown={(e) => {
        if (e.key === "Escape") {
          e.stopPropagation();
          onClose();
        }
      }}
    >
      {QUICK_REACTIONS.map((emoji, i) => (
        <button
          key={emoji}
          ref={i === 0 ? first : undefined}
          type="button"
          className={styles.quick}
          aria-label={`React ${emoji}`}
          onClick={() => pick(emoji)}
        >
          {emoji}
        </button>
      ))}
      <button type="button" className={styles.more} onClick={() => setFull(true)}>
        More…
      </button>
    </div>
  );
}
