// `npm run bench:relay` (bench/run.mjs builds protocol and relay first): the Parley relay and a
// bare `ws` forwarder side by side, in turns, driven by one load generator in a second process.
// Measures idle connections and memory per connection, delivered messages/s with durable acks,
// and latency at a fixed offered load; profiles the relay when a target is missed; prints the
// report and rewrites the bench:relay block of BENCHMARKS.md. `--help` lists the options.
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { machineInfo, packageVersion } from "../lib/machine.mjs";
import { ENVELOPE_BYTES, IDLE, LATENCY, REGISTER_CONCURRENCY, RELAY_LIMITS, ROUNDS, THROUGHPUT } from "./config.mjs";
import { killAll, openFilesLimit, startLoadGenerator, startServer } from "./processes.mjs";
import { profileMarkdown, readProfile } from "./profile.mjs";
import { judge, renderReport, SERVERS, writeReport } from "./report.mjs";
import { buildFingerprint, filesystemOf, fsyncFloor, loadAverage, sourceState } from "./run-facts.mjs";

const ROOT = fileURLToPath(new URL("../..", import.meta.url));
const RELAY_DIR = join(ROOT, "packages/relay");
const HELP = `node bench/run.mjs relay [options]   (npm run bench:relay -- [options])

  --rounds=N          rounds per metric and server (default ${ROUNDS})
  --connections=N     idle connections per server (default ${IDLE.connections})
  --profile=MODE      auto (default): profile when a target is missed (throughput runs of both
                      servers for throughput/memory, a relay latency run for latency); always; never
  --keep-profiles=DIR copy the .cpuprofile files of the profiling runs to DIR (open in Chrome DevTools)
  --relay-bin=PATH    benchmark another build of the relay (e.g. a patched copy of packages/relay)
                      instead of packages/relay/dist/bin.js; implies --no-write
  --store=URL         the relay's --store (e.g. postgres://127.0.0.1/test?schema=bench_relay):
                      measure the relay on that store; implies --no-write. The schema is left as
                      it is: give a fresh one, drop it afterwards
  --no-write          print the report only; leave BENCHMARKS.md alone
  --save-results=FILE also write the raw results as JSON
  --render-only=FILE  measure nothing: re-render a saved results file with the current
                      ANALYSIS.md and rewrite the BENCHMARKS.md block (unless --no-write)
  --help              this text
`;

function parseOptions(argv) {
  const value = (name, fallback) => argv.find((a) => a.startsWith(`--${name}=`))?.split("=")[1] ?? fallback;
  const options = {
    rounds: Number(value("rounds", ROUNDS)),
    connections: Number(value("connections", IDLE.connections)),
    profile: value("profile", "auto"),
    keepProfiles: value("keep-profiles", undefined),
    relayBin: value("relay-bin", undefined),
    storeUrl: argv.find((a) => a.startsWith("--store="))?.slice("--store=".length),
    saveResults: value("save-results", undefined),
    renderOnly: value("render-only", undefined),
    write: !argv.includes("--no-write") && value("relay-bin", undefined) === undefined && !argv.some((a) => a.startsWith("--store=")),
    help: argv.includes("--help"),
  };
  if (!Number.isInteger(options.rounds) || options.rounds < 1 || options.rounds > 20) throw new RangeError("--rounds must be 1..20");
  if (!Number.isInteger(options.connections) || options.connections < 2 * THROUGHPUT.pairs || options.connections > 50_000) {
    throw new RangeError(`--connections must be ${2 * THROUGHPUT.pairs}..50000`);
  }
  if (!["auto", "always", "never"].includes(options.profile)) throw new RangeError("--profile must be auto, always or never");
  return options;
}

const log = (text) => process.stderr.write(`${text}\n`);
const server = (s) => ({ kind: s.kind, url: s.url, httpUrl: s.httpUrl, pid: s.pid });

/** One server's three metrics: throughput and latency on one process, idle on a fresh one. */
async function measureServer(kind, load, { relayConfig, connections }) {
  const config = kind === "relay" ? relayConfig : {};
  let s = await startServer(kind, config);
  let throughput;
  let latency;
  try {
    throughput = await load.request({ cmd: "throughput", server: server(s), options: { ...THROUGHPUT, envelopeBytes: ENVELOPE_BYTES } });
    latency = await load.request({ cmd: "latency", server: server(s), options: { ...LATENCY, envelopeBytes: ENVELOPE_BYTES } });
  } finally {
    await s.stop();
  }
  s = await startServer(kind, config);
  let idle;
  try {
    idle = await load.request({ cmd: "idle", server: server(s), options: { ...IDLE, connections } });
  } finally {
    await s.stop();
  }
  return { throughput, latency, idle };
}

