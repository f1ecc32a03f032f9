/**
 * The callers of `connect()` waiting for a login: each settles once — on login, on the login's
 * error, on its own timeout or abort signal, or on close — and when the last one gives up
 * before any login, the connection is told to stop trying (so a rejected `connect()` leaves no
 * reconnect loop behind).
 */

import { ErrorCode, ParleyError } from "../errors.js";

interface Waiter {
  resolve(): void;
  reject(error: unknown): void;
}

export class LoginWaiters {
  private readonly waiters = new Set<Waiter>();

  /** @param abandon Called when the last waiter gave up (timeout, abort) before a login. */
  constructor(private readonly abandon: () => void) {}

  get size(): number {
    return this.waiters.size;
  }

  /** Waits for `resolveAll` (rejects on `rejectAll`, after `timeoutMs`, or when `signal` aborts). */
  wait(timeoutMs: number, signal: AbortSignal | undefined): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      const done = () => {
        clearTimeout(timer);
        signal?.removeEventListener("abort", onAbort);
        this.waiters.delete(waiter);
      };
      const giveUp = (error: unknown) => {
        done();
        if (this.waiters.size === 0) this.abandon();
        reject(error);
      };
      const waiter: Waiter = {
        resolve: () => {
          done();
          resolve();
        },
        reject: (error) => {
          done();
          reject(error);
        },
      };
      const onAbort = () => giveUp(signal?.reason);
      const timer = setTimeout(
        () => giveUp(new ParleyError(ErrorCode.Timeout, `could not log in to the relay within ${timeoutMs} ms`)),
        timeoutMs,
      );
      signal?.addEventListener("abort", onAbort, { once: true });
      this.waiters.add(waiter);
    });
  }

  resolveAll(): void {
    for (const waiter of [...this.waiters]) waiter.resolve();
  }

  /** Rejects every waiter with `error`; false when there was none. */
  rejectAll(error: unknown): boolean {
    if (this.waiters.size === 0) return false;
    for (const waiter of [...this.waiters]) waiter.reject(error);
    if (!ParleyError.is(error, ErrorCode.Closed)) this.abandon();
    return true;
  }
}
