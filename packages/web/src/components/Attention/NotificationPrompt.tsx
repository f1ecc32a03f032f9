/**
 * The app's own question before the browser's: shown once, after the user sent their first
 * message. "Turn on" asks the browser for permission (a click, as browsers require); the choice
 * of showing message text in notifications is saved as a UI preference.
 */
import { useState } from "react";
import { notificationPreview, requestNotificationPermission, setNotificationPreview } from "../../sdk/notifications.js";
import styles from "./Attention.module.css";

export function NotificationPrompt({ onDone }: { readonly onDone: () => void }) {
  const [showText, setShowText] = useState(() => notificationPreview() === "text");
  const [denied, setDenied] = useState(false);
  const turnOn = async () => {
    setNotificationPreview(showText ? "text" : "sender");
    const answer = await requestNotificationPermission();
    if (answer === "granted") onDone();
    else setDenied(true);
  };
  return (
    <section className={styles.prompt} aria-labelledby="notify-prompt-title">
      <h2 id="notify-prompt-title" className={styles.title}>
        Get notified of new messages?
      </h2>
      {denied ? (
        <p className={styles.text} role="status">
          Your browser blocked notifications for Parley. You can allow them in the browser’s site settings.
        </p>
      ) : (
        <>
          <p className={styles.text}>Parley can tell you about new messages while this tab is in the background.</p>
          <label className={styles.check}>
            <input type="checkbox" checked={showText} onChange={(e) => setShowText(e.target.checked)} />
            Show the message text in notifications (otherwise only who wrote)
          </label>
        </>
      )}
      <div className={styles.actions}>
        {denied ? (
          <button type="button" className={styles.primary} onClick={onDone}>
            OK
          </button>
        ) : (
          <>
            <button type="button" className={styles.primary} onClick={turnOn}>
              Turn on
            </button>
            <button type="button" className={styles.secondary} onClick={onDone}>
              Not now
            </button>
          </>
        )}
      </div>
    </section>
  );
}
