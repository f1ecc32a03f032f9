/**
 * The account exists on this browser but has no handle yet: its first claim failed (the handle
 * was taken, the relay was out of reach) after the keys were made. People pick another handle
 * here before they enter the app; the account and its keys stay as they are.
 */
import { type FormEvent, useEffect, useId, useRef, useState } from "react";
import { describeError } from "../../sdk/errors.js";
import { useActions, useViewStore } from "../../sdk/hooks.js";
import { HandleField } from "./HandleField.js";
import { HANDLE_PATTERN, HANDLE_RULE } from "./handle.js";
import styles from "./Onboarding.module.css";

export interface ClaimHandleProps {
  /** Claims the handle (already checked against the handle rule); rejects with the SDK's error. */
  readonly claim: (handle: string) => Promise<void>;
  /** The handle that was refused, to edit. */
  readonly refused?: string;
  /** Why it was refused, for people. */
  readonly reason?: string;
}

export function ClaimHandleForm({ claim, refused = "", reason }: ClaimHandleProps) {
  const id = useId();
  const [handle, setHandle] = useState(refused);
  const [error, setError] = useState<string | undefined>(reason);
  const [busy, setBusy] = useState(false);
  const input = useRef<HTMLInputElement>(null);
  useEffect(() => {
    input.current?.focus();
    input.current?.select();
  }, []);

  const submit = async (event: FormEvent) => {
    event.preventDefault();
    const name = handle.trim().replace(/^@/, "");
    if (!HANDLE_PATTERN.test(name)) {
      setError(HANDLE_RULE);
      input.current?.focus();
      return;
    }
    setBusy(true);
    setError(undefined);
    try {
      await claim(name);
    } catch (e) {
      setError(describeError(e));
      setBusy(false);
      input.current?.focus();
    }
  };

  return (
    <form className={styles.card} onSubmit={submit} aria-labelledby={`${id}-title`} noValidate>
      <h1 id={`${id}-title`}>Choose another handle</h1>
      <p className={styles.lead}>Your account is made on this browser. It needs a handle before you start: people find you by it.</p>
      <HandleField id={`${id}-handle`} value={handle} onChange={setHandle} error={error} inputRef={input} />
      <button type="submit" className={styles.primary} aria-disabled={busy} disabled={busy}>
        {busy ? "Claiming…" : "Use this handle"}
      </button>
    </form>
  );
}

/** For an account opened without a handle (the page was reloaded after a failed claim). */
export function ClaimHandle() {
  const actions = useActions();
  const view = useViewStore();
  // Shown instead of the chat list: claiming needs the relay, so the connection starts now.
  useEffect(() => view.shellShown(), [view]);
  return (
    <main className={styles.page}>
      <ClaimHandleForm claim={actions.claimHandle} />
    </main>
  );
}
