/**
 * An attachment inside a message row: an image (ThumbHash placeholder, then the decrypted image;
 * click opens the lightbox), a video (poster, then a player streaming through the service
 * worker, or a blob after a full download where no worker controls the page), or a document
 * card (icon, name, size, type, Download). Downloads show progress with Cancel; a damaged or
 * incomplete file shows the SDK's reason on the card. The caption, if any, follows.
 */
import type { AttachmentInfo, ChatMessage } from "@parley/protocol/client";
import { lazy, Suspense, useEffect, useMemo, useRef, useState } from "react";
import { thumbHashToApproximateAspectRatio, thumbHashToDataURL } from "thumbhash";
import { describeError } from "../../sdk/errors.js";
import { useParley, useViewStore } from "../../sdk/hooks.js";
import {
  AUTO_DOWNLOAD_BYTES,
  cachedBlob,
  cancelDownload,
  downloadBlob,
  humanDuration,
  humanSize,
  mediaUrl,
  saveAttachment,
  typeLabel,
} from "../../sdk/transfers.js";
import styles from "./Attachments.module.css";
import { TransferProgress } from "./TransferProgress.js";

const Lightbox = lazy(() => import("../Lightbox/Lightbox.js").then((m) => ({ default: m.Lightbox })));

export function AttachmentView({ message }: { readonly message: ChatMessage }) {
  const a = message.attachment;
  if (!a) return null;
  const kind = a.contentType.startsWith("image/") ? "image" : a.contentType.startsWith("video/") ? "video" : "file";
  return (
    <div className={styles.attachment}>
      {kind === "image" ? (
        <ImageAttachment message={message} attachment={a} />
      ) : kind === "video" ? (
        <VideoAttachment message={message} attachment={a} />
      ) : (
        <FileCard message={message} attachment={a} />
      )}
      {message.text && <p className={styles.caption}>{message.text}</p>}
    </div>
  );
}

interface Props {
  readonly message: ChatMessage;
  readonly attachment: AttachmentInfo;
}

/** The ThumbHash as a data URL, or undefined when absent or malformed. */
function usePlaceholder(preview: Uint8Array | undefined): string | undefined {
  return useMemo(() => {
    if (!preview) return undefined;
    try {
      return thumbHashToDataURL(preview);
    } catch {
      return undefined;
    }
  }, [preview]);
}

/** Width/height as custom properties for the box's aspect ratio (from the pointer, else the preview). */
function boxStyle(a: AttachmentInfo): Record<string, string> {
  let ratio = a.width && a.height ? a.width / a.height : undefined;
  if (!ratio && a.preview) {
    try {
      ratio = thumbHashToApproximateAspectRatio(a.preview);
    } catch {
      ratio = undefined;
    }
  }
  const r = Math.min(3, Math.max(1 / 3, ratio ?? 4 / 3));
  return { "--ratio": String(r), "--natural-width": a.width ? `${a.width}px` : "320px" };
}

/** Downloads (or takes from memory) the attachment as an object URL, revoked on unmount. */
function useObjectUrl(message: ChatMessage, enabled: boolean, attempt: number): string | undefined {
  const store = useViewStore();
  const [url, setUrl] = useState<string>();
  const messageRef = useRef(message);
  messageRef.current = message;
  // biome-ignore lint/correctness/useExhaustiveDependencies: a new attempt downloads again.
  useEffect(() => {
    if (!enabled) return;
    let live = true;
    let objectUrl: string | undefined;
    const show = (blob: Blob) => {
      if (!live) return;
      objectUrl = URL.createObjectURL(blob);
      setUrl(objectUrl);
    };
    const cached = cachedBlob(messageRef.current.id);
    if (cached) show(cached);
    else downloadBlob(store, messageRef.current).then(show, () => {});
    return () => {
      live = false;
      if (objectUrl) URL.revokeObjectURL(objectUrl);
      setUrl(undefined);
    };
  }, [store, enabled, attempt]);
  return url;
}

