/**
 * The bus's Prometheus metrics, on the relay's registry and labelled with the node id (so a
 * dashboard over every node tells them apart): messages published and received by type, and
 * whether the bus is up.
 */

import { Counter, Gauge, type Registry } from "prom-client";

/** The bus metrics of one node, its node label already applied. */
export interface BusMetrics {
  readonly published: { inc(labels: { type: string }): void };
  readonly received: { inc(labels: { type: string }): void };
  readonly up: { set(value: number): void };
}

/** Creates the bus metrics of node `nodeId` on `registry`. */
export function createBusMetrics(registry: Registry, nodeId: string): BusMetrics {
  const registers = [registry];
  const published = new Counter({
    name: "parley_bus_messages_published_total",
    help: "Messages this node published on the cluster bus, by type",
    labelNames: ["node", "type"],
    registers,
  });
  const received = new Counter({
    name: "parley_bus_messages_received_total",
    help: "Messages this node received from other nodes on the cluster bus, by type",
    labelNames: ["node", "type"],
    registers,
  });
  const up = new Gauge({ name: "parley_bus_up", help: "1 while the cluster bus is connected, else 0", labelNames: ["node"], registers });
  return {
    published: { inc: ({ type }) => published.inc({ node: nodeId, type }) },
    received: { inc: ({ type }) => received.inc({ node: nodeId, type }) },
    up: { set: (value) => up.set({ node: nodeId }, value) },
  };
}