/**
 * Extra runs under `node --cpu-prof`: a throughput run per server and/or a latency run of the
 * relay. Returns the profiles' Markdown.
 */
async function profileRuns(load, { relayConfig, profileDir, keepProfiles, throughput, latency }) {
  const plan = [
    ...(throughput
      ? [
          ["relay", "throughput", THROUGHPUT],
          ["bare", "throughput", THROUGHPUT],
        ]
      : []),
    ...(latency ? [["relay", "latency", LATENCY]] : []),
  ];
  const runs = {};
  for (const [kind, phase, phaseOptions] of plan) {
    const key = `${kind}-${phase}`;
    log(`  profiling the ${SERVERS[kind]} during one more ${phase} run (node --cpu-prof)`);
    const dir = join(profileDir, key);
    mkdirSync(dir);
    const config = kind === "relay" ? relayConfig : {};
    const s = await startServer(kind, { ...config, cpuProfileDir: dir });
    let run;
    try {
      run = await load.request({ cmd: phase, server: server(s), options: { ...phaseOptions, envelopeBytes: ENVELOPE_BYTES } });
    } finally {
      await s.stop();
    }
    runs[key] = { kind, phase, run, profile: readProfile(dir) };
    if (keepProfiles) {
      mkdirSync(keepProfiles, { recursive: true });
      writeFileSync(join(keepProfiles, `${key}.cpuprofile`), JSON.stringify(runs[key].profile));
    }
  }
  return profileMarkdown(runs);
}

const ANALYSIS_FILE = fileURLToPath(new URL("./ANALYSIS.md", import.meta.url));
const readAnalysis = () => (existsSync(ANALYSIS_FILE) ? readFileSync(ANALYSIS_FILE, "utf8").trim() : undefined);

/** Prints the report and, unless told not to, rewrites the BENCHMARKS.md block. */
function publish(results, options) {
  const markdown = renderReport(results);
  process.stdout.write(`\n${markdown}\n`);
  if (options.saveResults) writeFileSync(options.saveResults, JSON.stringify(results));
  if (options.write) {
    writeReport(join(ROOT, "BENCHMARKS.md"), markdown);
    log("\nBENCHMARKS.md: bench:relay block rewritten");
  }
}

