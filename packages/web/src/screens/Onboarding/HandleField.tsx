/**
 * The handle input of the onboarding screens (create an account, choose another handle): one
 * label, the input's limits and autofill hints, the hint line and the error tied to it for
 * screen readers.
 */
import type { Ref } from "react";
import styles from "./Onboarding.module.css";

export interface HandleFieldProps {
  /** The input's id; the hint and the error take it with `-hint` and `-error`. */
  readonly id: string;
  readonly value: string;
  readonly onChange: (value: string) => void;
  /** Why the handle was refused, for people; marks the input invalid. */
  readonly error: string | undefined;
  readonly inputRef?: Ref<HTMLInputElement>;
}

export function HandleField({ id, value, onChange, error, inputRef }: HandleFieldProps) {
  return (
    <div className={styles.field}>
      <label htmlFor={id}>Handle</label>
      <input
        ref={inputRef}
        id={id}
        name="handle"
        autoComplete="username"
        autoCapitalize="none"
        spellCheck={false}
        required
        maxLength={33}
        value={value}
        aria-invalid={error ? true : undefined}
        aria-describedby={`${id}-hint${error ? ` ${id}-error` : ""}`}
        onChange={(e) => onChange(e.target.value)}
      />
      <small id={`${id}-hint`}>How people find you, like @alice.</small>
      {error && (
        <p id={`${id}-error`} className={styles.error} role="alert">
          {error}
        </p>
      )}
    </div>
  );
}
