/**
 * The voice and video call buttons of a conversation header (1:1 and groups). They are
 * disabled while a call runs on this device or before the client is ready. Showing them fetches
 * the ICE servers ahead (cached by the SDK), so a call from here does not wait for them.
 */

import { useEffect } from "react";
import styles from "./Calls.module.css";
import { useCalls, useCallsController } from "./context.js";

export function CallButtons({ conversationId, title }: { readonly conversationId: string; readonly title: string }) {
  const controller = useCallsController();
  // A call from here should not wait for the ICE servers: ask for them when a conversation opens
  // (the SDK answers from its cache while they are fresh; a new login empties it).
  useEffect(() => {
    if (conversationId) controller?.prepare();
  }, [controller, conversationId]);
  const busy = useCalls((s) => s?.current !== undefined || s?.incoming !== undefined);
  const disabled = !controller || busy;
  return (
    <div className={styles.callButtons}>
      <button
        type="button"
        className={styles.iconButton}
        aria-label={`Voice call ${title}`}
        title="Voice call"
        disabled={disabled}
        onClick={() => controller?.start(conversationId, false)}
      >
        <PhoneIcon />
      </button>
      <button
        type="button"
        className={styles.iconButton}
        aria-label={`Video call ${title}`}
        title="Video call"
        disabled={disabled}
        onClick={() => controller?.start(conversationId, true)}
      >
        <VideoIcon />
      </button>
    </div>
  );
}

/** A handset (inline SVG: no icon font, no emoji font needed). */
function PhoneIcon() {
  return (
    <svg className={styles.icon} viewBox="0 0 24 24" aria-hidden="true" focusable="false">
      <path d="M6.6 10.8a15.5 15.5 0 0 0 6.6 6.6l2.2-2.2a1 1 0 0 1 1-.25 11.4 11.4 0 0 0 3.6.57 1 1 0 0 1 1 1V20a1 1 0 0 1-1 1A17 17 0 0 1 3 4a1 1 0 0 1 1-1h3.5a1 1 0 0 1 1 1c0 1.25.2 2.45.57 3.57a1 1 0 0 1-.25 1z" />
    </svg>
  );
}

/** A video camera (inline SVG). */
function VideoIcon() {
  return (
    <svg className={styles.icon} viewBox="0 0 24 24" aria-hidden="true" focusable="false">
      <path d="M4 6h11a1 1 0 0 1 1 1v3.5l4.3-3.1a.5.5 0 0 1 .7.4v8.4a.5.5 0 0 1-.7.4L16 13.5V17a1 1 0 0 1-1 1H4a1 1 0 0 1-1-1V7a1 1 0 0 1 1-1z" />
    </svg>
  );
}
