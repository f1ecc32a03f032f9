/**
 * The devices connected to this relay, one live connection per device: a newer authenticated
 * connection replaces the older, which is closed with CloseCode.Replaced. Committed mail wakes
 * the recipient's delivery pump through here. In a cluster, an ephemeral frame for a device
 * connected to another node is handed to the cluster (`forwardElsewhere`).
 */

import { CloseCode } from "@parley/protocol/wire";
import type { Connection } from "../connection.js";
import type { Mailbox } from "../store/store.js";

/** `userIdHex.deviceId`: the map key of a mailbox. */
export function mailboxKey(mailbox: Mailbox): string {
  return `${Buffer.from(mailbox.userId.buffer, mailbox.userId.byteOffset, mailbox.userId.byteLength).toString("hex")}.${mailbox.deviceId}`;
}

/** What became of an ephemeral frame: handed to the device's connection, no connection, or its buffer is full. */
export type EphemeralOutcome = "ok" | "offline" | "dropped";

/** Hands an ephemeral envelope to the node holding `key`'s device; false when no other node does. */
export type EphemeralForwarder = (key: string, envelope: Uint8Array) => boolean;

/** Live connections by mailbox. */
export class LiveDevices {
  readonly #byMailbox = new Map<string, Connection>();
  #forwarder: EphemeralForwarder | undefined;

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

  /** Sends an ephemeral frame to `key`'s live connection: here, or through the cluster on another node. */
  sendEphemeral(key: string, envelope: Uint8Array): EphemeralOutcome {
    const conn = this.#byMailbox.get(key);
    if (conn) return conn.sendDroppable({ t: "ephemeral", envelope }) ? "ok" : "dropped";
    return this.#forwarder?.(key, envelope) ? "ok" : "offline";
  }

  /** Forwards ephemeral frames for devices not connected here (set by the cluster node). */
  forwardElsewhere(forwarder: EphemeralForwarder): void {
    this.#forwarder = forwarder;
  }

  get size(): number {
    return this.#byMailbox.size;
  }

  all(): IterableIterator<Connection> {
    return this.#byMailbox.values();
  }
}
