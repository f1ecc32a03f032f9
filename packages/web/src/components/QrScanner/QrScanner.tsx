/**
 * Scans a QR code with the camera: a modal dialog with the live picture; each quarter second a
 * frame goes to the decoder (zxing-wasm, loaded on demand), and the first code read is handed to
 * `onResult`. Without a camera (or permission) it says so and points to pasting instead.
 */
import { useEffect, useRef, useState } from "react";
import styles from "./QrScanner.module.css";

const FRAME_MS = 250;

export interface QrScannerProps {
  /** The dialog's title, e.g. "Scan their safety number". */
  readonly title: string;
  readonly onResult: (text: string) => void;
  readonly onClose: () => void;
}

export function QrScanner({ title, onResult, onClose }: QrScannerProps) {
  const dialog = useRef<HTMLDialogElement>(null);
  const video = useRef<HTMLVideoElement>(null);
  const [problem, setProblem] = useState<string>();
  const [state, setState] = useState<"starting" | "scanning">("starting");
  const done = useRef(onResult);
  done.current = onResult;

  useEffect(() => {
    const d = dialog.current;
    if (d && !d.open) d.showModal();
    let stopped = false;
    let stream: MediaStream | undefined;
    let timer: ReturnType<typeof setTimeout> | undefined;
    const canvas = document.createElement("canvas");
    (async () => {
      if (!navigator.mediaDevices?.getUserMedia) throw new Error("no camera API");
      const [media, { decodeQr }] = await Promise.all([
        navigator.mediaDevices.getUserMedia({ video: { facingMode: "environment" }, audio: false }),
        import("./decode.js"),
      ]);
      stream = media;
      if (stopped) return;
      const v = video.current;
      if (!v) return;
      v.srcObject = media;
      await v.play();
      setState("scanning");
      const tick = async () => {
        if (stopped) return;
        const width = v.videoWidth;
        const height = v.videoHeight;
        if (width > 0 && height > 0) {
          canvas.width = width;
          canvas.height = height;
          const g = canvas.getContext("2d", { willReadFrequently: true });
          g?.drawImage(v, 0, 0, width, height);
          const text = g ? await decodeQr(g.getImageData(0, 0, width, height)).catch(() => undefined) : undefined;
          if (stopped) return;
          if (text) {
            stopped = true;
            done.current(text);
            return;
          }
        }
        timer = setTimeout(tick, FRAME_MS);
      };
      await tick();
    })().catch(() => {
      if (!stopped) setProblem("No camera is available here, or Parley may not use it. Paste the code instead.");
    });
    return () => {
      stopped = true;
      clearTimeout(timer);
      for (const track of stream?.getTracks() ?? []) track.stop();
    };
  }, []);

  return (
    <dialog
      ref={dialog}
      className={styles.dialog}
      aria-labelledby="qr-scanner-title"
      onCancel={(e) => {
        e.preventDefault();
        onClose();
      }}
    >
      <h2 id="qr-scanner-title" className={styles.title}>
        {title}
      </h2>
      {problem ? (
        <p role="alert" className={styles.problem}>
          {problem}
        </p>
      ) : (
        <>
          <video ref={video} className={styles.video} muted playsInline aria-label="Camera picture" />
          <p className={styles.hint} role="status">
            {state === "starting" ? "Starting the camera…" : "Hold the code inside the frame."}
          </p>
        </>
      )}
      <button type="button" className={styles.close} onClick={onClose}>
        Cancel
      </button>
    </dialog>
  );
}
