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

/** What `parley` prints and returns for an error: one sentence, and the exit code. */
export interface ErrorReport {
  readonly code: ExitCode;
  readonly message: string;
  /** True for an error nobody planned for: the hint to rerun with PARLEY_DEBUG=1 goes with it. */
  readonly unexpected: boolean;
}

/** Sentences for the library's stable error codes (ParleyError and StoreError `code`s). */
const LIBRARY_ERRORS: Readonly<Record<string, readonly [ExitCode, string]>> = {
  ERR_STORE_PASSPHRASE: [ExitCode.Locked, "the passphrase does not open this profile"],
  ERR_STORE_LOCKED: [ExitCode.Locked, "another parley process is using this profile; close it and try again"],
  ERR_STORE_TAKEN_OVER: [ExitCode.Locked, "another parley process took over this profile, so this one stopped"],
  ERR_STORE_ROLLBACK: [ExitCode.Failure, "this profile's data is older than it should be (a restored copy?); refusing to use it"],
  ERR_STORE_CORRUPT: [ExitCode.Failure, "this profile's data is damaged and cannot be read"],
  ERR_STORE_UNSUPPORTED: [ExitCode.Failure, "this profile was written by a newer version of parley"],
  ERR_STORE_IO: [ExitCode.Failure, "writing this profile's data failed (disk full or not writable?)"],
  ERR_STORE_CLOSED: [ExitCode.Failure, "the profile was closed before the command finished"],
  ERR_NO_ACCOUNT: [ExitCode.NoAccount, "this profile has no account yet: run `parley init --handle NAME` first"],
  ERR_ACCOUNT_EXISTS: [ExitCode.Usage, "this profile already has an account"],
  ERR_TIMEOUT: [ExitCode.Failure, "the relay did not answer in time (is it running, and is --relay right?)"],
  ERR_CLOSED: [ExitCode.Failure, "the connection to the relay closed before the command finished"],
  ERR_RELAY_ID_MISMATCH: [ExitCode.Failure, "the relay names itself differently from the address dialled, so parley did not log in"],
  ERR_UNKNOWN_CONTACT: [ExitCode.NotFound, "no such contact"],
  ERR_UNTRUSTED_IDENTITY: [
    ExitCode.Failure,
    "this contact's identity changed, so sending is blocked: compare safety numbers another way, then `parley verify @HANDLE --accept`",
  ],
  ERR_NOT_GROUP_MEMBER: [ExitCode.NotFound, "you are not a member of that group (any more)"],
  ERR_DEVICE_REMOVED: [ExitCode.Failure, "this device was removed from the account"],
  ERR_ATTACHMENT_CORRUPT: [ExitCode.Failure, "the file failed its integrity check and was not saved"],
  ERR_ATTACHMENT_TRUNCATED: [ExitCode.Failure, "the file arrived incomplete and was not saved"],
  ERR_LIMIT_EXCEEDED: [ExitCode.Failure, "that is over one of the relay's or protocol's limits"],
};

/** Sentences for the relay's refusal codes (ERR_RELAY `reason`). */
const RELAY_REASONS: Readonly<Record<string, readonly [ExitCode, string]>> = {
  NOT_FOUND: [ExitCode.NotFound, "nobody has that handle on this relay"],
  HANDLE_TAKEN: [ExitCode.Failure, "that handle is taken by another account"],
  HANDLE_INVALID: [ExitCode.Usage, "that is not a valid handle (3–32 of a–z, 0–9 and _, starting with a letter)"],
  RATE_LIMITED: [ExitCode.Failure, "the relay is limiting this account's rate: try again in a moment"],
  TOO_LARGE: [ExitCode.Failure, "the relay refused it as too large"],
};

/** Node's file errors, as a sentence about `path`. */
const FILE_ERRORS: Readonly<Record<string, string>> = {
  ENOENT: "no such file or folder",
  EACCES: "permission denied",
  EISDIR: "it is a folder, not a file",
  ENOTDIR: "a part of the path is not a folder",
};

/**
 * Turns any thrown value into what the user sees. CliErrors keep their code and sentence;
 * library errors are mapped by their stable `code` (never by message); anything else is
 * "unexpected" with exit code 1.
 */
export function describeError(error: unknown): ErrorReport {
  if (error instanceof CliError) return { code: error.code, message: error.message, unexpected: false };
  const fields = (typeof error === "object" && error !== null ? error : {}) as { code?: unknown; reason?: unknown; path?: unknown };
  const code = typeof fields.code === "string" ? fields.code : undefined;
  if (code === "ERR_RELAY") {
    const reason = typeof fields.reason === "string" ? fields.reason : "";
    const known = RELAY_REASONS[reason];
    if (known) return { code: known[0], message: known[1], unexpected: false };
    return { code: ExitCode.Failure, message: `the relay refused the request (${reason || "no reason given"})`, unexpected: false };
  }
  if (code !== undefined && Object.hasOwn(LIBRARY_ERRORS, code)) {
    const [exit, message] = LIBRARY_ERRORS[code] as readonly [ExitCode, string];
    return { code: exit, message, unexpected: false };
  }
  if (code !== undefined && Object.hasOwn(FILE_ERRORS, code) && typeof fields.path === "string")
    return { code: ExitCode.NotFound, message: `cannot use ${fields.path}: ${FILE_ERRORS[code]}`, unexpected: false };
  // The library's argument checks (a text over the size limit, a bad id): the user's input.
  if (error instanceof RangeError) return { code: ExitCode.Usage, message: error.message, unexpected: false };
  if (error instanceof Error && error.name === "AbortError") return { code: ExitCode.Failure, message: "stopped", unexpected: false };
  const text = error instanceof Error ? `${error.name}: ${error.message}` : String(error);
  return { code: ExitCode.Failure, message: `unexpected error (${text.split("\n")[0]})`, unexpected: true };
}

/** The line(s) `parley` prints on stderr for `error`; with `debug`, an unexpected error's stack too. */
export function formatError(error: unknown, debug: boolean): { code: ExitCode; text: string } {
  const report = describeError(error);
  let text = `parley: ${report.message}\n`;
  if (report.unexpected) {
    text +=
      debug && error instanceof Error && error.stack ? `${error.stack}\n` : "parley: rerun with PARLEY_DEBUG=1 to see the stack trace\n";
  }
  return { code: report.code, text };
}
