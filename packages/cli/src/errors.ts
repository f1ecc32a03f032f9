/**
 * Exit codes and user-facing errors. A user error (bad arguments, unknown contact, wrong
 * passphrase) prints one sentence on stderr and exits with its code, never a stack trace.
 */

/** Process exit codes of `parley`. */
export const ExitCode = {
  Ok: 0,
  /** A failure at run time (relay unreachable, refused, timed out). */
  Failure: 1,
  /** Bad usage: unknown command or flag, missing argument. */
  Usage: 2,
  /** The profile has no account yet. */
  NoAccount: 3,
  /** The passphrase is missing or wrong, or another process holds the profile. */
  Locked: 4,
  /** A contact, group or message that does not exist. */
  NotFound: 5,
} as const;
export type ExitCode = (typeof ExitCode)[keyof typeof ExitCode];

/** An error meant for the user: its message is printed as is, and the process exits with `code`. */
export class CliError extends Error {
  constructor(
    readonly code: ExitCode,
    message: string,
  ) {
    super(message);
    this.name = "CliError";
  }
}
