#!/usr/bin/env node
// `npm run bench:cluster`: the relay as a cluster. Four set-ups, each measured in several rounds
// (they take turns within a round), every one driven by bench/relay's load generator (raw
// socket clients with real logins; every message id checked to arrive exactly once):
//   sqlite-1  one node, SQLite store, clients dial it directly
//   pg-1      one node, PostgreSQL store, no bus, directly
//   lb-1      one node, PostgreSQL + Redis bus, behind HAProxy
//   lb-3      three nodes, PostgreSQL + Redis bus, behind HAProxy (same offered load as lb-1)
// For each: delivered messages/s (closed loop: 32 senders, 32 sends in flight each), latency
// p50/p99 at a fixed offered rate, and what one message costs: relay CPU, PostgreSQL round trips
// (counted in the nodes by counters-preload.cjs), Redis commands, PostgreSQL and Redis CPU.
// Medians over rounds; ratios lb-3/lb-1 and pg-1/sqlite-1. Prints a Markdown report and rewrites
// the bench:cluster block of BENCHMARKS.md (unless --no-write).
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { median } from "../lib/harness.mjs";
import { machineInfo, packageVersion } from "../lib/machine.mjs";
import { RELAY_LIMITS } from "../relay/config.mjs";
import { cpuSeconds, scrapeMetrics } from "../relay/observe.mjs";
import { killAll, startLoadGenerator } from "../relay/processes.mjs";
import { renderReport } from "./report.mjs";
import { freePort, haproxyVersion, nodeCounters, startHaproxy, startNode, startPostgres, startRedis } from "./servers.mjs";

const args = process.argv.slice(2);
const option = (name, fallback) => {
  const found = args.find((a) => a.startsWith(`--${name}=`));
  return found === undefined ? fallback : found.slice(name.length + 3);
};
if (args.includes("--help")) {
  console.log("node bench/cluster/main.mjs [--rounds=3] [--rate=1000] [--only=lb-1,lb-3] [--no-write] [--profile=DIR]");
  console.log("  --profile=DIR  one round of lb-1 and lb-3 with every node under --cpu-prof; prints where their CPU time goes");
  process.exit(0);
}
/** With --profile: where the nodes' .cpuprofile files go (one folder per set-up); BENCHMARKS.md is left alone. */
const PROFILE_DIR = option("profile", undefined);
const ROUNDS = Number(option("rounds", option("profile", undefined) ? 1 : 3));
/** The fixed offered load of the latency measurement, messages/s, the same for every set-up. */
const RATE = Number(option("rate", 1000));
const SETUPS = ["sqlite-1", "pg-1", "lb-1", "lb-3"].filter((s) =>
  option("only", PROFILE_DIR ? "lb-1,lb-3" : s)
    .split(",")
    .includes(s),
);
const PAIRS = 32;
const THROUGHPUT = { pairs: PAIRS, window: 32, warmupMs: 1_000, windowMs: 4_000, drainTimeoutMs: 30_000, envelopeBytes: 200 };
const LATENCY = {
  pairs: PAIRS,
  ratePerSecond: RATE,
  warmupMs: 1_000,
  durationMs: 6_000,
  tickMs: 2,
  maxBacklog: 10_000,
  drainTimeoutMs: 30_000,
  envelopeBytes: 200,
};
/** The relay's own PostgreSQL driver, to read the server's WAL position. */
const pg = createRequire(fileURLToPath(new URL("../../packages/relay/package.json", import.meta.url)))("pg");
const BENCHMARKS = fileURLToPath(new URL("../../BENCHMARKS.md", import.meta.url));

const work = mkdtempSync(join(tmpdir(), "parley-bench-cluster-"));
const countersDir = join(work, "counters");
mkdirSync(countersDir);

