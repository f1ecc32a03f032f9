/**
 * The bus between relay nodes that serve one user base from one shared store. relay.ts talks
 * to a `Bus` only through cluster-node.ts; without a bus a relay is a single node exactly as
 * before (no listeners, no timers, no per-send work). The bus carries three things (see
 * bus-messages.ts): mail wake-ups, device claims (one live connection per device across nodes)
 * and quota consumption (cluster-wide rate limits and queue shares).
 *
 * Publishing is fire-and-forget and best effort: while the bus is down a message is dropped,
 * never queued, and the node falls back to polling (cluster-node.ts). Nothing a client was told
 * is stored depends on the bus: mail lives in the store, the bus only makes it arrive sooner.
 */

import type { BusMessage } from "./bus-messages.js";

/** Called with each message another node published (never this node's own). */
export type BusListener = (message: BusMessage) => void;

/** Called when the bus goes down (false) or comes back (true). */
export type BusStateListener = (up: boolean) => void;

/** A publish/subscribe channel shared by the nodes of one cluster, plus per-device generation counters. */
export interface Bus {
  /** This node's id, for logs and metrics (`--node-id`). */
  readonly nodeId: string;
  /** True while messages can be published and received. */
  readonly up: boolean;
  /** Publishes to every other node; dropped (returns false) while the bus is down. */
  publish(message: BusMessage): boolean;
  /** Registers the listener of messages from other nodes (one per bus). */
  onMessage(listener: BusListener): void;
  /** Registers the listener of up/down changes (one per bus). */
  onStateChange(listener: BusStateListener): void;
  /**
   * The next connection generation of the device `key` (an atomic increment shared by every
   * node), or undefined while the bus is down.
   */
  nextGeneration(key: string): Promise<number | undefined>;
  /** Raises the counter of `key` to at least `generation` (after the bus's server lost its data). */
  restoreGeneration(key: string, generation: number): Promise<void>;
  /** Stops listening and closes the connections. */
  close(): Promise<void>;
}
