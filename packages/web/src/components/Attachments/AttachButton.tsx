/**
 * The composer's "Attach files" button (a file input, several files at once) and, above it, the
 * conversation's upload tray: each upload's progress with Cancel; a cancelled or failed upload
 * can be resumed (the relay keeps what it got) or discarded.
 */
import { useEffect, useId, useRef, useState } from "react";
import { useParley, useViewStore } from "../../sdk/hooks.js";
import type { Transfer } from "../../sdk/store.js";
import {
  cancelUpload,
  canResume,
  discardUpload,
  isUploadKey,
  loadPendingUploads,
  resumeUpload,
  resumeWithFile,
  sendFiles,
} from "../../sdk/transfers.js";
import styles from "./Attachments.module.css";
import { TransferProgress } from "./TransferProgress.js";

export function AttachButton({ conversationId, disabled }: { readonly conversationId: string; readonly disabled?: boolean }) {
  const store = useViewStore();
  const input = useRef<HTMLInputElement>(null);
  const id = useId();
  const keys = useParley((s) =>
    Object.keys(s.transfers).filter((k) => isUploadKey(k) && s.transfers[k]?.conversationId === conversationId),
  );

  useEffect(() => {
    loadPendingUploads(store, conversationId).catch(() => {});
  }, [store, conversationId]);

  return (
    <span className={styles.attach}>
      <input
        ref={input}
        id={id}
        type="file"
        multiple
        hidden
        tabIndex={-1}
        onChange={(e) => {
          const files = [...(e.currentTarget.files ?? [])];
          e.currentTarget.value = "";
          if (files.length > 0) sendFiles(store, conversationId, files);
        }}
      />
      <button
        type="button"
        className={styles.attachButton}
        aria-label="Attach files"
        title="Attach files"
        disabled={disabled}
        onClick={() => input.current?.click()}
      >
        <svg viewBox="0 0 24 24" width="22" height="22" aria-hidden="true" focusable="false">
          <path
            d="M16.5 6.5v10a4.5 4.5 0 0 1-9 0V5a3 3 0 0 1 6 0v10.5a1.5 1.5 0 0 1-3 0V6.5"
            fill="none"
            stroke="currentColor"
            strokeWidth="1.8"
            strokeLinecap="round"
          />
        </svg>
      </button>
      {keys.length > 0 && (
        <ul className={styles.tray} aria-label="Uploads">
          {keys.map((key) => (
            <UploadItem key={key} uploadKey={key} />
          ))}
        </ul>
      )}
    </span>
  );
}

function UploadItem({ uploadKey }: { readonly uploadKey: string }) {
  const store = useViewStore();
  const t = useParley((s) => s.transfers[uploadKey]) as Transfer | undefined;
  const picker = useRef<HTMLInputElement>(null);
  const [pickError, setPickError] = useState<string>();
  if (!t) return null;
  const name = t.fileName ?? "file";
  const resumable = t.state !== "active" && canResume(uploadKey);
  // Left from an earlier visit: the file must be picked again to continue.
  const needsFile = t.state !== "active" && !resumable && t.uploadId !== undefined;
  return (
    <li className={styles.upload}>
      <div className={styles.uploadHead}>
        <span className={styles.uploadName} title={name}>
          {name}
        </span>
        <span className={styles.uploadState}>{stateText(t)}</span>
      </div>
      {t.state === "active" ? (
        <TransferProgress transfer={t} label={`Uploading ${name}`} onCancel={() => cancelUpload(uploadKey)} />
      ) : (
        <>
          {t.state === "failed" && t.error && (
            <p className={styles.error} role="alert">
              {t.error}
            </p>
          )}
          {pickError && (
            <p className={styles.error} role="alert">
              {pickError}
            </p>
          )}
          <div className={styles.uploadActions}>
            {needsFile && (
              <>
                <input
                  ref={picker}
                  type="file"
                  hidden
                  tabIndex={-1}
                  onChange={(e) => {
                    const file = e.currentTarget.files?.[0];
                    e.currentTarget.value = "";
                    if (file) setPickError(resumeWithFile(store, uploadKey, file));
                  }}
                />
                <button
                  type="button"
                  className={styles.pill}
                  onClick={() => picker.current?.click()}
                  aria-label={`Resume ${name}: choose the file again`}
                >
                  Resume…
                </button>
              </>
            )}
            {resumable && (
              <button type="button" className={styles.pill} onClick={() => resumeUpload(store, uploadKey)} aria-label={`Resume ${name}`}>
                Resume
              </button>
            )}
            <button
              type="button"
              className={styles.linkButton}
              onClick={() => discardUpload(store, uploadKey).catch(() => {})}
              aria-label={`Discard ${name}`}
            >
              Discard
            </button>
          </div>
        </>
      )}
    </li>
  );
}

function stateText(t: Transfer): string {
  switch (t.state) {
    case "active":
      return t.loaded >= t.total && t.total > 0 ? "Sending…" : "Uploading…";
    case "cancelled":
      return "Paused";
    case "failed":
      return "Not sent";
    default:
      return "";
  }
}
