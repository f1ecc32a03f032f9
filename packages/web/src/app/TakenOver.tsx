// Shown when another tab has this profile open (one writer per store), or took it from us, and
// when the app could not start at all (with a retry).
import { useParley } from "../sdk/hooks.js";
import styles from "./App.module.css";

export function TakenOver({ onTakeOver }: { readonly onTakeOver: () => void }) {
  // An account was running in this tab: another tab took it over. Otherwise this tab came second.
  const wasRunning = useParley((s) => s.me !== undefined);
  return (
    <main className={styles.splash} aria-labelledby="taken-title">
      <h1 id="taken-title">{wasRunning ? "Parley was opened in another tab" : "Parley is open in another tab"}</h1>
      <p>
        {wasRunning
          ? "This tab has stopped so that the other one can use your account. "
          : "Only one tab can use your account at a time, so that your messages stay in order and keys are never reused. "}
        Using it here stops the other tab.
      </p>
      <button type="button" className={styles.primary} onClick={onTakeOver}>
        Use Parley in this tab
      </button>
    </main>
  );
}

/** Phase "failed": why, and a way to try again (a fresh start of the page). */
export function StartFailed({
  reason,
  onRetry = () => window.location.reload(),
}: {
  readonly reason?: string;
  readonly onRetry?: () => void;
}) {
  return (
    <main className={styles.splash} aria-labelledby="failed-title">
      <h1 id="failed-title">Parley could not start</h1>
      <p role="alert">{reason ?? "Something went wrong while opening your account."}</p>
      <button type="button" className={styles.primary} onClick={onRetry}>
        Try again
      </button>
    </main>
  );
}
