/**
 * Notification preferences for the Settings screen: the browser's permission (with a button to
 * ask when it was never asked) and whether notifications show the message text.
 */
import { useState } from "react";
import {
  type NotificationPreview,
  notificationPermission,
  notificationPreview,
  requestNotificationPermission,
  setNotificationPreview,
} from "../../sdk/notifications.js";
import styles from "./Attention.module.css";

export function NotificationSettings() {
  const [permission, setPermission] = useState(notificationPermission);
  const [preview, setPreview] = useState<NotificationPreview>(notificationPreview);
  const choose = (value: NotificationPreview) => {
    setNotificationPreview(value);
    setPreview(value);
  };
  return (
    <fieldset className={styles.settings}>
      <legend>Desktop notifications</legend>
      <p className={styles.text}>
        {permission === "granted"
          ? "On: you are notified of new messages while Parley is in the background."
          : permission === "denied"
            ? "Blocked by your browser. Allow them in the browser’s site settings."
            : permission === "unsupported"
              ? "This browser cannot show notifications."
              : "Off."}
      </p>
      {permission === "default" && (
        <button type="button" className={styles.secondary} onClick={async () => setPermission(await requestNotificationPermission())}>
          Turn on notifications
        </button>
      )}
      <label className={styles.check}>
        <input type="radio" name="notification-preview" checked={preview === "sender"} onChange={() => choose("sender")} />
        Show only who wrote
      </label>
      <label className={styles.check}>
        <input type="radio" name="notification-preview" checked={preview === "text"} onChange={() => choose("text")} />
        Show who wrote and the message text
      </label>
    </fieldset>
  );
}