function ImageAttachment({ message, attachment: a }: Props) {
  const transfer = useParley((s) => s.transfers[message.id]);
  const [attempt, setAttempt] = useState(0);
  const [wanted, setWanted] = useState(a.size <= AUTO_DOWNLOAD_BYTES || cachedBlob(message.id) !== undefined);
  const url = useObjectUrl(message, wanted, attempt);
  const placeholder = usePlaceholder(a.preview);
  const [open, setOpen] = useState(false);
  const name = a.fileName || "image";
  const stopped = transfer && (transfer.state === "failed" || transfer.state === "cancelled") && !url;

  return (
    <>
      <div className={styles.media} style={boxStyle(a)}>
        {placeholder && !url && <img className={styles.placeholder} src={placeholder} alt="" />}
        {url ? (
          <button type="button" className={styles.mediaButton} onClick={() => setOpen(true)} aria-label={`Open image ${name}`}>
            <img className={styles.image} src={url} alt={message.text || name} />
          </button>
        ) : (
          <div className={styles.mediaOverlay}>
            {transfer?.state === "active" ? (
              <TransferProgress transfer={transfer} label={`Downloading ${name}`} onCancel={() => cancelDownload(message.id)} />
            ) : stopped ? (
              <>
                {transfer.state === "failed" && (
                  <p className={styles.error} role="alert">
                    {transfer.error}
                  </p>
                )}
                <button type="button" className={styles.pill} onClick={() => setAttempt((n) => n + 1)}>
                  {transfer.state === "failed" ? "Try again" : "Download"} ({humanSize(a.size)})
                </button>
              </>
            ) : !wanted ? (
              <button type="button" className={styles.pill} onClick={() => setWanted(true)}>
                Download image ({humanSize(a.size)})
              </button>
            ) : (
              <span className="visually-hidden">Loading image {name}</span>
            )}
          </div>
        )}
      </div>
      {open && url && (
        <Suspense fallback={null}>
          <Lightbox src={url} alt={message.text || name} fileName={name} onClose={() => setOpen(false)} />
        </Suspense>
      )}
    </>
  );
}