/** CPU seconds of a process and all its descendants (PostgreSQL's postmaster and backends). */
function treeCpuSeconds(rootPid) {
  const parentOf = new Map();
  for (const entry of readdirSync("/proc")) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, "utf8");
      parentOf.set(Number(entry), Number(stat.slice(stat.lastIndexOf(")") + 2).split(" ")[1]));
    } catch {
      // Gone meanwhile.
    }
  }
  const tree = new Set([rootPid]);
  for (let grew = true; grew; ) {
    grew = false;
    for (const [pid, parent] of parentOf)
      if (tree.has(parent) && !tree.has(pid)) {
        tree.add(pid);
        grew = true;
      }
  }
  let sum = 0;
  for (const pid of tree) {
    try {
      sum += cpuSeconds(pid);
    } catch {
      // Exited.
    }
  }
  return sum;
}

/** Bytes of WAL PostgreSQL has written so far (what every commit costs its disk and its replicas). */
async function walBytes(postgres) {
  const client = new pg.Client({ connectionString: postgres.url });
  await client.connect();
  try {
    const { rows } = await client.query("SELECT pg_wal_lsn_diff(pg_current_wal_lsn(), '0/0')::bigint AS bytes");
    return Number(rows[0].bytes);
  } finally {
    await client.end();
  }
}

/** Redis's own CPU seconds (user + sys) from INFO cpu. */
async function redisCpu(redis) {
  const info = await redis.info("cpu");
  const value = (name) => Number(new RegExp(`${name}:(\\S+)`).exec(info)?.[1] ?? 0);
  return value("used_cpu_user") + value("used_cpu_sys");
}

/** Everything counted at one moment, summed over the nodes. */
async function snapshot(nodes, postgres, redis) {
  const counters = await Promise.all(nodes.map((n) => nodeCounters(n, countersDir)));
  const metrics = await Promise.all(nodes.map((n) => scrapeMetrics(`${n.adminUrl}/metrics`)));
  const sum = (pick) => metrics.reduce((total, m) => total + (pick(m) ?? 0), 0);
  const total = (table) => Object.values(table).reduce((a, b) => a + b, 0);
  return {
    nodeCpu: nodes.reduce((total, n) => total + cpuSeconds(n.pid), 0),
    pgCpu: postgres ? treeCpuSeconds(postgres.postmasterPid()) : 0,
    wal: postgres ? await walBytes(postgres) : 0,
    redisCpu: redis ? await redisCpu(redis) : 0,
    pgQueries: counters.reduce((t, c) => t + total(c.pg), 0),
    pgCommits: counters.reduce((t, c) => t + (c.pg.commit ?? 0), 0),
    redisCommands: counters.reduce((t, c) => t + total(c.redis), 0),
    redisPublishes: counters.reduce((t, c) => t + (c.redis.publish ?? 0), 0),
    commitBatches: sum((m) => m.get("parley_commit_batch_size_count")),
    perNodeDelivered: metrics.map((m) => m.get("parley_messages_delivered_total") ?? 0),
  };
}

/** What one message cost between two snapshots, `messages` being what was delivered meanwhile. */
function costs(start, end, messages) {
  const d = (key) => end[key] - start[key];
  return {
    nodeCpuMsPerMessage: (d("nodeCpu") * 1000) / messages,
    pgCpuMsPerMessage: (d("pgCpu") * 1000) / messages,
    walBytesPerMessage: d("wal") / messages,
    redisCpuMsPerMessage: (d("redisCpu") * 1000) / messages,
    pgQueriesPerMessage: d("pgQueries") / messages,
    pgQueriesPerBatch: d("commitBatches") > 0 ? d("pgQueries") / d("commitBatches") : undefined,
    messagesPerBatch: d("commitBatches") > 0 ? messages / d("commitBatches") : undefined,
    redisCommandsPerMessage: d("redisCommands") / messages,
    redisPublishesPerBatch: d("commitBatches") > 0 ? d("redisPublishes") / d("commitBatches") : undefined,
    deliveredPerNode: end.perNodeDelivered.map((v, i) => v - (start.perNodeDelivered[i] ?? 0)),
  };
}

