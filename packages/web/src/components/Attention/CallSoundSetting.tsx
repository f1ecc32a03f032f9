/**
 * The call-sounds switch of the notification settings: ringtone, ringback and the busy/ended
 * cues on or off in this browser (a UI preference in localStorage, ../../calls/ringer-settings.ts).
 * It applies at once, also to a call ringing now; the ringing banner and notifications stay.
 */
import { useEffect, useId, useState } from "react";
import { callSoundsEnabled, onCallSoundsChange, setCallSoundsEnabled } from "../../calls/ringer-settings.js";
import styles from "./Attention.module.css";

/** The "Play call sounds" switch (Settings › Notifications): on by default, per browser. */
export function CallSoundSetting() {
  const id = useId();
  const [enabled, setEnabled] = useState(callSoundsEnabled);
  useEffect(() => onCallSoundsChange(setEnabled), []);
  return (
    <div className={styles.toggle}>
      <input
        id={id}
        type="checkbox"
        checked={enabled}
        aria-describedby={`${id}-hint`}
        onChange={(e) => setCallSoundsEnabled(e.target.checked)}
      />
      <label htmlFor={id}>Play call sounds</label>
      <small id={`${id}-hint`} className={styles.hint}>
        A ringtone for incoming calls and a ringing tone while you call, in this browser. Off: calls still show on screen and in
        notifications.
      </small>
    </div>
  );
}
