/**
 * Reconnect and retry delays: exponential backoff with full jitter (each delay uniform in
 * [0, min(cap, base · 2^attempt)]), so many clients reconnecting after a relay restart spread
 * out instead of arriving together. The random source is injected for tests.
 */

export interface BackoffOptions {
  /** First delay ceiling in ms (default 500). */
  readonly baseMs?: number;
  /** Largest delay ceiling in ms (default 30 s). */
  readonly capMs?: number;
  /** Uniform [0, 1) source (default Math.random). */
  readonly random?: () => number;
}

/** The delay before retry number `attempt` (0-based). */
export function backoffDelay(attempt: number, options: BackoffOptions = {}): number {
  const base = options.baseMs ?? 500;
  const cap = options.capMs ?? 30_000;
  const ceiling = Math.min(cap, base * 2 ** Math.min(attempt, 30));
  return Math.floor((options.random ?? Math.random)() * ceiling);
}