/** Starts one set-up; resolves with `{ server, nodes, stop() }`. */
async function startSetup(setup, round, postgres, redis) {
  const tag = `r${round}_${setup.replace("-", "_")}`;
  const storeUrl = setup === "sqlite-1" ? undefined : `${postgres.url}?schema=bench_${tag}`;
  const busUrl = setup.startsWith("lb") ? `${redis.url}?prefix=${tag}:` : undefined;
  const count = setup === "lb-3" ? 3 : 1;
  const lbPort = setup.startsWith("lb") ? await freePort() : undefined;
  const publicUrl = lbPort ? `http://127.0.0.1:${lbPort}` : undefined;
  const nodes = [];
  const cpuProfileDir = PROFILE_DIR ? join(PROFILE_DIR, setup) : undefined;
  if (cpuProfileDir) mkdirSync(cpuProfileDir, { recursive: true });
  for (let i = 1; i <= count; i++) {
    const dataDir = join(work, `${tag}_node${i}`);
    nodes.push(
      await startNode({ name: `node${i}`, dataDir, storeUrl, busUrl, publicUrl, limits: RELAY_LIMITS, countersDir, cpuProfileDir }),
    );
  }
  let balancer;
  if (lbPort)
    balancer = await startHaproxy(
      lbPort,
      nodes.map((n) => ({ name: n.name, port: n.port, adminPort: n.adminPort })),
    );
  const first = nodes[0];
  return {
    nodes,
    balancer,
    server: { kind: "relay", url: balancer ? balancer.wsUrl : first.wsUrl, httpUrl: first.adminUrl, pid: first.pid },
    async stop() {
      await balancer?.stop();
      await Promise.all(nodes.map((n) => n.stop()));
    },
  };
}

async function measure(setup, round, postgres, redis, load) {
  const running = await startSetup(setup, round, postgres, redis);
  const usesPg = setup !== "sqlite-1";
  const usesRedis = setup.startsWith("lb");
  try {
    await load.request({ cmd: "register", server: running.server, options: { count: PAIRS * 2, concurrency: 16 } });
    const before = await snapshot(running.nodes, usesPg ? postgres : undefined, usesRedis ? redis : undefined);
    const lbCpuBefore = running.balancer ? cpuSeconds(running.balancer.pid) : 0;
    const tp = await load.request({ cmd: "throughput", server: running.server, options: THROUGHPUT });
    const after = await snapshot(running.nodes, usesPg ? postgres : undefined, usesRedis ? redis : undefined);
    const lbCpu = running.balancer ? cpuSeconds(running.balancer.pid) - lbCpuBefore : 0;
    const latBefore = await snapshot(running.nodes, usesPg ? postgres : undefined, usesRedis ? redis : undefined);
    const lat = await load.request({ cmd: "latency", server: running.server, options: LATENCY });
    const latAfter = await snapshot(running.nodes, usesPg ? postgres : undefined, usesRedis ? redis : undefined);
    const atRate = costs(latBefore, latAfter, lat.delivered);
    if (!tp.exactlyOnce || !lat.exactlyOnce)
      throw new Error(`${setup}: a message was lost or duplicated: ${JSON.stringify({ throughput: tp, latency: lat }).slice(0, 2000)}`);
    return {
      deliveredPerSecond: tp.deliveredPerSecond,
      loadCpuShare: tp.loadCpuShare,
      otherCpuShare: tp.otherCpuShare,
      p50: lat.p50,
      p99: lat.p99,
      offeredPerSecond: lat.offeredPerSecond,
      overloaded: lat.overloaded,
      balancerCpuMsPerMessage: (lbCpu * 1000) / tp.delivered,
      ...costs(before, after, tp.delivered),
      // The same costs at the fixed offered rate, where batches are smaller than at saturation.
      atRateNodeCpuMsPerMessage: atRate.nodeCpuMsPerMessage,
      atRatePgQueriesPerMessage: atRate.pgQueriesPerMessage,
      atRateRedisCommandsPerMessage: atRate.redisCommandsPerMessage,
      atRateRedisPublishesPerMessage: (latAfter.redisPublishes - latBefore.redisPublishes) / lat.delivered,
      atRatePgCommitsPerMessage: (latAfter.pgCommits - latBefore.pgCommits) / lat.delivered,
      atRatePgCpuMsPerMessage: atRate.pgCpuMsPerMessage,
      atRateWalBytesPerMessage: atRate.walBytesPerMessage,
      atRateMessagesPerBatch: atRate.messagesPerBatch,
      // Every message the nodes delivered while they ran (both phases): what a profile is divided by.
      deliveredWhileRunning: latAfter.perNodeDelivered.reduce((a, b) => a + b, 0),
    };
  } finally {
    await running.stop();
  }
}

