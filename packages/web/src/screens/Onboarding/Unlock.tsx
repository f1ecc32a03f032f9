/**
 * The profile is locked by a passphrase (phase "locked"): ask for it, open the store with it and
 * go on. A wrong passphrase says so and keeps the field; nothing about the account shows before.
 */
import { type FormEvent, useId, useState } from "react";
import { profileName } from "../../app/profile.js";
import { describeError } from "../../sdk/errors.js";
import { useViewStore } from "../../sdk/hooks.js";
import { needsPassphrase, unlockProfile } from "../../sdk/session.js";
import styles from "./Onboarding.module.css";

export function Unlock({ onEmptyStore }: { readonly onEmptyStore?: (store: import("@parley/protocol/client").IndexedDbStore) => void }) {
  const view = useViewStore();
  const id = useId();
  const [passphrase, setPassphrase] = useState("");
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string>();

  const submit = async (event: FormEvent) => {
    event.preventDefault();
    if (!passphrase) {
      setError("Type your passphrase.");
      return;
    }
    setBusy(true);
    setError(undefined);
    try {
      const empty = await unlockProfile(profileName(), passphrase, view);
      if (empty) onEmptyStore?.(empty);
    } catch (e) {
      if (needsPassphrase(e)) {
        setError("That passphrase is not right. Try again.");
      } else if ((e as { code?: unknown }).code === "ERR_STORE_LOCKED") {
        view.setPhase("taken");
      } else setError(describeError(e));
      setBusy(false);
    }
  };

  return (
    <main className={styles.page}>
      <form className={styles.card} onSubmit={submit} aria-labelledby={`${id}-title`} noValidate>
        <h1 id={`${id}-title`}>Unlock Parley</h1>
        <p className={styles.lead}>Your messages on this device are locked with a passphrase.</p>
        <div className={styles.field}>
          <label htmlFor={`${id}-pass`}>Passphrase</label>
          <input
            id={`${id}-pass`}
            type="password"
            autoComplete="current-password"
            value={passphrase}
            aria-invalid={error ? true : undefined}
            aria-describedby={error ? `${id}-error` : undefined}
            onChange={(e) => setPassphrase(e.target.value)}
          />
        </div>
        {error && (
          <p id={`${id}-error`} role="alert" className={styles.error}>
            {error}
          </p>
        )}
        <button type="submit" className={styles.primary} disabled={busy} aria-disabled={busy}>
          {busy ? "Unlocking…" : "Unlock"}
        </button>
      </form>
    </main>
  );
}
