/**
 * Wraps a conversation so files can be dropped onto it (a visible "Drop to send" overlay while
 * files are dragged over) or pasted anywhere in it: paste events bubble up from the composer,
 * and a paste that carries files sends them instead of inserting anything.
 */
import { type ClipboardEvent, type DragEvent, type ReactNode, useRef, useState } from "react";
import { useViewStore } from "../../sdk/hooks.js";
import { sendFiles } from "../../sdk/transfers.js";
import styles from "./Attachments.module.css";

function carriesFiles(event: DragEvent): boolean {
  return [...event.dataTransfer.types].includes("Files");
}

export function DropZone({ conversationId, children }: { readonly conversationId: string; readonly children: ReactNode }) {
  const store = useViewStore();
  const [over, setOver] = useState(false);
  const depth = useRef(0);

  const onDragEnter = (event: DragEvent) => {
    if (!carriesFiles(event)) return;
    event.preventDefault();
    depth.current++;
    setOver(true);
  };
  const onDragOver = (event: DragEvent) => {
    if (!carriesFiles(event)) return;
    event.preventDefault();
    event.dataTransfer.dropEffect = "copy";
  };
  const onDragLeave = (event: DragEvent) => {
    if (!carriesFiles(event)) return;
    depth.current = Math.max(0, depth.current - 1);
    if (depth.current === 0) setOver(false);
  };
  const onDrop = (event: DragEvent) => {
    depth.current = 0;
    setOver(false);
    const files = [...event.dataTransfer.files];
    if (files.length === 0) return;
    event.preventDefault();
    sendFiles(store, conversationId, files);
  };
  const onPaste = (event: ClipboardEvent) => {
    const files = [...event.clipboardData.files];
    if (files.length === 0) return;
    event.preventDefault();
    sendFiles(store, conversationId, files);
  };

  return (
    // biome-ignore lint/a11y/noStaticElementInteractions: drop and paste targets; the Attach button is the keyboard path.
    <div
      className={styles.dropZone}
      onDragEnter={onDragEnter}
      onDragOver={onDragOver}
      onDragLeave={onDragLeave}
      onDrop={onDrop}
      onPaste={onPaste}
      data-dragging={over || undefined}
    >
      {children}
      {over && (
        <div className={styles.dropOverlay} role="status">
          Drop to send
        </div>
      )}
    </div>
  );
}
