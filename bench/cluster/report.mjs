// The Markdown report of the cluster benchmark: machine and versions, a table of medians per
// set-up, the ratios the targets are about, the per-message costs the capacity model in
// BENCHMARKS.md is built from, and every round's raw figures.
import { ratio } from "../lib/harness.mjs";

const LABELS = {
  "sqlite-1": "1 node, SQLite, direct",
  "pg-1": "1 node, PostgreSQL, direct",
  "lb-1": "1 node, PostgreSQL + Redis, HAProxy",
  "lb-3": "3 nodes, PostgreSQL + Redis, HAProxy",
};

const f = (value, digits = 0) => (value === undefined || Number.isNaN(value) ? "–" : value.toFixed(digits));
const x = (value) => (value === undefined ? "–" : `${value.toFixed(2)}×`);

/** The report for `{ facts, samples, medians }` from main.mjs. */
export function renderReport({ facts, samples, medians }) {
  const m = facts.machine;
  const lines = [
    "## Relay cluster: one node vs three behind HAProxy, SQLite vs PostgreSQL",
    "",
    `Measured ${m.date} on ${m.cpu}, ${m.cores} cores, ${m.memoryGiB} GiB, ${m.os}; Node ${m.node}; ` +
      `PostgreSQL ${facts.postgres} (private instance, fsync and synchronous_commit on), Redis ${facts.redis}, ` +
      `HAProxy ${facts.haproxy}; pg ${facts.pg}, ioredis ${facts.ioredis}. The load generator, every node, ` +
      "PostgreSQL, Redis and HAProxy share these cores. Medians of " +
      `${facts.rounds} rounds (set-ups take turns, order reversed every other round).`,
    "",
    `Delivered/s: ${facts.throughput.pairs} senders → ${facts.throughput.pairs} recipients, ${facts.throughput.window} sends in ` +
      `flight per sender, ${facts.throughput.envelopeBytes}-byte envelopes, counted over ${facts.throughput.windowMs / 1000} s after ` +
      `${facts.throughput.warmupMs / 1000} s warm-up. Latency: ${facts.rate} msg/s offered on a schedule for ` +
      `${facts.latency.durationMs / 1000} s (first second dropped), the same load for every set-up. Every message id is ` +
      "checked to arrive exactly once. Costs are per delivered message over the whole throughput phase, summed over nodes.",
    "",
    "| set-up | delivered msg/s | p50 ms | p99 ms | relay CPU ms/msg | PG queries/msg | PG queries/enqueue batch | msgs/enqueue batch | Redis cmds/msg | publishes/enqueue batch | PG CPU ms/msg | WAL bytes/msg | Redis CPU ms/msg | HAProxy CPU ms/msg | delivered per node |",
    "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|",
  ];
  for (const [setup, r] of Object.entries(medians)) {
    lines.push(
      `| ${LABELS[setup]} | ${f(r.deliveredPerSecond)} | ${f(r.p50, 1)} | ${f(r.p99, 1)} | ${f(r.nodeCpuMsPerMessage, 3)} | ` +
        `${f(r.pgQueriesPerMessage, 2)} | ${f(r.pgQueriesPerBatch, 1)} | ${f(r.messagesPerBatch, 1)} | ${f(r.redisCommandsPerMessage, 2)} | ` +
        `${f(r.redisPublishesPerBatch, 2)} | ${f(r.pgCpuMsPerMessage, 3)} | ${f(r.walBytesPerMessage)} | ${f(r.redisCpuMsPerMessage, 3)} | ${f(r.balancerCpuMsPerMessage, 3)} | ` +
        `${(r.deliveredPerNode ?? []).map((v) => f(v)).join(" / ")} |`,
    );
  }
  lines.push(
    "",
    `At the fixed ${facts.rate} msg/s (latency phase), where group commits are smaller than at saturation:`,
    "",
    "| set-up | relay CPU ms/msg | PG queries/msg | PG COMMITs/msg | msgs/commit batch | PG CPU ms/msg | WAL bytes/msg | Redis cmds/msg | publishes/msg |",
    "|---|---:|---:|---:|---:|---:|---:|---:|---:|",
  );
  for (const [setup, r] of Object.entries(medians))
    lines.push(
      `| ${LABELS[setup]} | ${f(r.atRateNodeCpuMsPerMessage, 3)} | ${f(r.atRatePgQueriesPerMessage, 2)} | ${f(r.atRatePgCommitsPerMessage, 3)} | ` +
        `${f(r.atRateMessagesPerBatch, 1)} | ${f(r.atRatePgCpuMsPerMessage, 3)} | ${f(r.atRateWalBytesPerMessage)} | ${f(r.atRateRedisCommandsPerMessage, 3)} | ${f(r.atRateRedisPublishesPerMessage, 3)} |`,
    );
  const tp = (s) => medians[s]?.deliveredPerSecond;
  const scale = ratio(tp("lb-3"), tp("lb-1"));
  lines.push(
    "",
    `- **3 nodes vs 1 node behind HAProxy: ${x(scale)}** delivered/s (target ≥ 1.30×: ${scale !== undefined && scale >= 1.3 ? "met" : "missed"}); ` +
      `p99 at ${facts.rate} msg/s ${f(medians["lb-3"]?.p99, 1)} ms vs ${f(medians["lb-1"]?.p99, 1)} ms.`,
    `- PostgreSQL vs SQLite, one node: ${x(ratio(tp("pg-1"), tp("sqlite-1")))} delivered/s; p99 ${f(medians["pg-1"]?.p99, 1)} ms vs ${f(medians["sqlite-1"]?.p99, 1)} ms.`,
    `- The bus and the balancer on one node: ${x(ratio(tp("lb-1"), tp("pg-1")))} delivered/s of the direct PostgreSQL node.`,
    "",
    "<details><summary>Every round</summary>",
    "",
    "| set-up | round | delivered msg/s | p99 ms | relay CPU ms/msg | load generator CPU (cores) | all but node1 and the load generator (cores) |",
    "|---|---:|---:|---:|---:|---:|---:|",
  );
  for (const [setup, list] of Object.entries(samples))
    for (const [i, r] of list.entries())
      lines.push(
        `| ${setup} | ${i + 1} | ${f(r.deliveredPerSecond)} | ${f(r.p99, 1)} | ${f(r.nodeCpuMsPerMessage, 3)} | ${f(r.loadCpuShare, 2)} | ${f(r.otherCpuShare, 2)} |`,
      );
  lines.push("", "</details>");
  return lines.join("\n");
}
