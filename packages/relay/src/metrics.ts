/**
 * The relay's Prometheus metrics (prom-client), all named `parley_*`, on a registry per relay
 * instance (never the global one, so tests can run several relays). Labels are frame types and
 * error codes only: never user ids, addresses or sizes of single messages. Process metrics come
 * from prom-client's defaults (`parley_process_*`, `parley_nodejs_*`), without the Node version.
 */

import { Counter, collectDefaultMetrics, Gauge, Histogram, Registry } from "prom-client";

/** Creates the registry and every metric. */
export function createMetrics(options: { defaultMetrics?: boolean } = {}) {
  const registry = new Registry();
  if (options.defaultMetrics) {
    // prom-client's names already start with `process_` / `nodejs_`: the prefix is just `parley_`.
    collectDefaultMetrics({ register: registry, prefix: "parley_" });
    // The exact Node version tells an attacker which runtime CVEs apply; operators know it anyway.
    registry.removeSingleMetric("parley_nodejs_version_info");
  }
  const reg = [registry];
  return {
    registry,
    connections: new Gauge({ name: "parley_connections", help: "Open WebSocket connections", registers: reg }),
    authenticated: new Gauge({ name: "parley_authenticated_devices", help: "Connections authenticated as a device", registers: reg }),
    frames: new Counter({ name: "parley_frames_received_total", help: "Frames received, by type", labelNames: ["type"], registers: reg }),
    errors: new Counter({ name: "parley_errors_total", help: "Error frames sent, by code", labelNames: ["code"], registers: reg }),
    closes: new Counter({
      name: "parley_connections_closed_total",
      help: "Connections closed by the relay, by code",
      labelNames: ["code"],
      registers: reg,
    }),
    stored: new Counter({ name: "parley_messages_stored_total", help: "Messages durably queued", registers: reg }),
    delivered: new Counter({ name: "parley_messages_delivered_total", help: "Message frames sent to devices", registers: reg }),
    acked: new Counter({ name: "parley_messages_acked_total", help: "Messages deleted on acknowledgement", registers: reg }),
    expired: new Counter({ name: "parley_messages_expired_total", help: "Mailboxes notified of expired messages", registers: reg }),
    ephemeral: new Counter({
      name: "parley_ephemeral_total",
      help: "Ephemeral frames, by outcome",
      labelNames: ["outcome"],
      registers: reg,
    }),
    commitBatch: new Histogram({
      name: "parley_commit_batch_size",
      help: "Messages per group commit",
      buckets: [1, 2, 5, 10, 20, 50, 100, 200, 500, 1000],
      registers: reg,
    }),
    commitSeconds: new Histogram({
      name: "parley_commit_duration_seconds",
      help: "Time to commit (and fsync) one batch",
      buckets: [0.0005, 0.001, 0.002, 0.005, 0.01, 0.02, 0.05, 0.1, 0.5],
      registers: reg,
    }),
    rateLimited: new Counter({
      name: "parley_rate_limited_total",
      help: "Requests refused by a rate limit",
      labelNames: ["scope"],
      registers: reg,
    }),
    fanOutDevices: new Histogram({
      name: "parley_fan_out_devices",
      help: "Recipient devices authorised per multi_send",
      buckets: [1, 10, 50, 100, 500, 1000, 2000, 4096],
      registers: reg,
    }),
    blobsUploaded: new Counter({ name: "parley_blobs_uploaded_total", help: "Blobs uploaded", registers: reg }),
    bundlesServed: new Counter({ name: "parley_bundles_served_total", help: "Prekey bundles handed out", registers: reg }),
  };
}

/** The relay's metrics. */
export type Metrics = ReturnType<typeof createMetrics>;
