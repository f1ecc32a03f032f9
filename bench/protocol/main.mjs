// The protocol benchmark: Parley (per provider) against libsignal-client and
// libsignal-protocol-typescript, in one process so every ratio compares numbers taken side by
// side. Started by bench/run.mjs (which builds the protocol first and exposes gc); progress goes
// to stderr, the result tables to stdout and into BENCHMARKS.md.
import { mkdirSync, writeFileSync } from "node:fs";
import { Session } from "node:inspector";
import os from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { categoryRows, summariseProfile, topInclusiveRows, topSelfRows } from "../lib/cpuprofile.mjs";
import { measureMetric, timeOnce } from "../lib/harness.mjs";
import { machineInfo } from "../lib/machine.mjs";
import { formatRate, markdownTable } from "../lib/table.mjs";
import { measureBreakdown } from "./breakdown.mjs";
import { measureBundle } from "./bundle-size.mjs";
import { loadAdapters, THROUGHPUT_METRICS } from "./metrics.mjs";
import { measurePrimitives } from "./primitives.mjs";
import { renderReport, writeReport } from "./report.mjs";

const HELP = `usage: npm run bench:protocol -- [options]
  --only=a,b          adapters: parley-node, parley-sodium, parley-noble, libsignal-client, libsignal-typescript
  --metrics=a,b       handshake, burst, pingPong, sealed (default: all)
  --rounds=N          timed rounds after the warm-up (default 7)
  --round-seconds=S   length of one round (default 0.5)
  --quick             3 rounds of 0.2 s, for checking the set-up
  --no-write          print only; leave BENCHMARKS.md alone
  --no-bundle         skip the browser bundle measurement
  --no-primitives     skip the per-primitive cost table and the per-primitive breakdown
  --profile=ID:METRIC profile one adapter on one metric (e.g. parley-node:handshake) instead
  --profile-seconds=S length of the profiled run (default 3)`;

const { values: args } = parseArgs({
  options: {
    only: { type: "string" },
    metrics: { type: "string" },
    rounds: { type: "string", default: "7" },
    "round-seconds": { type: "string", default: "0.5" },
    quick: { type: "boolean", default: false },
    "no-write": { type: "boolean", default: false },
    "no-bundle": { type: "boolean", default: false },
    "no-primitives": { type: "boolean", default: false },
    profile: { type: "string" },
    "profile-seconds": { type: "string", default: "3" },
    help: { type: "boolean", default: false },
  },
});

const log = (line) => process.stderr.write(`${line}\n`);
const loadavg = () =>
  os
    .loadavg()
    .map((l) => l.toFixed(2))
    .join(" / ");

