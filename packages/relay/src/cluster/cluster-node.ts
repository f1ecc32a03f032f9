/**
 * This relay as one node of a cluster: what relay.ts calls when a bus is configured. It wakes
 * other nodes' pumps for mail committed here and local pumps for mail committed elsewhere,
 * keeps one live connection per device across nodes (device-claims.ts), forwards ephemeral
 * frames to the node a device is on, passes on expiry notices and closes removed devices
 * everywhere, keeps quotas
 * cluster-wide (quota-sync.ts), and covers for bus outages.
 *
 * Wake-ups are broadcast: one `wake` message per commit batch naming its mailboxes, and every
 * node wakes those it has live. There is no race with a device that is just connecting (its
 * pump reads the store when it starts, and any later commit wakes it wherever it is). Each
 * node receives every batch, so past ~10 nodes the next step is per-node routing (a channel per
 * node, and a mailbox → node map kept by the claims).
 *
 * Bus outage: the node keeps serving its own connections (local wake-ups do not need the bus)
 * and wakes every local pump each OUTAGE_POLL_MS, so mail committed on other nodes still
 * arrives from the shared store. When the bus returns it re-publishes its claims and wakes
 * every local pump once (catch-up).
 */

import { CloseCode } from "@parley/protocol/wire";
import type { Logger } from "pino";
import type { Connection } from "../connection.js";
import type { LiveDevices } from "../delivery/live-devices.js";
import type { SenderShares } from "../delivery/sender-shares.js";
import type { Metrics } from "../metrics.js";
import type { Bus } from "./bus.js";
import type { BusMessage } from "./bus-messages.js";
import { type BusMetrics, createBusMetrics } from "./bus-metrics.js";
import { DeviceClaims } from "./device-claims.js";
import { QuotaSync, type SharedBuckets } from "./quota-sync.js";

/** How often local pumps poll the store while the bus is down: the worst cross-node delay then. */
export const OUTAGE_POLL_MS = 1000;

/** What a {@link ClusterNode} works with. */
export interface ClusterNodeOptions {
  readonly bus: Bus;
  readonly live: LiveDevices;
  readonly shares: SenderShares;
  readonly buckets: readonly SharedBuckets[];
  readonly metrics: Metrics;
  readonly log: Logger;
  /** Tells `conn` about its expired messages (another node's sweep expired them). */
  readonly expired: (conn: Connection) => Promise<void>;
}

/** The cluster side of one relay. */
export class ClusterNode {
  readonly #bus: Bus;
  readonly #live: LiveDevices;
  readonly #claims: DeviceClaims;
  readonly #quotas: QuotaSync;
  readonly #metrics: BusMetrics;
  readonly #log: ClusterNodeOptions["log"];
  readonly #expired: ClusterNodeOptions["expired"];
  #poll: NodeJS.Timeout | undefined;
  #stopped = false;