async function main() {
  const options = parseOptions(process.argv.slice(2));
  if (options.help) {
    process.stdout.write(HELP);
    return 0;
  }
  if (options.renderOnly) {
    publish({ ...JSON.parse(readFileSync(options.renderOnly, "utf8")), analysis: readAnalysis() }, { ...options, saveResults: undefined });
    return 0;
  }
  const fingerprint = buildFingerprint();
  const source = sourceState();
  const started = performance.now();
  const machine = machineInfo();
  const loadBefore = loadAverage();
  const dataDir = mkdtempSync(join(os.tmpdir(), "parley-bench-relay-"));
  const profileDir = mkdtempSync(join(os.tmpdir(), "parley-bench-relay-prof-"));
  const removeTemporary = () => {
    rmSync(dataDir, { recursive: true, force: true });
    rmSync(profileDir, { recursive: true, force: true });
  };
  // Also on SIGINT/SIGTERM, whose handler (processes.mjs) kills the children and exits without `finally`.
  process.on("exit", removeTemporary);
  const relayConfig = { dataDir, limits: RELAY_LIMITS, relayBin: options.relayBin, storeUrl: options.storeUrl };
  const load = startLoadGenerator();
  try {
    const fsync = { ...fsyncFloor(dataDir), filesystem: filesystemOf(dataDir) };
    const versions = {
      ws: packageVersion("ws", RELAY_DIR),
      betterSqlite3: packageVersion("better-sqlite3", RELAY_DIR),
      msgpackr: packageVersion("msgpackr", join(ROOT, "packages/protocol")),
      relay: JSON.parse(readFileSync(join(RELAY_DIR, "package.json"), "utf8")).version,
      source,
      sqlite: fsync.sqlite,
    };
    log(`relay bench: ${machine.cpu}, ${machine.cores} cores, Node ${machine.node}; data in ${dataDir}`);

    const identities = await load.request({ cmd: "identities", count: options.connections });
    log(`  ${identities.count} identities generated in ${identities.seconds.toFixed(1)} s (untimed setup)`);
    const setup = await startServer("relay", relayConfig);
    const openFiles = { server: openFilesLimit(setup.pid), load: openFilesLimit(load.pid) };
    try {
      const registered = await load.request({
        cmd: "register",
        server: server(setup),
        options: { count: options.connections, concurrency: REGISTER_CONCURRENCY },
      });
      log(`  ${registered.registered} relay devices registered in ${registered.seconds.toFixed(1)} s (untimed setup)`);
    } finally {
      await setup.stop();
    }
    if (Math.min(openFiles.server, openFiles.load) < options.connections + 500) {
      throw new Error(`open-files limit ${Math.min(openFiles.server, openFiles.load)} is too low for ${options.connections} connections`);
    }

    const rounds = [];
    for (let r = 0; r < options.rounds; r++) {
      const order = r % 2 === 0 ? ["relay", "bare"] : ["bare", "relay"];
      const round = { order };
      for (const kind of order) {
        const phaseStarted = performance.now();
        round[kind] = await measureServer(kind, load, { relayConfig, connections: options.connections });
        const { throughput: t, latency: l, idle: d } = round[kind];
        log(
          `  round ${r + 1}, ${SERVERS[kind]}: ${Math.round(t.deliveredPerSecond)} msg/s (exactly once: ${t.exactlyOnce}), ` +
            `p50 ${l.p50?.toFixed(2)} ms p99 ${l.p99?.toFixed(2)} ms (exactly once: ${l.exactlyOnce}), ` +
            `${(d.bytesPerConnection / 1000).toFixed(1)} KB/conn, ${d.stillOpen}/${d.connections} open ` +
            `(${((performance.now() - phaseStarted) / 1000).toFixed(0)} s)`,
        );
      }
      rounds.push(round);
    }

    const verdicts = judge(rounds);
    let profile;
    // auto: the throughput profiles explain a missed throughput, memory or idle target (the relay's
    // per-message and per-connection work); the latency profile a missed latency target.
    const always = options.profile === "always";
    const auto = options.profile === "auto";
    const profileThroughput = always || (auto && (!verdicts.throughput || !verdicts.memory || !verdicts.idle));
    const profileLatency = always || (auto && !verdicts.latency);
    if (profileThroughput || profileLatency) {
      profile = await profileRuns(load, {
        relayConfig,
        profileDir,
        keepProfiles: options.keepProfiles,
        throughput: profileThroughput,
        latency: profileLatency,
      });
    }

    const results = {
      machine,
      versions,
      fsync,
      openFiles,
      loadBefore,
      loadAfter: loadAverage(),
      rounds,
      seconds: (performance.now() - started) / 1000,
      profile,
      relayBin: options.relayBin,
      storeUrl: options.storeUrl,
      analysis: readAnalysis(),
    };
    const broken = rounds.flatMap((round, i) =>
      round.order.flatMap((kind) => {
        const { throughput: t, latency: l } = round[kind];
        return [
          ...(t.exactlyOnce ? [] : [`round ${i + 1} ${kind} throughput: ${JSON.stringify({ ...t, relay: undefined })}`]),
          ...(l.exactlyOnce ? [] : [`round ${i + 1} ${kind} latency: ${JSON.stringify(l)}`]),
        ];
      }),
    );
    if (buildFingerprint() !== fingerprint)
      broken.push("packages/relay or packages/protocol was rebuilt during the run: the rounds measured different builds");
    if (broken.length > 0) {
      process.stdout.write(`\n${renderReport(results)}\n`);
      log(`\nrun invalid; BENCHMARKS.md not updated:\n${broken.join("\n")}`);
      return 1;
    }
    publish(results, options);
    return 0;
  } finally {
    await Promise.race([load.stop(), new Promise((r) => setTimeout(r, 2_000))]);
    killAll();
    removeTemporary();
  }
}

main().then(
  (code) => process.exit(code),
  (error) => {
    killAll();
    process.stderr.write(`relay bench failed: ${error?.stack ?? error}\n`);
    process.exit(1);
  },
);
