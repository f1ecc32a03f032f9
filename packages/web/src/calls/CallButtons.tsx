/**
 * The voice and video call buttons of a conversation header (1:1 and groups). They are
 * disabled while a call runs on this device or before the client is ready.
 */

import styles from "./Calls.module.css";
import { useCalls, useCallsController } from "./context.js";

export function CallButtons({ conversationId, title }: { readonly conversationId: string; readonly title: string }) {
  const controller = useCallsController();
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
        <span aria-hidden="true">📞</span>
      </button>
      <button
        type="button"
        className={styles.iconButton}
        aria-label={`Video call ${title}`}
        title="Video call"
        disabled={disabled}
        onClick={() => controller?.start(conversationId, true)}
      >
        <span aria-hidden="true">🎥</span>
      </button>
    </div>
  );
}
