/**
 * The full emoji picker (frimousse), loaded on demand: search, categories, recent emoji on top.
 * Its data comes from this origin (/emojibase/en/*.json, copied at build), never a CDN.
 */
import { EmojiPicker, type EmojiPickerListComponents } from "frimousse";
import { useEffect, useRef } from "react";
import styles from "./EmojiPicker.module.css";
import { recentEmoji, rememberEmoji } from "./recent.js";

export interface EmojiPickerPanelProps {
  readonly onPick: (emoji: string) => void;
  readonly onClose: () => void;
  /** Accessible name of the dialog, e.g. "Choose an emoji". */
  readonly label: string;
}

const LIST_COMPONENTS: EmojiPickerListComponents = {
  CategoryHeader: ({ category, ...props }) => (
    <div className={styles.category} {...props}>
      {category.label}
    </div>
  ),
  Row: ({ children, ...props }) => <div {...props}>{children}</div>,
  // frimousse numbers columns from 0; ARIA's aria-colindex starts at 1.
  Emoji: ({ emoji, ...props }) => (
    // biome-ignore lint/a11y/useSemanticElements: frimousse's grid of emoji buttons (role from the library).
    <button type="button" className={styles.emoji} {...props} role="gridcell" aria-colindex={Number(props["aria-colindex"] ?? 0) + 1}>
      {emoji.emoji}
    </button>
  ),
};

export function EmojiPickerPanel({ onPick, onClose, label }: EmojiPickerPanelProps) {
  const root = useRef<HTMLDivElement>(null);
  const recent = recentEmoji();
  const pick = (emoji: string) => {
    rememberEmoji(emoji);
    onPick(emoji);
  };

  useEffect(() => {
    const onDown = (event: PointerEvent) => {
      if (root.current && !root.current.contains(event.target as Node)) onClose();
    };
    document.addEventListener("pointerdown", onDown);
    return () => document.removeEventListener("pointerdown", onDown);
  }, [onClose]);

  return (
    <div
      ref={root}
      className={styles.panel}
      role="dialog"
      aria-label={label}
      onKeyDown={(e) => {
        if (e.key === "Escape") {
          e.stopPropagation();
          onClose();
        }
      }}
    >
      {recent.length > 0 && (
        <fieldset className={styles.recent}>
          <legend className="visually-hidden">Recently used</legend>
          {recent.slice(0, 8).map((emoji) => (
            <button key={emoji} type="button" className={styles.recentButton} aria-label={emoji} onClick={() => pick(emoji)}>
              {emoji}
            </button>
          ))}
        </fieldset>
      )}
      <EmojiPicker.Root className={styles.root} emojibaseUrl="/emojibase" columns={8} onEmojiSelect={({ emoji }) => pick(emoji)}>
        <EmojiPicker.Search className={styles.search} aria-label="Search emoji" placeholder="Search emoji" autoFocus />
        <EmojiPicker.Viewport className={styles.viewport}>
          <EmojiPicker.Loading className={styles.status}>Loading emoji…</EmojiPicker.Loading>
          <EmojiPicker.Empty className={styles.status}>No emoji found.</EmojiPicker.Empty>
          <EmojiPicker.List className={styles.list} components={LIST_COMPONENTS} />
        </EmojiPicker.Viewport>
      </EmojiPicker.Root>
    </div>
  );
}
