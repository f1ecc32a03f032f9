// `npm run bench:groups` (bench/run.mjs builds protocol and relay first, runs this with
// --expose-gc): group messaging at 10, 100 and 1,000 members — sender CPU per message, bytes
// uploaded against pairwise sends, relay time until every mailbox has it, receiver decrypt time;
// removal in a 1,000-member group; a CPU profile of the sender; and the attachments benchmark
// when it exists. Prints the report and rewrites the bench:groups block of BENCHMARKS.md.
// Loopback only; every loop is bounded; the relay child is killed however the run ends.
import { spawnSync } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, rmSync } from "node:fs";
import { Session } from "node:inspector";
import os from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import { loadCryptoProvider } from "@parley/protocol";
import { multiEnvelope } from "@parley/protocol/wire";
import { categoryRows, summariseProfile, topSelfRows } from "../lib/cpuprofile.mjs";
import { machineInfo } from "../lib/machine.mjs";
import { RELAY_LIMITS } from "../relay/config.mjs";
import { killAll, startServer } from "../relay/processes.mjs";
import { causes, readProfile } from "../relay/profile.mjs";
import { buildFingerprint, loadAverage, sourceState } from "../relay/run-facts.mjs";
import { measureAgreementCache, measureGroupSend, measureRemoval, receive, removalSenderOnly, sendGroupMessage } from "./cpu.mjs";
import { makeGroup } from "./members.mjs";
import { measureRelayRemoval, measureRelaySend, startRelay } from "./relay.mjs";
import { renderReport, writeReport } from "./report.mjs";

const ROOT = fileURLToPath(new URL("../..", import.meta.url));
const HELP = `node bench/run.mjs groups [options]   (npm run bench:groups -- [options])
  --sizes=a,b,c      group sizes (default 10,100,1000; at most 1000)
  --rounds=N         timed rounds per size (default 7) and removal rounds (default 5, capped by N)
  --connected=N      members logged in at the relay to time delivery (default 8)
  --two-devices=a,b  sizes also measured with 2 devices per member, a second group (default 1000;
                     --two-devices= skips it)
  --quick            sizes 10,100, 3 rounds: checks the set-up
  --no-relay         CPU only
  --no-write         print only; leave BENCHMARKS.md alone
  --help`;

const { values: args } = parseArgs({
  options: {
    sizes: { type: "string", default: "10,100,1000" },
    rounds: { type: "string", default: "7" },
    connected: { type: "string", default: "8" },
    "two-devices": { type: "string", default: "1000" },
    quick: { type: "boolean", default: false },
    "no-relay": { type: "boolean", default: false },
    "no-write": { type: "boolean", default: false },
    help: { type: "boolean", default: false },
  },
});

/** multi_sends (the first a warm-up) sent to the profiled relay process. */
const PROFILED_RELAY_SENDS = 5;

const log = (line) => process.stderr.write(`${line}\n`);

/** Relay limits raised for the bench: the relay bench's, plus the fan-out budget of one address. */
export const GROUP_RELAY_LIMITS = {
  ...RELAY_LIMITS,
  /** Default 2,000/s: the bench sends a 1,000-device fan-out every few ms from one address. */
  fanOutDevicesPerSecond: 1_000_000,
  /** Default 12,288. */
  fanOutDeviceBurst: 1_000_000,
};

/** Runs `run` under the inspector's sampling profiler (100 µs); returns the profile summary. */
async function profiled(run) {
  const session = new Session();
  session.connect();
  const post = (method, params) => new Promise((resolve, reject) => session.post(method, params, (e, r) => (e ? reject(e) : resolve(r))));
  await post("Profiler.enable");
  await post("Profiler.setSamplingInterval", { interval: 100 });
  globalThis.gc?.();
  await post("Profiler.start");
  const ops = run();
  const { profile } = await post("Profiler.stop");
  session.disconnect();
  return { summary: summariseProfile(profile), ops };
}

/** The attachments benchmark (Part AT's bench/attachments/main.mjs), folded in when it exists. */
function attachments() {
  const main = join(ROOT, "bench/attachments/main.mjs");
  if (!existsSync(main)) return { missing: true };
  log("attachments: bench/attachments/main.mjs --mb=16 --rounds=3");
  const run = spawnSync(process.execPath, ["--expose-gc", main, "--mb=16", "--rounds=3"], {
    cwd: ROOT,
    encoding: "utf8",
    timeout: 300_000,
  });
  if (run.status !== 0) return { failed: `exit ${run.status ?? run.signal}: ${(run.stderr ?? "").slice(-500)}` };
  return { markdown: run.stdout.trim() };
}

