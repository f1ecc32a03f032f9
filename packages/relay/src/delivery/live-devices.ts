/**
 * The devices connected to this relay, one live connection per device: a newer authenticated
 * connection replaces the older, which is closed with CloseCode.Replaced. Committed mail wakes
 * the recipient's delivery pump through here.
 */

import { CloseCode } from "@parley/protocol/wire";
import type { Connection } from "../connection.js";
import type { Mailbox } from "../store/store.js";

/** `userIdHex.deviceId`: the map key of a mailbox. */
export function mailboxKey(mailbox: Mailbox): string {
  return `${Buffer.from(mailbox.userId.buffer, mailbox.userId.byteOffset, mailbox.userId.byteLength).toString("hex")}.${mailbox.deviceId}`;
}

/** Live connections by mailbox. */
export class LiveDevices {
  readonly #byMailbox = new Map<string, Connection>();

  /** Registers `conn` as the live connection of its mailbox, closing any older one. */
  attach(conn: Connection): void {
    const key = conn.mailboxKey;
    if (key === undefined) throw new Error("attach needs an authenticated connection");
    const previous = this.#byMailbox.get(key);
    this.#byMailbox.set(key, conn);
    if (previous && previous !== conn) previous.close(CloseCode.Replaced, "replaced by a newer connection");
  }

  /** Forgets `conn` if it is still the live one. */
  detach(conn: Connection): void {
    if (conn.mailboxKey !== undefined && this.#byMailbox.get(conn.mailboxKey) === conn) this.#byMailbox.delete(conn.mailboxKey);
  }

  get(key: string): Connection | undefined {
    return this.#byMailbox.get(key);
  }

  /** Wakes the delivery pump of a mailbox, if its device is connected. */
  wake(key: string): void {
    this.#byMailbox.get(key)?.pump?.wake();
  }

  get size(): number {
    return this.#byMailbox.size;
  }

  all(): IterableIterator<Connection> {
    return this.#byMailbox.values();
  }
}