function VideoAttachment({ message, attachment: a }: Props) {
  const store = useViewStore();
  const transfer = useParley((s) => s.transfers[message.id]);
  const poster = usePlaceholder(a.preview);
  const [mode, setMode] = useState<"idle" | "stream" | "blob">("idle");
  const [src, setSrc] = useState<string>();
  const [error, setError] = useState<string>();
  const videoRef = useRef<HTMLVideoElement>(null);
  const messageRef = useRef(message);
  messageRef.current = message;
  const name = a.fileName || "video";
  const details = [a.durationMs ? humanDuration(a.durationMs) : undefined, humanSize(a.size)].filter(Boolean).join(", ");

  // A blob URL made here is revoked when the player goes away.
  useEffect(() => {
    if (mode !== "blob") return;
    let live = true;
    let objectUrl: string | undefined;
    downloadBlob(store, messageRef.current).then(
      (blob) => {
        if (!live) return;
        objectUrl = URL.createObjectURL(blob);
        setSrc(objectUrl);
      },
      (e: unknown) => live && setError(describeError(e)),
    );
    return () => {
      live = false;
      if (objectUrl) URL.revokeObjectURL(objectUrl);
    };
  }, [mode, store]);

  useEffect(() => {
    if (src) videoRef.current?.play().catch(() => {});
  }, [src]);

  useEffect(() => () => cancelDownload(message.id), [message.id]);

  const start = () => {
    setError(undefined);
    const url = mediaUrl(store, message.id);
    if (url) {
      setMode("stream");
      setSrc(url);
    } else setMode("blob");
  };

  const onVideoError = () => {
    // The worker could not stream (no transferable streams, a restarted worker): download whole.
    if (mode === "stream") {
      const failure = store.getSnapshot().transfers[message.id];
      if (failure?.state === "failed") {
        setError(failure.error);
        setSrc(undefined);
        setMode("idle");
        return;
      }
      setSrc(undefined);
      setMode("blob");
    }
  };

  return (
    <div className={styles.media} style={boxStyle(a)}>
      {src ? (
        // biome-ignore lint/a11y/useMediaCaption: people's own videos come without captions.
        <video
          ref={videoRef}
          className={styles.video}
          src={src}
          poster={poster}
          controls
          playsInline
          onError={onVideoError}
          aria-label={`Video ${name}`}
          data-mode={mode}
        />
      ) : (
        <>
          {poster && <img className={styles.placeholder} src={poster} alt="" />}
          <div className={styles.mediaOverlay}>
            {mode === "blob" && transfer?.state === "active" ? (
              <TransferProgress
                transfer={transfer}
                label={`Downloading ${name}`}
                onCancel={() => {
                  cancelDownload(message.id);
                  setMode("idle");
                }}
              />
            ) : (
              <>
                {(error || (transfer?.state === "failed" && mode === "idle")) && (
                  <p className={styles.error} role="alert">
                    {error ?? transfer?.error}
                  </p>
                )}
                <button type="button" className={styles.play} onClick={start} aria-label={`Play video ${name}, ${details}`}>
                  <svg viewBox="0 0 24 24" width="28" height="28" aria-hidden="true" focusable="false">
                    <path d="M8 5v14l11-7z" fill="currentColor" />
                  </svg>
                  <span className={styles.playText}>{details}</span>
                </button>
              </>
            )}
          </div>
        </>
      )}
      {mode === "stream" && transfer?.state === "active" && src && (
        <div className={styles.streamBar}>
          <TransferProgress
            transfer={transfer}
            label={`Loading ${name}`}
            onCancel={() => {
              cancelDownload(message.id);
              setSrc(undefined);
              setMode("idle");
            }}
          />
        </div>
      )}
    </div>
  );
}

function FileCard({ message, attachment: a }: Props) {
  const store = useViewStore();
  const transfer = useParley((s) => s.transfers[message.id]);
  const [error, setError] = useState<string>();
  const name = a.fileName || "file";
  const type = typeLabel(name, a.contentType);
  const save = () => {
    setError(undefined);
    saveAttachment(store, message).catch((e: unknown) => {
      if ((e as { name?: string } | null)?.name !== "AbortError") setError(describeError(e));
    });
  };
  const failure = error ?? (transfer?.state === "failed" ? transfer.error : undefined);
  return (
    <div className={styles.card}>
      <svg className={styles.fileIcon} viewBox="0 0 24 24" width="36" height="36" aria-hidden="true" focusable="false">
        <path d="M6 2h8l6 6v12a2 2 0 0 1-2 2H6a2 2 0 0 1-2-2V4a2 2 0 0 1 2-2z" fill="currentColor" opacity="0.18" />
        <path d="M14 2v6h6" fill="none" stroke="currentColor" strokeWidth="1.5" />
        <path d="M6 2h8l6 6v12a2 2 0 0 1-2 2H6a2 2 0 0 1-2-2V4a2 2 0 0 1 2-2z" fill="none" stroke="currentColor" strokeWidth="1.5" />
      </svg>
      <div className={styles.cardBody}>
        <span className={styles.fileName} title={name}>
          {name}
        </span>
        <span className={styles.fileMeta}>
          {humanSize(a.size)} · {type}
        </span>
      </div>
      {transfer?.state !== "active" && (
        <button type="button" className={styles.pill} onClick={save} aria-label={`Download ${name}`}>
          Download
        </button>
      )}
      {transfer?.state === "active" && (
        <div className={styles.cardWide}>
          <TransferProgress transfer={transfer} label={`Downloading ${name}`} onCancel={() => cancelDownload(message.id)} />
        </div>
      )}
      {failure && (
        <p className={`${styles.error} ${styles.cardWide}`} role="alert">
          {failure}
        </p>
      )}
    </div>
  );
}
