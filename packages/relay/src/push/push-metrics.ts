/**
 * Prometheus metrics of Web Push: pushes by outcome (`sent`, `failed`, `gone` = 404/410 and the
 * subscription deleted, `dropped` = queue full or shutdown, `coalesced` = within the window) and
 * the queue's length.
 */

import { Counter, Gauge, type Registry } from "prom-client";

/** The push metrics of one relay. */
export interface PushMetrics {
  readonly pushes: Counter<"outcome">;
  readonly queued: Gauge;
}

/** Registers the push metrics on `registry`. */
export function createPushMetrics(registry: Registry): PushMetrics {
  const registers = [registry];
  return {
    pushes: new Counter({ name: "parley_pushes_total", help: "Web Push wake-ups by outcome", labelNames: ["outcome"], registers }),
    queued: new Gauge({ name: "parley_push_queue", help: "Web Push wake-ups waiting for a free request slot", registers }),
  };
}
