/**
 * First run. Three ways in:
 * - create an account: handle + display name, optionally locked by a passphrase;
 * - "Link to my account on another device": link this browser (Link/LinkNewDevice);
 * - "Restore from a backup": a backup file + its passphrase (ParleyClient.restoreBackup).
 * The account's keys are made here and kept in this browser's encrypted IndexedDB store. When the
 * handle cannot be claimed once the account is made (taken, or the relay out of reach), the
 * account stays and people choose another handle (ClaimHandle) before they enter the app.
 */
import { type IndexedDbStore, ParleyClient } from "@parley/protocol/client";
import { type FormEvent, useId, useState } from "react";
import { profileName } from "../../app/profile.js";
import { describeError, errorCode } from "../../sdk/errors.js";
import { useViewStore } from "../../sdk/hooks.js";
import { canRestoreBackup, createSession, recreateWithPassphrase, restoreSession } from "../../sdk/session.js";
import { LinkNewDevice } from "../Link/LinkNewDevice.js";
import { ClaimHandleForm } from "./ClaimHandle.js";
import { HandleField } from "./HandleField.js";
import { HANDLE_PATTERN, HANDLE_RULE } from "./handle.js";
import styles from "./Onboarding.module.css";

export { HANDLE_PATTERN } from "./handle.js";
/** Shortest passphrase accepted for the store lock. */
export const MIN_PASSPHRASE = 8;

type Mode = "create" | "link" | "restore";

/** An account made here whose handle could not be claimed: where it is, and what was refused. */
interface Unclaimed {
  readonly store: IndexedDbStore;
  readonly refused: string;
  readonly reason: string;
  readonly displayName: string;
}

export function Onboarding({ store }: { readonly store: IndexedDbStore }) {
  const view = useViewStore();
  const [mode, setMode] = useState<Mode>("create");
  const [unclaimed, setUnclaimed] = useState<Unclaimed>();
  if (unclaimed) {
    // The keys are made: only the handle is missing, so linking or restoring is no longer offered.
    return (
      <main className={styles.page}>
        <ClaimHandleForm
          refused={unclaimed.refused}
          reason={unclaimed.reason}
          claim={async (handle) => {
            // createSession opens the account already in the store and claims the handle.
            await createSession(unclaimed.store, view, { handle, displayName: unclaimed.displayName });
          }}
        />
      </main>
    );
  }
  if (mode === "link") return <LinkNewDevice store={store} onCancel={() => setMode("create")} />;
  return (
    <main className={styles.page}>
      {mode === "create" ? (
        <CreateAccount store={store} onUnclaimed={setUnclaimed} />
      ) : (
        <RestoreBackup store={store} onCancel={() => setMode("create")} />
      )}
      {mode === "create" && (
        <nav className={styles.alternatives} aria-label="Other ways in">
          <button type="button" className={styles.link} onClick={() => setMode("link")}>
            Link to my account on another device
          </button>
          <button type="button" className={styles.link} onClick={() => setMode("restore")}>
            Restore from a backup
          </button>
        </nav>
      )}
    </main>
  );
}

