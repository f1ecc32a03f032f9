#!/usr/bin/env node
// `npm run bench:attack`: the relay under the attacks of issue 13 (relay items 1–3), measured
// from an honest pair's point of view. Builds protocol and relay, starts a real relay process on
// 127.0.0.1, keeps Alice and Bob doing round trips the whole time, and runs each attack in turn
// for a fixed time (everything stops itself): a decode bomb, readers that stop reading, and a
// flood of one recipient. Reports the honest round trip's p50/p99 and failures per phase, and
// the relay's resident memory (peak and end) per phase. Options: --seconds=N per attack (8),
// --no-build, --json=FILE, --only=1,3 (phases), --relay-bin=PATH (another build, e.g. before a
// fix), --profile=DIR (the relay writes a CPU profile).
import { spawn, spawnSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { machineInfo, packageVersion } from "../lib/machine.mjs";
import { deps, honestPair, newIdentity, readingDevice, rssMiB, startRelay } from "./attack-clients.mjs";

const ROOT = fileURLToPath(new URL("../..", import.meta.url));
const args = Object.fromEntries(process.argv.slice(2).map((a) => a.replace(/^--/, "").split("=")));
const ATTACK_SECONDS = Number(args.seconds ?? 8);
/** Honest p99 must stay under this during every attack (issue 13, "Done means"). */
const P99_TARGET_MS = 250;

if (!("no-build" in args)) {
  const result = spawnSync(process.execPath, ["node_modules/typescript/bin/tsc", "-b", "packages/protocol", "packages/relay"], {
    cwd: ROOT,
    stdio: "inherit",
  });
  if (result.status !== 0) process.exit(1);
}

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const percentile = (sorted, p) => (sorted.length === 0 ? Number.NaN : sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))]);

const RUNNER = fileURLToPath(new URL("./attack-runner.mjs", import.meta.url));
const hex = (b) => Buffer.from(b).toString("hex");

/** Runs one attack in a child process; resolves with its counters. */
function runAttack(name, url, bob, bobToken) {
  // The attacker runs at a lower CPU priority: on a real deployment its CPU is not the relay's,
  // and on this 2-core machine its client-side work would otherwise stand in for the relay's.
  const child = spawn(
    "nice",
    ["-n", "10", process.execPath, RUNNER, name, url, String(ATTACK_SECONDS), hex(bob.account.userId), hex(bobToken)],
    {
      stdio: ["ignore", "pipe", "inherit"],
    },
  );
  let out = "";
  child.stdout.on("data", (d) => {
    out += d;
  });
  const killer = setTimeout(() => child.kill("SIGKILL"), (ATTACK_SECONDS + 60) * 1000);
  return new Promise((resolve) => {
    child.once("exit", () => {
      clearTimeout(killer);
      try {
        resolve(JSON.parse(out.trim().split("\n").at(-1)));
      } catch {
        resolve({ error: "attack process gave no result" });
      }
    });
  });
}

async function main() {
  const dataDir = mkdtempSync(join(tmpdir(), "parley-attack-"));
  // --profile=DIR: the relay writes a CPU profile there (stopped with SIGINT at the end).
  const relay = await startRelay(dataDir, [], args.profile ? ["--cpu-prof", `--cpu-prof-dir=${args.profile}`] : [], args["relay-bin"]);
  const pid = relay.child.pid;
  const report = {
    relayBin: args["relay-bin"] ?? "packages/relay/dist/bin.js",
    machine: machineInfo(),
    versions: {
      ws: packageVersion("ws", join(ROOT, "packages/relay")),
      msgpackr: packageVersion("msgpackr", join(ROOT, "packages/protocol")),
    },
    attackSeconds: ATTACK_SECONDS,
    phases: [],
  };
  try {
    const alice = newIdentity();
    const bob = newIdentity();
    // Register both, and give Bob a delivery token the sealed flood (a contact gone rogue) knows.
    const bobToken = deps.crypto.randomBytes(32);
    for (const who of [alice, bob]) {
      const c = await readingDevice(relay.url, who, () => {}, { register: true });
      if (who === bob) await c.request({ t: "set_delivery_token", tokenHash: deps.crypto.sha256(bobToken), open: false });
      c.terminate();
    }
    const pair = await honestPair(relay.url, alice, bob);
    const only = args.only?.split(",");
    const phases = [
      ["baseline (no attack)", () => sleep(4000)],
      ["1 decode bomb: 24 conns × 90k-map pings", () => runAttack("decode", relay.url, bob, bobToken)],
      ["2 non-readers: 8 paused devices, 8 senders of 90 KB", () => runAttack("nonReaders", relay.url, bob, bobToken)],
      ["3 flood: 1 account + 4 sealed conns → Bob", () => runAttack("flood", relay.url, bob, bobToken)],
    ];
    for (const [name, run] of phases.filter(([n], i) => !only || i === 0 || only.some((o) => n.startsWith(o)))) {
      let peak = 0;
      const sampler = setInterval(() => {
        peak = Math.max(peak, rssMiB(pid));
      }, 100);
      const started = performance.now();
      const attack = await run();
      const ended = performance.now();
      // Round trips are counted in the phase they started in; wait for the last one to end.
      await pair.idle();
      clearInterval(sampler);
      const inPhase = (t) => t >= started && t < ended;
      const rtts = pair.samples
        .filter((s) => inPhase(s.startedAt))
        .map((s) => s.ms)
        .sort((a, b) => a - b);
      const phase = {
        name,
        seconds: Number(((ended - started) / 1000).toFixed(1)),
        roundTrips: rtts.length,
        p50ms: Number(percentile(rtts, 0.5).toFixed(1)),
        p99ms: Number(percentile(rtts, 0.99).toFixed(1)),
        maxms: Number((rtts.at(-1) ?? Number.NaN).toFixed(1)),
        honestFailures: pair.failures.filter(inPhase).length,
        rssPeakMiB: Number(peak.toFixed(1)),
        rssEndMiB: Number(rssMiB(pid).toFixed(1)),
        attack,
      };
      report.phases.push(phase);
      console.log(
        `${name.padEnd(52)} rtt p50 ${String(phase.p50ms).padStart(6)} ms  p99 ${String(phase.p99ms).padStart(6)} ms  ` +
          `n=${phase.roundTrips} fail=${phase.honestFailures}  rss peak ${phase.rssPeakMiB} MiB end ${phase.rssEndMiB} MiB`,
      );
      console.log(`    ${JSON.stringify(attack)}`);
      await sleep(1000);
    }
    await pair.stop();
  } finally {
    if (args.profile) {
      relay.child.kill("SIGINT");
      await new Promise((r) => relay.child.once("exit", r));
    }
    relay.child.kill("SIGKILL");
    rmSync(dataDir, { recursive: true, force: true });
  }
  const worst = Math.max(...report.phases.map((p) => p.p99ms));
  report.verdict = worst < P99_TARGET_MS ? `honest p99 < ${P99_TARGET_MS} ms in every phase` : `honest p99 reached ${worst} ms`;
  console.log(report.verdict);
  console.log(JSON.stringify({ machine: report.machine, versions: report.versions }));
  if (args.json) writeFileSync(args.json, `${JSON.stringify(report, null, 2)}\n`);
}

await main();
process.exit(0);