async function main() {
  const postgres = await startPostgres();
  const redis = await startRedis();
  const load = startLoadGenerator();
  try {
    await load.request({ cmd: "identities", count: PAIRS * 2 });
    const samples = Object.fromEntries(SETUPS.map((s) => [s, []]));
    for (let round = 1; round <= ROUNDS; round++) {
      // Alternate the order so drift on the machine hits every set-up alike.
      const order = round % 2 === 1 ? SETUPS : [...SETUPS].reverse();
      for (const setup of order) {
        const result = await measure(setup, round, postgres, redis, load);
        samples[setup].push(result);
        console.error(
          `round ${round} ${setup}: ${Math.round(result.deliveredPerSecond)} msg/s, p99 ${result.p99?.toFixed(1)} ms at ${RATE}/s, ` +
            `node CPU ${result.nodeCpuMsPerMessage.toFixed(3)} ms/msg, pg ${result.pgQueriesPerMessage.toFixed(2)} q/msg`,
        );
      }
    }
    const medians = Object.fromEntries(
      Object.entries(samples).map(([setup, list]) => [
        setup,
        Object.fromEntries(
          Object.keys(list[0]).map((key) => [
            key,
            Array.isArray(list[0][key])
              ? list[0][key].map((_, i) => median(list.map((r) => r[key][i])))
              : typeof list[0][key] === "number"
                ? median(list.map((r) => r[key]))
                : list[0][key],
          ]),
        ),
      ]),
    );
    const facts = {
      machine: machineInfo(),
      postgres: postgres.version,
      redis: redis.version,
      haproxy: haproxyVersion(),
      pg: packageVersion("pg", "packages/relay"),
      ioredis: packageVersion("ioredis", "packages/relay"),
      rounds: ROUNDS,
      rate: RATE,
      throughput: THROUGHPUT,
      latency: LATENCY,
    };
    if (PROFILE_DIR) {
      const { renderProfiles } = await import("./profile.mjs");
      console.log(renderProfiles(PROFILE_DIR, samples));
      return;
    }
    const report = renderReport({ facts, samples, medians });
    console.log(report);
    if (!args.includes("--no-write") && SETUPS.length === 4) writeBlock(report);
  } finally {
    await load.stop();
    await redis.stop();
    await postgres.stop();
    rmSync(work, { recursive: true, force: true });
  }
}

/** Replaces the bench:cluster block of BENCHMARKS.md (appends it the first time). */
function writeBlock(report) {
  const begin = "<!-- bench:cluster:begin (generated by `npm run bench:cluster`; edits inside are overwritten) -->";
  const end = "<!-- bench:cluster:end -->";
  const text = readFileSync(BENCHMARKS, "utf8");
  const block = `${begin}\n${report}\n${end}`;
  const at = text.indexOf("<!-- bench:cluster:begin");
  const next = at >= 0 ? text.slice(0, at) + block + text.slice(text.indexOf(end) + end.length) : `${text.trimEnd()}\n\n${block}\n`;
  writeFileSync(BENCHMARKS, next);
}

main().catch((error) => {
  console.error(error);
  killAll();
  process.exit(1);
});
