// Shown when another tab has this profile open (one writer per store), or took it from us.
import styles from "./App.module.css";

export function TakenOver({ onTakeOver }: { readonly onTakeOver: () => void }) {
  return (
    <section className={styles.splash} aria-labelledby="taken-title">
      <h1 id="taken-title">Parley is open in another tab</h1>
      <p>Only one tab can use your account at a time, so that your messages stay in order and keys are never reused.</p>
      <button type="button" className={styles.primary} onClick={onTakeOver}>
        Use Parley in this tab
      </button>
    </section>
  );
}
