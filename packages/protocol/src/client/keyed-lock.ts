/**
 * Per-key mutual exclusion for async work. The client holds one instance and takes the lock
 * of a remote device's address around "load session → encrypt/decrypt → store", so two sends,
 * or a send and a receive, never race on one session. It lives in the client instance, never
 * in module state, so two clients in one process do not block each other.
 */

export class KeyedLock {
  private readonly tails = new Map<string, Promise<void>>();

  /** Runs `task` once every earlier task for `key` has settled; tasks for other keys run freely. */
  async run<T>(key: string, task: () => Promise<T>): Promise<T> {
    const previous = this.tails.get(key) ?? Promise.resolve();
    let release!: () => void;
    const current = new Promise<void>((resolve) => {
      release = resolve;
    });
    const tail = previous.then(() => current);
    this.tails.set(key, tail);
    await previous;
    try {
      return await task();
    } finally {
      release();
      if (this.tails.get(key) === tail) this.tails.delete(key);
    }
  }

  /** Runs `task` holding the locks of all `keys` (taken in sorted order, so no deadlock). */
  async runAll<T>(keys: readonly string[], task: () => Promise<T>): Promise<T> {
    const sorted = [...new Set(keys)].sort();
    const step = (i: number): Promise<T> => (i === sorted.length ? task() : this.run(sorted[i] as string, () => step(i + 1)));
    return step(0);
  }

  /** Number of keys with work queued or running (for tests and leak checks). */
  get size(): number {
    return this.tails.size;
  }
}
