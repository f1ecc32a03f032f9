/**
 * One live connection per device across the cluster. When a device authenticates, its node
 * takes the device's next generation (an atomic counter on the bus) and publishes a claim
 * {key, generation, node}; a node holding a connection of that device with an older generation
 * closes it with CloseCode.Replaced, as LiveDevices does between two connections on one node.
 * The newest generation wins everywhere, also when two connections race on two nodes: each
 * node sees the other's claim, and only the lower generation closes. A claim that arrives
 * before this node's own generation is known is remembered and applied when it is.
 *
 * While the bus is down, connections get no generation (each node still keeps one per device
 * locally). When it returns, `republish` first restores the generations this node holds (the
 * bus's server may have lost them) and publishes them, then takes generations for connections
 * made during the outage: a device connected on two nodes in the outage keeps the later claim.
 *
 * The claims also tell each node which devices are live elsewhere (`liveElsewhere`), so an
 * ephemeral frame can be forwarded: a claim adds a device, a `release` of the same generation
 * (its connection closed) or a newer claim here removes it, and a bus outage forgets all (the
 * claims re-published on return rebuild it). A node that dies without releasing leaves its
 * devices listed until they connect again elsewhere; an ephemeral frame for one is then
 * answered OK and lost, as ephemeral frames may be.
 */

import { CloseCode } from "@parley/protocol/wire";
import type { Connection } from "../connection.js";
import type { LiveDevices } from "../delivery/live-devices.js";
import type { Bus } from "./bus.js";

interface ClaimState {
  /** This connection's generation, once the bus gave one. */
  generation?: number;
  /** The newest generation another node claimed while this one's was not known yet. */
  newestElsewhere: number;
}

/** The claims of this node's live devices. */
export class DeviceClaims {
  readonly #states = new WeakMap<Connection, ClaimState>();
  /** Devices live on another node: their newest claimed generation. */
  readonly #elsewhere = new Map<string, number>();

  constructor(
    private readonly bus: Bus,
    private readonly live: LiveDevices,
    private readonly published: (type: string) => void,
  ) {}

  /** `conn` just became its device's live connection here: take a generation and claim it. */
  async claim(conn: Connection): Promise<void> {
    const state: ClaimState = { newestElsewhere: 0 };
    this.#states.set(conn, state);
    await this.#takeGeneration(conn, state);
  }

  /** Another node claimed `key` with `generation`: close an older connection of it here. */
  claimedElsewhere(key: string, generation: number): void {
    const conn = this.live.get(key);
    const state = conn && !conn.closed ? this.#states.get(conn) : undefined;
    if (state?.generation === undefined || state.generation < generation) {
      this.#elsewhere.set(key, Math.max(generation, this.#elsewhere.get(key) ?? 0));
    }
    if (!conn || !state) return;
    if (state.generation === undefined) state.newestElsewhere = Math.max(state.newestElsewhere, generation);
    else if (state.generation < generation) this.#replace(conn);
  }

  /** Another node's connection of `key` with `generation` closed. */
  releasedElsewhere(key: string, generation: number): void {
    if (this.#elsewhere.get(key) === generation) this.#elsewhere.delete(key);
  }

  /** True when another node claimed `key` last (as far as this node heard). */
  liveElsewhere(key: string): boolean {
    return this.#elsewhere.has(key);
  }

  /** `conn` closed: tell the other nodes, if they knew of it. */
  released(conn: Connection): void {
    const generation = this.#states.get(conn)?.generation;
    if (conn.mailboxKey === undefined || generation === undefined) return;
    if (this.bus.publish({ t: "release", key: conn.mailboxKey, generation })) this.published("release");
  }

  /** The bus went down: where devices are elsewhere is unknown until it returns. */
  forgetElsewhere(): void {
    this.#elsewhere.clear();
  }

  /** The bus is back: re-establish this node's claims (known generations first). */
  async republish(): Promise<void> {
    const unclaimed: Connection[] = [];
    for (const conn of [...this.live.all()]) {
      const state = this.#states.get(conn);
      const key = conn.mailboxKey;
      if (!state || key === undefined || conn.closed) continue;
      if (state.generation === undefined) {
        unclaimed.push(conn);
        continue;
      }
      await this.bus.restoreGeneration(key, state.generation);
      this.#publish(key, state.generation);
    }
    for (const conn of unclaimed) {
      const state = this.#states.get(conn);
      if (state && !conn.closed) await this.#takeGeneration(conn, state);
    }
  }

  async #takeGeneration(conn: Connection, state: ClaimState): Promise<void> {
    const key = conn.mailboxKey;
    if (key === undefined) return;
    const generation = await this.bus.nextGeneration(key);
    if (generation === undefined || conn.closed) return;
    state.generation = generation;
    if (state.newestElsewhere > generation) {
      this.#replace(conn);
      return;
    }
    this.#publish(key, generation);
  }

  #publish(key: string, generation: number): void {
    if ((this.#elsewhere.get(key) ?? 0) < generation) this.#elsewhere.delete(key);
    if (this.bus.publish({ t: "claim", key, generation, node: this.bus.nodeId })) this.published("claim");
  }

  #replace(conn: Connection): void {
    conn.close(CloseCode.Replaced, "replaced by a newer connection");
  }
}
