/**
 * Delivery to one connected device, in mailbox order. The pump reads the store from the last
 * sequence it sent, so the backlog and newly committed mail take the same path and nothing is
 * sent twice on one connection; after the first drain finds the mailbox empty it sends
 * `queue_empty` once. At most `window` messages are outstanding (sent, not acknowledged);
 * unacknowledged ones are sent again on the next connection (at-least-once delivery). Delivery
 * also pauses while the connection's send buffer is congested and resumes once it drains, so a
 * device that stops reading holds at most the high-water mark of the relay's memory.
 *
 * When this relay is the store's only writer, mail committed for a device that is caught up (its
 * pump idle, having read to the end of the mailbox) is handed over from the committed batch
 * (`offer`): the same rows in the same order, without reading them back.
 */

import type { Connection } from "../connection.js";
import type { QueuedMessage, Store } from "../store/store.js";

const FETCH_BATCH = 100;
const hex = (b: Uint8Array): string => Buffer.from(b.buffer, b.byteOffset, b.byteLength).toString("hex");

/** The delivery loop of one authenticated connection. */
export class MailboxPump {
  #lastSeq = 0;
  /** Sent, not yet acknowledged: message id (hex) → its `seq`. */
  readonly #outstanding = new Map<string, number>();
  #running = false;
  #again = false;
  #drained = false;
  /** The last read reached the end of the mailbox and everything read was sent: newer mail has `seq > #lastSeq`. */
  #caughtUp = false;
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

  /**
   * Newly committed rows of this mailbox, in `seq` order. Sent at once when the pump is caught
   * up and idle; otherwise (or for what does not fit the window) the pump reads them itself.
   */
  offer(rows: readonly QueuedMessage[]): void {
    if (this.#stopped) return;
    if (this.#running || !this.#caughtUp) {
      this.wake();
      return;
    }
    let sent = 0;
    for (const row of rows) {
      if (row.seq <= this.#lastSeq) continue;
      if (this.#outstanding.size >= this.window || this.conn.congested) {
        // The rest waits in the store; the next wake (an ack, a drain) reads it from #lastSeq.
        this.#caughtUp = false;
        if (this.conn.congested) this.conn.onDrain(() => this.wake());
        break;
      }
      this.#send(row);
      sent++;
    }
    if (sent > 0) this.onDelivered(sent);
  }

  /** The `seq` of each id as delivered on this connection (0 for an id it did not deliver). */
  seqsOf(messageIdHexes: readonly string[]): number[] {
    return messageIdHexes.map((id) => this.#outstanding.get(id) ?? 0);
  }

  /**
   * Records acknowledged ids (hex) and refills the window: reads the store only when mail may be
   * waiting there (the window was full). A caught-up pump has sent everything committed so far,
   * and newer mail wakes it (or is offered to it) when it commits.
   */
  acked(messageIdHexes: readonly string[]): void {
    for (const id of messageIdHexes) this.#outstanding.delete(id);
    if (!this.#caughtUp) this.wake();
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
        this.#caughtUp = false;
        const rows = await this.store.fetchMessages(mailbox, this.#lastSeq, limit);
        if (this.#stopped) return;
        for (const row of rows) {
          // Rows not sent now are fetched again after the drain (#lastSeq marks what was sent).
          if (this.#waitForDrain()) break;
          this.#send(row);
        }
        const sent = rows.findIndex((row) => row.seq > this.#lastSeq);
        const sentCount = sent < 0 ? rows.length : sent;
        if (sentCount > 0) this.onDelivered(sentCount);
        if (sentCount < rows.length) return;
        // Fewer rows than asked for: the mailbox is drained (a full window is not).
        if (rows.length < limit) {
          this.#caughtUp = true;
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
          this.#caughtUp = true;
          this.#drained = true;
          this.conn.send({ t: "queue_empty" });
        }
      }
    } while (this.#again && !this.#stopped);
  }

  #send(row: QueuedMessage): void {
    this.#lastSeq = row.seq;
    this.#outstanding.set(hex(row.messageId), row.seq);
    this.conn.send({ t: "message", messageId: row.messageId, envelope: row.envelope, receivedAt: row.receivedAt });
  }
}