async function main() {
  if (args.help) {
    console.log(HELP);
    return 0;
  }
  const sizes = (args.quick ? "10,100" : args.sizes).split(",").map(Number);
  if (sizes.some((n) => !Number.isInteger(n) || n < 1 || n > 1000)) throw new RangeError("--sizes: 1..1000 each");
  const rounds = args.quick ? 3 : Number(args.rounds);
  const removalRounds = Math.min(rounds, 5);
  const connected = Number(args.connected);
  const fingerprint = buildFingerprint();
  const started = performance.now();
  const machine = machineInfo();
  const loadBefore = loadAverage();
  const crypto = await loadCryptoProvider();
  const largest = Math.max(...sizes);
  log(`groups bench: ${machine.cpu}, ${machine.cores} cores, load ${loadBefore.join(" / ")}; provider ${crypto.name}`);
  log(`setting up ${largest} members with pairwise sessions (untimed)…`);
  const group = makeGroup(crypto, largest, log);

  const sends = [];
  for (const n of sizes) sends.push(measureGroupSend(group, n, { rounds, log }));
  // A second group whose members have two devices each: twice the seals, and past 1,024 devices
  // the sender's static-agreement cache (STATIC_AGREEMENT_CACHE_SIZE) no longer holds them all.
  const twoSizes = args.quick ? [] : (args["two-devices"] ?? "").split(",").filter(Boolean).map(Number);
  if (twoSizes.some((n) => !Number.isInteger(n) || n < 1 || n > 1000)) throw new RangeError("--two-devices: 1..1000 each");
  let pairs;
  let agreementCache;
  if (twoSizes.length > 0) {
    log(`setting up ${Math.max(...twoSizes)} members × 2 devices with pairwise sessions (untimed)…`);
    pairs = makeGroup(crypto, Math.max(...twoSizes), log, 2);
    for (const n of twoSizes) sends.push(measureGroupSend(pairs, n, { rounds, log }));
    log("the sender's agreement cache at every device of that group…");
    agreementCache = measureAgreementCache(pairs);
  }

  log("profiling receivers: 10 members × 20 messages…");
  const readers = group.members.slice(0, 10);
  const queued = Array.from({ length: 20 }, () => sendGroupMessage(group, group.members));
  const receiveProfile = await profiled(() => {
    for (const sent of queued) {
      for (const [i, m] of readers.entries()) receive(group, m, multiEnvelope(sent.headers[i], sent.payload), sent.plaintext);
    }
    return queued.length * readers.length;
  });

  log("profiling the sender: group messages to every member…");
  const sendProfile = await profiled(() => {
    const members = group.members;
    const count = Math.max(5, Math.ceil(2000 / members.length));
    for (let i = 0; i < count; i++) sendGroupMessage(group, members);
    return count;
  });

  log(`removal in a group of ${largest}…`);
  const removal = measureRemoval(group, { rounds: removalRounds, log });
  log("profiling the sender: one more removal…");
  const remaining = group.members.slice(0, removal.remaining.at(-1));
  const removalProfile = await profiled(() => {
    removalSenderOnly(group, remaining);
    return 1;
  });

  let relay;
  if (!args["no-relay"]) {
    const dataDir = mkdtempSync(join(os.tmpdir(), "parley-bench-groups-"));
    process.on("exit", () => rmSync(dataDir, { recursive: true, force: true }));
    log("relay: starting and registering members…");
    const server = await startRelay([...group.members, ...(pairs?.members ?? [])], { dataDir, limits: GROUP_RELAY_LIMITS, log });
    try {
      const relaySends = [];
      for (const [g, n] of [...sizes.map((n) => [group, n]), ...twoSizes.map((n) => [pairs, n])]) {
        relaySends.push(
          await measureRelaySend(server, g, n, { rounds, connected, makeMessage: (members) => sendGroupMessage(g, members), log }),
        );
      }
      const relayRemoval = await measureRelayRemoval(server, group, removal, { connected, log });
      relay = { sends: relaySends, removal: relayRemoval };
    } finally {
      await server.stop();
    }
    // One more relay process on the same store, under node --cpu-prof, for where its time goes.
    log(`relay: profiling ${PROFILED_RELAY_SENDS} more multi_sends to ${largest} members (node --cpu-prof on the relay)…`);
    const profileDir = join(dataDir, "profile");
    mkdirSync(profileDir);
    const profiledServer = await startServer("relay", { dataDir, limits: GROUP_RELAY_LIMITS, cpuProfileDir: profileDir });
    try {
      await measureRelaySend(profiledServer, group, largest, {
        rounds: PROFILED_RELAY_SENDS - 1,
        connected,
        makeMessage: (members) => sendGroupMessage(group, members),
        log,
      });
    } finally {
      await profiledServer.stop();
    }
    const { busyMs, rows } = causes(readProfile(profileDir));
    relay.profile = {
      sends: PROFILED_RELAY_SENDS,
      devices: largest,
      connected,
      busyMs,
      rows: rows.filter((r) => !r.cause.startsWith("process start-up")),
    };
    rmSync(dataDir, { recursive: true, force: true });
  }

  const results = {
    machine,
    provider: crypto.name,
    source: sourceState(),
    loadBefore,
    loadAfter: loadAverage(),
    seconds: (performance.now() - started) / 1000,
    rounds,
    removalRounds,
    sends,
    removal: { ...removal, frames: undefined },
    relay,
    sendProfile: {
      ops: sendProfile.ops,
      n: largest,
      categories: categoryRows(sendProfile.summary, { ops: sendProfile.ops }),
      top: topSelfRows(sendProfile.summary, { top: 12, ops: sendProfile.ops }),
    },
    receiveProfile: {
      ops: receiveProfile.ops,
      categories: categoryRows(receiveProfile.summary, { ops: receiveProfile.ops }),
    },
    removalProfile: {
      remaining: remaining.length,
      categories: categoryRows(removalProfile.summary),
      top: topSelfRows(removalProfile.summary, { top: 8 }),
    },
    agreementCache,
    attachments: attachments(),
  };
  if (buildFingerprint() !== fingerprint) throw new Error("packages were rebuilt during the run: not reporting a mix of builds");
  const markdown = renderReport(results);
  process.stdout.write(`\n${markdown}\n`);
  log(`\nDone in ${results.seconds.toFixed(0)} s.`);
  if (!args["no-write"]) {
    writeReport(join(ROOT, "BENCHMARKS.md"), markdown);
    log("BENCHMARKS.md: bench:groups block rewritten");
  }
  return 0;
}

main().then(
  (code) => process.exit(code),
  (error) => {
    killAll();
    process.stderr.write(`groups bench failed: ${error?.stack ?? error}\n`);
    process.exit(1);
  },
);
