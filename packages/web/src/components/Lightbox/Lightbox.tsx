/**
 * A full-window view of an image: a modal <dialog> (focus stays inside), Escape or Close shuts
 * it and focus returns to what opened it; Download saves the (already verified) image.
 */
import { useEffect, useRef } from "react";
import styles from "./Lightbox.module.css";

export function Lightbox({
  src,
  alt,
  fileName,
  onClose,
}: {
  /** An object URL of the verified image. */
  readonly src: string;
  readonly alt: string;
  readonly fileName: string;
  readonly onClose: () => void;
}) {
  const dialog = useRef<HTMLDialogElement>(null);
  const close = useRef<HTMLButtonElement>(null);
  const onCloseRef = useRef(onClose);
  onCloseRef.current = onClose;

  useEffect(() => {
    const opener = document.activeElement instanceof HTMLElement ? document.activeElement : null;
    const d = dialog.current;
    if (d && !d.open) d.showModal();
    close.current?.focus();
    return () => {
      if (d?.open) d.close();
      opener?.focus();
    };
  }, []);

  return (
    // biome-ignore lint/a11y/useKeyWithClickEvents: a click on the backdrop closes; Escape and Close are the keyboard paths.
    <dialog
      ref={dialog}
      className={styles.lightbox}
      aria-label={fileName}
      onCancel={(e) => {
        e.preventDefault();
        onCloseRef.current();
      }}
      onClick={(e) => {
        if (e.target === e.currentTarget) onCloseRef.current();
      }}
    >
      <div className={styles.bar}>
        <h2 className={styles.title}>{fileName}</h2>
        <a className={styles.action} href={src} download={fileName}>
          Download
        </a>
        <button ref={close} type="button" className={styles.action} onClick={() => onCloseRef.current()}>
          Close
        </button>
      </div>
      <div className={styles.stage}>
        <img className={styles.image} src={src} alt={alt} />
      </div>
    </dialog>
  );
}
