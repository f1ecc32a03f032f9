/**
 * Delivery to one connected device, in mailbox order. The pump reads the store from the last
 * sequence it sent, so the backlog and newly committed mail take the same path and nothing is
 * sent twice on one connection; after the first drain finds the mailbox empty it sends
 * `queue_empty` once. At most `window` messages are outstanding (sent, not acknowledged);
 * unacknowledged ones are sent again on the next connection (at-least-once delivery). Delivery
 * also pauses while the connection's send buffer is congested and resumes once it drains, so a
 * device that stops reading holds at most the high-water mark of the relay's memory.
 */

import type { Connection } from "../connection.js";
import type { Store } from "../store/store.js";

const FETCH_BATCH = 100;
const hex = (b: Uint8Array): string => Buffer.from(b.buffer, b.byteOffset, b.byteLength).toString("hex");

/** The delivery loop of one authenticated connection. */
export class MailboxPump {
  #lastSeq = 0;
  readonly #outstanding = new Set<string>();
  #running = false;
  #again = false;
  #drained = false;
  #stopped = false;

  constructor(
    private readonly conn: Connection,
    private readonly store: Store,
    private readonly window: number,
    private readonly onDelivered: (count: number) => void,
    private readonly onError: (error: unknown) => void,
  ) {}

  /** Starts or re-runs delivery (new mail committed, or acks freed the window). */
  wake(): void {
    if (this.#stopped) return;
    if (this.#running) {
      this.#again = true;
      return;
    }
    this.#running = true;
    this.#run().then(
      () => {
        this.#running = false;
      },
      (error: unknown) => {
        this.#running = false;
        this.onError(error);
      },
    );
  }

  /** Records acknowledged ids and refills the window. */
  acked(messageIds: readonly Uint8Array[]): void {
    for (const id of messageIds) this.#outstanding.delete(hex(id));
    this.wake();
  }

  stop(): void {
    this.#stopped = true;
  }

  get outstanding(): number {
    return this.#outstanding.size;
  }

  /** True (and resumes later by itself) when the connection's send buffer is congested. */
  #waitForDrain(): boolean {
    if (!this.conn.congested) return false;
    this.conn.onDrain(() => this.wake());
    return true;
  }

  async #run(): Promise<void> {
    const mailbox = this.conn.mailbox;
    if (!mailbox) return;
    do {
      this.#again = false;
      while (!this.#stopped && this.#outstanding.size < this.window) {
        const limit = Math.min(FETCH_BATCH, this.window - this.#outstanding.size);
        if (this.#waitForDrain()) return;
        const rows = await this.store.fetchMessages(mailbox, this.#lastSeq, limit);
        if (this.#stopped) return;
        for (const row of rows) {
          // Rows not sent now are fetched again after the drain (#lastSeq marks what was sent).
          if (this.#waitForDrain()) break;
          this.#lastSeq = row.seq;
          this.#outstanding.add(hex(row.messageId));
          this.conn.send({ t: "message", messageId: row.messageId, envelope: row.envelope, receivedAt: row.receivedAt });
        }
        const sent = rows.findIndex((row) => row.seq > this.#lastSeq);
        const sentCount = sent < 0 ? rows.length : sent;
        if (sentCount > 0) this.onDelivered(sentCount);
        if (sentCount < rows.length) return;
        // Fewer rows than asked for: the mailbox is drained (a full window is not).
        if (rows.length < limit) {
          if (!this.#drained) {
            this.#drained = true;
            this.conn.send({ t: "queue_empty" });
          }
          break;
        }
      }
      // The window filled up exactly at the end of the backlog: look once more so `queue_empty` is not held back until an ack.
      if (!this.#drained && !this.#stopped && this.#outstanding.size >= this.window) {
        const more = await this.store.fetchMessages(mailbox, this.#lastSeq, 1);
        if (more.length === 0 && !this.#stopped) {
          this.#drained = true;
          this.conn.send({ t: "queue_empty" });
        }
      }
    } while (this.#again && !this.#stopped);
  }
}