  constructor(options: ClusterNodeOptions) {
    this.#bus = options.bus;
    this.#live = options.live;
    this.#log = options.log;
    this.#expired = options.expired;
    this.#metrics = createBusMetrics(options.metrics.registry, options.bus.nodeId);
    const published = (type: string) => this.#metrics.published.inc({ type });
    this.#claims = new DeviceClaims(options.bus, options.live, published);
    this.#quotas = new QuotaSync(options.bus, options.buckets, options.shares, published);
    options.live.forwardElsewhere((key, envelope) => this.#forwardEphemeral(key, envelope));
    options.bus.onMessage((message) => this.#receive(message));
    options.bus.onStateChange((up) => this.#stateChanged(up));
    this.#metrics.up.set(options.bus.up ? 1 : 0);
    if (!options.bus.up) this.#startPolling();
  }

  /** True when another node holds `key`'s device (as far as this node heard; false for all while the bus is down). */
  liveElsewhere(key: string): boolean {
    return this.#claims.liveElsewhere(key);
  }

  /** True while the bus is up (else the node is degraded: polling, quotas per node). */
  get busUp(): boolean {
    return this.#bus.up;
  }

  /** Mail was committed here for these mailboxes (local pumps are already woken): tell the other nodes. */
  mailCommitted(keys: readonly string[]): void {
    if (keys.length > 0 && this.#bus.publish({ t: "wake", keys })) this.#metrics.published.inc({ type: "wake" });
  }

  /** `conn` became its device's live connection here: claim the device cluster-wide. */
  attached(conn: Connection): void {
    this.#claims
      .claim(conn)
      .catch((error: unknown) => this.#log.warn({ err: { message: (error as Error)?.message } }, "device claim failed"));
  }

  /** `conn` closed here: other nodes stop forwarding its device's ephemeral frames here. */
  detached(conn: Connection): void {
    if (conn.mailboxKey !== undefined) this.#claims.released(conn);
  }

  /** This node's sweep expired mail of these mailboxes, whose devices are not connected here. */
  mailboxesExpired(keys: readonly string[]): void {
    if (keys.length > 0 && this.#bus.publish({ t: "expired", keys })) this.#metrics.published.inc({ type: "expired" });
  }

  /** Devices removed from their account: close their connections on every node. */
  devicesRemoved(keys: readonly string[]): void {
    if (keys.length > 0 && this.#bus.publish({ t: "removed", keys })) this.#metrics.published.inc({ type: "removed" });
  }

  /** Sends pending quota consumption and stops timers; the bus itself is closed by its owner. */
  stop(): void {
    this.#stopped = true;
    this.#quotas.flush();
    this.#quotas.stop();
    this.#stopPolling();
  }

  #receive(message: BusMessage): void {
    if (this.#stopped) return;
    this.#metrics.received.inc({ type: message.t });
    switch (message.t) {
      case "wake":
        for (const key of message.keys) this.#live.wake(key);
        return;
      case "claim":
        this.#claims.claimedElsewhere(message.key, message.generation);
        return;
      case "release":
        this.#claims.releasedElsewhere(message.key, message.generation);
        return;
      case "ephemeral":
        this.#live.get(message.key)?.sendDroppable({ t: "ephemeral", envelope: message.envelope });
        return;
      case "expired":
        for (const key of message.keys) {
          const conn = this.#live.get(key);
          if (conn)
            this.#expired(conn).catch((error: unknown) =>
              this.#log.warn({ err: { message: (error as Error)?.message } }, "expiry notice failed"),
            );
        }
        return;
      case "removed":
        for (const key of message.keys) this.#live.get(key)?.close(CloseCode.DeviceRemoved, "device removed");
        return;
      case "quota":
        this.#quotas.apply(message.spends, message.holds, message.acks);
        return;
    }
  }

  #forwardEphemeral(key: string, envelope: Uint8Array): boolean {
    if (!this.#claims.liveElsewhere(key) || !this.#bus.publish({ t: "ephemeral", key, envelope })) return false;
    this.#metrics.published.inc({ type: "ephemeral" });
    return true;
  }

  #stateChanged(up: boolean): void {
    if (this.#stopped) return;
    this.#metrics.up.set(up ? 1 : 0);
    if (!up) {
      this.#claims.forgetElsewhere();
      this.#startPolling();
      return;
    }
    this.#stopPolling();
    this.#quotas.flush(); // acks received during the outage
    this.#wakeAll();
    this.#claims
      .republish()
      .catch((error: unknown) => this.#log.warn({ err: { message: (error as Error)?.message } }, "re-publishing claims failed"));
    this.#log.info({ node: this.#bus.nodeId }, "bus back: claims re-published, local pumps woken");
  }

  #wakeAll(): void {
    for (const conn of this.#live.all()) conn.pump?.wake();
  }

  #startPolling(): void {
    if (this.#poll) return;
    this.#poll = setInterval(() => this.#wakeAll(), OUTAGE_POLL_MS);
    this.#poll.unref();
  }

  #stopPolling(): void {
    if (this.#poll) clearInterval(this.#poll);
    this.#poll = undefined;
  }
}
