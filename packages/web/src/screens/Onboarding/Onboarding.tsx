/**
 * First run: pick a handle and a display name; the account's keys are made here and kept in
 * this browser's encrypted IndexedDB store. (H6 extends: passphrase lock, restore from backup,
 * link as a new device.)
 */
import type { Store } from "@parley/protocol/client";
import { type FormEvent, useState } from "react";
import { describeError } from "../../sdk/errors.js";
import { useViewStore } from "../../sdk/hooks.js";
import { createSession } from "../../sdk/session.js";
import styles from "./Onboarding.module.css";

export function Onboarding({ store }: { readonly store: Store }) {
  const view = useViewStore();
  const [handle, setHandle] = useState("");
  const [displayName, setDisplayName] = useState("");
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string>();

  const submit = async (event: FormEvent) => {
    event.preventDefault();
    setBusy(true);
    setError(undefined);
    try {
      await createSession(store, view, { handle: handle.trim().replace(/^@/, ""), displayName: displayName.trim() || handle.trim() });
    } catch (e) {
      setError(describeError(e));
      setBusy(false);
    }
  };

  return (
    <main className={styles.page}>
      <form className={styles.card} onSubmit={submit} aria-labelledby="onboarding-title">
        <h1 id="onboarding-title">Welcome to Parley</h1>
        <p className={styles.lead}>Private chat. Your keys are made on this device and never leave it unencrypted.</p>
        <label className={styles.field}>
          <span>Handle</span>
          <input
            name="handle"
            autoComplete="username"
            required
            minLength={3}
            maxLength={32}
            value={handle}
            onChange={(e) => setHandle(e.target.value)}
          />
          <small>How people find you, like @alice.</small>
        </label>
        <label className={styles.field}>
          <span>Display name</span>
          <input
            name="displayName"
            autoComplete="nickname"
            maxLength={64}
            value={displayName}
            onChange={(e) => setDisplayName(e.target.value)}
          />
        </label>
        {error && (
          <p role="alert" className={styles.error}>
            {error}
          </p>
        )}
        <button type="submit" className={styles.primary} aria-disabled={busy} disabled={busy}>
          {busy ? "Creating your account…" : "Create account"}
        </button>
      </form>
    </main>
  );
}