/** Runs `adapter`'s `metric` once for `seconds` under the inspector's CPU profiler, timed part only. */
async function profileOne(spec, seconds) {
  const [id, metricKey] = spec.split(":");
  const metric = THROUGHPUT_METRICS.find((m) => m.key === metricKey);
  if (!id || !metric)
    throw new RangeError(
      `--profile wants ID:METRIC, e.g. parley-node:handshake (metrics: ${THROUGHPUT_METRICS.map((m) => m.key).join(", ")})`,
    );
  const [adapter] = await loadAdapters([id]);
  const prepare = adapter.prepare[metric.key];
  if (!prepare) throw new RangeError(`${id} has no ${metric.key} metric`);
  // Warm up (JIT, caches) and size the profiled run from the warm rate.
  let warm = await timeOnce(prepare, metric.minOps);
  warm = await timeOnce(prepare, Math.max(metric.minOps, Math.ceil(warm.rate * 0.5)));
  const n = Math.max(metric.minOps, Math.ceil(warm.rate * seconds));
  const session = new Session();
  session.connect();
  const post = (method, params) => new Promise((resolve, reject) => session.post(method, params, (e, r) => (e ? reject(e) : resolve(r))));
  await post("Profiler.enable");
  await post("Profiler.setSamplingInterval", { interval: 100 });
  const run = await prepare(n);
  globalThis.gc?.();
  await post("Profiler.start");
  const start = process.hrtime.bigint();
  const verified = await run();
  const elapsed = Number(process.hrtime.bigint() - start) / 1e9;
  const { profile } = await post("Profiler.stop");
  session.disconnect();
  if (verified !== n) throw new Error(`asked for ${n}, verified ${verified}`);
  const dir = join(os.tmpdir(), "parley-bench-profiles");
  mkdirSync(dir, { recursive: true });
  const file = join(dir, `${id}-${metric.key}.cpuprofile`);
  writeFileSync(file, JSON.stringify(profile));
  const summary = summariseProfile(profile);
  const perOp = ["µs/op"];
  console.log(`## Profile: ${adapter.label}, ${metric.title}\n`);
  console.log(
    `${n} operations in ${elapsed.toFixed(2)} s (${formatRate(n / elapsed)}/s, ${((1e6 * elapsed) / n).toFixed(1)} µs/op, profiler on); profile: ${file}\n`,
  );
  console.log(markdownTable(["function (self time)", "location", "ms", "share", ...perOp], topSelfRows(summary, { top: 25, ops: n })));
  console.log(`\n${markdownTable(["category (self time)", "ms", "share", ...perOp], categoryRows(summary, { ops: n }))}`);
  const filter = id.startsWith("parley-")
    ? "protocol/dist"
    : id === "libsignal-client"
      ? "libsignal-client"
      : "libsignal-protocol-typescript";
  console.log(
    `\n${markdownTable(["function (inclusive)", "location", "ms", "share", ...perOp], topInclusiveRows(summary, { top: 30, ops: n, filter }))}`,
  );
}

async function benchmark() {
  const rounds = args.quick ? 3 : Number(args.rounds);
  const roundSeconds = args.quick ? 0.2 : Number(args["round-seconds"]);
  const only = args.only?.split(",");
  const metricKeys = args.metrics?.split(",") ?? THROUGHPUT_METRICS.map((m) => m.key);
  const loadBefore = loadavg();
  const started = Date.now();
  log(`Setting up adapters (load average ${loadBefore})…`);
  const adapters = await loadAdapters(only);

  const throughput = new Map();
  for (const metric of THROUGHPUT_METRICS.filter((m) => metricKeys.includes(m.key))) {
    const jobs = adapters
      .filter((a) => a.prepare[metric.key])
      .map((a) => ({ id: a.id, prepare: a.prepare[metric.key], minOps: metric.minOps }));
    log(`${metric.title}: ${jobs.map((j) => j.id).join(", ")}`);
    const results = await measureMetric(jobs, {
      rounds,
      roundSeconds,
      onRound: (id, round, r) =>
        log(`  round ${round + 1}/${rounds} ${id.padEnd(22)} ${formatRate(r.rate).padStart(9)}/s  (${r.n} ops, ${r.seconds.toFixed(2)} s)`),
    });
    throughput.set(metric.key, results);
  }

  const sizes = new Map();
  for (const adapter of adapters) sizes.set(adapter.id, await adapter.sizes());
  const bundle = args["no-bundle"] ? undefined : await measureBundle();
  if (!args["no-primitives"]) log("primitive costs:");
  const primitives = args["no-primitives"] ? undefined : await measurePrimitives({ log });
  if (!args["no-primitives"]) log("per-primitive breakdown of parley-node…");
  const breakdown = args["no-primitives"] ? undefined : await measureBreakdown("node");
  const results = {
    machine: machineInfo(),
    adapters,
    options: { rounds, roundSeconds },
    throughput,
    sizes,
    bundle,
    primitives,
    breakdown,
    loadBefore,
    loadAfter: loadavg(),
  };

  const markdown = renderReport(results);
  console.log(markdown);
  log(`\nDone in ${((Date.now() - started) / 1000).toFixed(0)} s.`);
  if (!args["no-write"]) {
    writeReport(new URL("../../BENCHMARKS.md", import.meta.url), markdown);
    log("BENCHMARKS.md updated (generated block only).");
  }
}

if (args.help) console.log(HELP);
else if (args.profile) await profileOne(args.profile, Number(args["profile-seconds"]));
else await benchmark();