function CreateAccount({ store, onUnclaimed }: { readonly store: IndexedDbStore; readonly onUnclaimed: (unclaimed: Unclaimed) => void }) {
  const view = useViewStore();
  const id = useId();
  const [handle, setHandle] = useState("");
  const [displayName, setDisplayName] = useState("");
  const [lock, setLock] = useState(false);
  const [passphrase, setPassphrase] = useState("");
  const [confirm, setConfirm] = useState("");
  const [busy, setBusy] = useState(false);
  const [handleError, setHandleError] = useState<string>();
  const [passError, setPassError] = useState<string>();
  const [error, setError] = useState<string>();
  const [target, setTarget] = useState<IndexedDbStore>(store);

  const submit = async (event: FormEvent) => {
    event.preventDefault();
    setError(undefined);
    const name = handle.trim().replace(/^@/, "");
    const badHandle = HANDLE_PATTERN.test(name) ? undefined : HANDLE_RULE;
    const badPass = !lock
      ? undefined
      : passphrase.length < MIN_PASSPHRASE
        ? `Use at least ${MIN_PASSPHRASE} characters.`
        : passphrase !== confirm
          ? "The two passphrases are not the same."
          : undefined;
    setHandleError(badHandle);
    setPassError(badPass);
    if (badHandle || badPass) return;
    setBusy(true);
    let into = target;
    const profile = { handle: name, displayName: displayName.trim() || name };
    try {
      if (lock && passphrase) {
        into = await recreateWithPassphrase(target, profileName(), passphrase);
        setTarget(into);
      }
      await createSession(into, view, profile);
    } catch (e) {
      // The keys are made: only the handle is missing. Ask for another one (nothing else to fill in again).
      if (await ParleyClient.hasAccount(into).catch(() => false)) {
        onUnclaimed({ store: into, refused: name, reason: describeError(e), displayName: profile.displayName });
        return;
      }
      const code = errorCode(e);
      const reason = (e as { reason?: unknown }).reason;
      if (code === "ERR_RELAY" && (reason === "HANDLE_TAKEN" || reason === "HANDLE_INVALID")) setHandleError(describeError(e));
      else setError(describeError(e));
      setBusy(false);
    }
  };

  return (
    <form className={styles.card} onSubmit={submit} aria-labelledby={`${id}-title`} noValidate>
      <h1 id={`${id}-title`}>Welcome to Parley</h1>
      <p className={styles.lead}>Private chat. Your keys are made on this device and never leave it unencrypted.</p>
      <HandleField id={`${id}-handle`} value={handle} onChange={setHandle} error={handleError} />
      <div className={styles.field}>
        <label htmlFor={`${id}-name`}>Display name</label>
        <input
          id={`${id}-name`}
          name="displayName"
          autoComplete="nickname"
          maxLength={64}
          value={displayName}
          onChange={(e) => setDisplayName(e.target.value)}
        />
      </div>
      <div className={styles.check}>
        <input
          id={`${id}-lock`}
          type="checkbox"
          checked={lock}
          onChange={(e) => setLock(e.target.checked)}
          aria-describedby={`${id}-lock-hint`}
        />
        <label htmlFor={`${id}-lock`}>Lock Parley with a passphrase</label>
      </div>
      <p id={`${id}-lock-hint`} className={styles.hint}>
        {lock
          ? "You will type it each time you open Parley here. It cannot be recovered: without it, this browser's messages are lost."
          : "Without a passphrase your keys are non-extractable browser keys: no script can copy them out, but anyone who can open this browser profile can open Parley."}
      </p>
      {lock && (
        <>
          <div className={styles.field}>
            <label htmlFor={`${id}-pass`}>Passphrase</label>
            <input
              id={`${id}-pass`}
              type="password"
              autoComplete="new-password"
              value={passphrase}
              aria-invalid={passError ? true : undefined}
              aria-describedby={passError ? `${id}-pass-error` : undefined}
              onChange={(e) => setPassphrase(e.target.value)}
            />
          </div>
          <div className={styles.field}>
            <label htmlFor={`${id}-confirm`}>Passphrase again</label>
            <input
              id={`${id}-confirm`}
              type="password"
              autoComplete="new-password"
              value={confirm}
              aria-invalid={passError ? true : undefined}
              aria-describedby={passError ? `${id}-pass-error` : undefined}
              onChange={(e) => setConfirm(e.target.value)}
            />
          </div>
          {passError && (
            <p id={`${id}-pass-error`} className={styles.error} role="alert">
              {passError}
            </p>
          )}
        </>
      )}
      {error && (
        <p role="alert" className={styles.error}>
          {error}
        </p>
      )}
      <button type="submit" className={styles.primary} aria-disabled={busy} disabled={busy}>
        {busy ? "Creating your account…" : "Create account"}
      </button>
    </form>
  );
}

function RestoreBackup({ store, onCancel }: { readonly store: IndexedDbStore; readonly onCancel: () => void }) {
  const view = useViewStore();
  const id = useId();
  const [file, setFile] = useState<File>();
  const [passphrase, setPassphrase] = useState("");
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string>();
  const available = canRestoreBackup();

  const submit = async (event: FormEvent) => {
    event.preventDefault();
    if (!file) {
      setError("Choose the backup file first.");
      return;
    }
    setBusy(true);
    setError(undefined);
    try {
      await restoreSession(store, view, new Uint8Array(await file.arrayBuffer()), passphrase);
    } catch (e) {
      setError(describeError(e));
      setBusy(false);
    }
  };

  return (
    <form className={styles.card} onSubmit={submit} aria-labelledby={`${id}-title`} noValidate>
      <h1 id={`${id}-title`}>Restore from a backup</h1>
      <p className={styles.lead}>
        This browser becomes a new device of the account in the backup, with your contacts and history. Its keys are new; your old devices
        keep theirs.
      </p>
      {!available && (
        <p className={styles.hint} role="note">
          Restoring backups is not available in this version of Parley yet.
        </p>
      )}
      <div className={styles.field}>
        <label htmlFor={`${id}-file`}>Backup file</label>
        <input
          id={`${id}-file`}
          type="file"
          accept=".parley-backup,application/octet-stream"
          onChange={(e) => setFile(e.target.files?.[0])}
        />
      </div>
      <div className={styles.field}>
        <label htmlFor={`${id}-pass`}>Backup passphrase</label>
        <input
          id={`${id}-pass`}
          type="password"
          autoComplete="current-password"
          value={passphrase}
          onChange={(e) => setPassphrase(e.target.value)}
        />
      </div>
      {error && (
        <p role="alert" className={styles.error}>
          {error}
        </p>
      )}
      <div className={styles.row}>
        <button type="button" className={styles.secondary} onClick={onCancel}>
          Back
        </button>
        <button type="submit" className={styles.primary} disabled={busy || !available} aria-disabled={busy || !available}>
          {busy ? "Restoring…" : "Restore"}
        </button>
      </div>
    </form>
  );
}
