/**
 * Group commit: everything submitted during one event-loop turn is handed to `run` as one batch
 * (one store transaction, one fsync), and every submitter is answered after it. The batch runs
 * from `setImmediate`, i.e. after the I/O callbacks of the turn that submitted first. Used for
 * sends (answered only once durable) and acks.
 */

interface Pending<I, O> {
  readonly items: readonly I[];
  readonly resolve: (outcomes: O[]) => void;
  readonly reject: (error: unknown) => void;
}

/** Batches submissions per event-loop turn. */
export class TurnBatch<I, O> {
  #pending: Pending<I, O>[] = [];
  #scheduled = false;
  #running: Promise<void> = Promise.resolve();

  /** `run` gets every item of a turn and returns one outcome per item, in order. */
  constructor(private readonly run: (items: readonly I[]) => Promise<O[]>) {}

  /** Adds items to the current turn's batch; resolves with their outcomes after it ran. */
  submit(items: readonly I[]): Promise<O[]> {
    return new Promise((resolve, reject) => {
      this.#pending.push({ items, resolve, reject });
      if (!this.#scheduled) {
        this.#scheduled = true;
        setImmediate(() => {
          this.#running = this.#running.then(() => this.#flush());
        });
      }
    });
  }

  /** Resolves when everything submitted so far has run (shutdown, tests). */
  async settle(): Promise<void> {
    while (this.#scheduled || this.#pending.length > 0) await new Promise((r) => setImmediate(r));
    await this.#running;
  }

  async #flush(): Promise<void> {
    const batch = this.#pending;
    this.#pending = [];
    this.#scheduled = false;
    if (batch.length === 0) return;
    let outcomes: O[];
    try {
      outcomes = await this.run(batch.flatMap((p) => p.items));
    } catch (error) {
      for (const p of batch) p.reject(error);
      return;
    }
    let offset = 0;
    for (const p of batch) {
      p.resolve(outcomes.slice(offset, offset + p.items.length));
      offset += p.items.length;
    }
  }
}
