/**
 * The Web Lock (`navigator.locks`) an `IndexedDbStore` holds while open, so a second tab on the
 * same database is refused instead of writing alongside the first.
 */
import { ioError } from "./indexeddb-requests.js";
import { StoreError, StoreErrorCode } from "./store-error.js";

/** The part of the Web Locks API (`navigator.locks`) used here. */
export interface LockManagerLike {
  request(
    name: string,
    options: { mode: "exclusive"; ifAvailable?: boolean; steal?: boolean },
    callback: (lock: unknown) => Promise<unknown>,
  ): Promise<unknown>;
}

/**
 * Takes the exclusive Web Lock `name` and returns its release, which resolves once the lock is
 * really free (so a close followed at once by an open finds it free). Without `steal` a held
 * lock rejects `ERR_STORE_LOCKED` at once (`ifAvailable`) rather than waiting for the other tab.
 * A stolen lock needs nothing here: the thief claims the store, and this tab's next batch
 * rejects `ERR_STORE_TAKEN_OVER`.
 */
export async function takeWebLock(locks: LockManagerLike, name: string, steal: boolean): Promise<() => Promise<void>> {
  let unblock = () => {};
  const held = new Promise<void>((resolve) => {
    unblock = resolve;
  });
  let request: Promise<unknown> = Promise.resolve();
  const granted = await new Promise<boolean>((resolve, reject) => {
    request = locks
      .request(name, steal ? { mode: "exclusive", steal: true } : { mode: "exclusive", ifAvailable: true }, async (lock) => {
        resolve(lock !== null && lock !== undefined);
        if (lock !== null && lock !== undefined) await held;
      })
      // Rejections after the grant (AbortError when stolen) are expected; before it they are real.
      .catch((error: unknown) => reject(ioError("Web Lock request", error)));
  });
  if (!granted) {
    throw new StoreError(
      StoreErrorCode.Locked,
      "the IndexedDB store is open in another tab or window; close it there, or open with steal: true",
    );
  }
  return async () => {
    unblock();
    await request;
  };
}
