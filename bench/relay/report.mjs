// Turns the relay benchmark's rounds into Markdown: the same text goes to stdout and, between the
// `bench:relay` markers, into BENCHMARKS.md. Only that block is ever rewritten, in one synchronous
// read-modify-write, because other generators rewrite other blocks of the same file.
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { median, spread } from "../lib/harness.mjs";
import { formatRate, formatRatio, formatSpread, markdownTable } from "../lib/table.mjs";
import { ENVELOPE_BYTES, IDLE, LATENCY, RELAY_LIMITS, TARGETS, THROUGHPUT } from "./config.mjs";

export const BEGIN_MARKER = "<!-- bench:relay:begin -->";
export const END_MARKER = "<!-- bench:relay:end -->";
export const SERVERS = { relay: "Parley relay", bare: "bare ws forwarder" };

const kb = (bytes) => (bytes === undefined ? "n/a" : `${(bytes / 1000).toFixed(1)} KB`);
const ms = (value) => (value === undefined || Number.isNaN(value) ? "n/a" : `${value.toFixed(value < 10 ? 2 : 1)} ms`);
const pct = (share) => `${Math.round(share * 100)} %`;
const verdict = (met) => (met ? "✅ met" : "❌ missed");

/** Median and relative spread of one field over a server's rounds. */
export function summary(rounds, kind, phase, field) {
  const values = rounds.map((r) => r[kind][phase][field]).filter((v) => typeof v === "number" && Number.isFinite(v));
  return values.length === 0 ? { median: undefined, spread: undefined } : { median: median(values), spread: spread(values) };
}

/** The verdicts on the targets, from medians. */
export function judge(rounds) {
  const s = (kind, phase, field) => summary(rounds, kind, phase, field).median;
  const allOpen = rounds.every((r) => r.relay.idle.allOpen);
  const ratio = s("relay", "throughput", "deliveredPerSecond") / s("bare", "throughput", "deliveredPerSecond");
  return {
    idle: allOpen && rounds.every((r) => r.relay.idle.connections >= TARGETS.idleConnections),
    memory: s("relay", "idle", "bytesPerConnection") <= TARGETS.bytesPerConnection,
    throughput: ratio >= TARGETS.throughputRatio,
    throughputRatio: ratio,
    latency: s("relay", "latency", "p99") < TARGETS.p99Ms && rounds.every((r) => !r.relay.latency.overloaded),
  };
}

function headerSection({ machine, versions, fsync, loadBefore, loadAfter, openFiles, rounds, seconds, relayBin, storeUrl }) {
  const others = rounds.flatMap((r) => r.order.flatMap((k) => [r[k].throughput.otherCpuShare, r[k].latency.otherCpuShare]));
  const worst = Math.max(...others);
  const busy = loadBefore[0] >= machine.cores / 2 || worst >= 0.25;
  return [
    ...(storeUrl ? [`- **Relay store**: \`--store ${storeUrl.replace(/:[^:@/]*@/, ":***@")}\` (not SQLite)`] : []),
    ...(relayBin ? [`- ⚠ **Relay build under test**: \`${relayBin}\`, not the repository's packages/relay/dist/bin.js`] : []),
    `- **Date**: ${machine.date}; whole run ${Math.round(seconds)} s`,
    `- **Machine**: ${machine.cpu}, ${machine.cores} cores, ${machine.memoryGiB} GiB, ${machine.os}; data directory on ${fsync.filesystem}`,
    `- **Versions**: Node ${machine.node}, \`ws\` ${versions.ws}, \`better-sqlite3\` ${versions.betterSqlite3} (SQLite ${versions.sqlite}), \`msgpackr\` ${versions.msgpackr}, \`@parley/relay\` ${versions.relay} (sources at commit ${versions.source?.commit ?? "unknown"}${versions.source?.dirty ? " plus uncommitted changes" : ""})`,
    `- **Other load**: load average (1/5/15 min) ${loadBefore.join(" / ")} before, ${loadAfter.join(" / ")} after (the latter includes this run); other processes used at most ${pct(worst)} of a core during any timed window, median ${pct(median(others))}${busy ? " — ⚠ the machine was shared: absolute numbers are noisy; the ratios, taken round by round in turns, are the steadier part" : ""}`,
    `- **fsync floor**: a one-row SQLite transaction (WAL, synchronous=FULL) on this disk commits in ${ms(fsync.p50)} p50, ${ms(fsync.p90)} p90`,
    `- **Open files**: the bench asks for \`ulimit -n 65536\` inside its child shells only; granted ${openFiles.server} to the servers and ${openFiles.load} to the load generator${openFiles.server < 65_536 ? " (the container's hard limit; enough for the connections measured)" : ""}`,
    `- **Method**: ${rounds.length} rounds; in each, both servers run every metric, in turns (relay first in even rounds), each in a fresh process; medians reported with ± half the min–max range. Load generator: one separate Node process, same logic for both servers, ${ENVELOPE_BYTES}-byte envelopes, one message per send frame, recipients acknowledge what they received once per event-loop turn. Loopback only.`,
  ].join("\n");
}

function definitionsSection() {
  const limits = Object.entries(RELAY_LIMITS)
    .map(([name, value]) => `\`${name}=${value}\``)
    .join(", ");
  return [
    `- **Servers**: *Parley relay* = the built \`parley-relay\` bin (\`packages/relay/dist/bin.js --log-level warn\`) on a temporary data directory: real SQLite, WAL, \`synchronous=FULL\`, so a send is answered only after its group commit is fsync'd; frames are msgpack, logins are real Ed25519 challenge signatures of registered devices. *bare ws forwarder* = \`bench/relay/bare-forwarder.mjs\`: a \`ws\` server that forwards each send frame as is to the addressed connection and answers the sender at once; no storage, no validation, no login. Both run under \`node --expose-gc --require bench/relay/gc-on-signal.cjs\` (SIGUSR2 → gc(), for the memory readings).`,
    `- **Relay limits raised** (\`--limit\`; one load generator plays thousands of clients from 8 addresses): ${limits}.`,
    `- **idle connections held**: ${IDLE.connections.toLocaleString("en-US")} connections opened from 127.0.0.2–127.0.0.${1 + IDLE.sourceAddresses} (relay: each logged in as its own registered device — accounts, certificates and device lists registered once in an untimed setup; bare: each registered its address), held idle ${IDLE.holdMs / 1000} s; "held" = open on the client and counted by the server at the end, none closed meanwhile.`,
    `- **memory per connection**: server VmRSS after holding them minus VmRSS before opening, each read ${IDLE.gcSettleMs / 1000} s after a forced full GC, divided by the connection count.`,
    `- **delivered messages/s**: ${THROUGHPUT.pairs} senders → ${THROUGHPUT.pairs} recipients (pairs), each sender keeps ${THROUGHPUT.window} sends unanswered (relay: answered after the durable commit; bare: at once); messages received by recipients per second over a ${THROUGHPUT.windowMs / 1000} s window after ${THROUGHPUT.warmupMs / 1000} s warm-up. Afterwards every sent message id must have arrived exactly once, at the right recipient.`,
    `- **latency**: ${LATENCY.ratePerSecond.toLocaleString("en-US")} msg/s offered on a schedule (open loop, round robin over ${LATENCY.pairs} senders) for ${LATENCY.durationMs / 1000} s, the first ${LATENCY.warmupMs / 1000} s discarded; latency = recipient's receipt − sender's send, same process and clock. Exactly-once checked as above.`,
  ].join("\n");
}

function resultsSection(rounds) {
  const s = (kind, phase, field) => summary(rounds, kind, phase, field);
  const cell = (kind, phase, field, format) => {
    const { median: m, spread: sp } = s(kind, phase, field);
    return m === undefined ? "n/a" : `${format(m)} ${formatSpread(sp)}`;
  };
  const held = (kind) => {
    const worst = Math.min(...rounds.map((r) => (r[kind].idle.allOpen ? r[kind].idle.stillOpen : 0)));
    return `${worst.toLocaleString("en-US").replaceAll(",", " ")} of ${rounds[0][kind].idle.connections.toLocaleString("en-US").replaceAll(",", " ")}`;
  };
  const j = judge(rounds);
  const ratioOf = (phase, field) => formatRatio(s("relay", phase, field).median / s("bare", phase, field).median);
  const perRound = rounds.map((r) => r.relay.throughput.deliveredPerSecond / r.bare.throughput.deliveredPerSecond);
  const rows = [
    [
      "idle connections held 10 s (fewest in any round)",
      `≥ ${TARGETS.idleConnections.toLocaleString("en-US")}`,
      held("relay"),
      held("bare"),
      "",
      verdict(j.idle),
    ],
    [
      "server memory per idle connection",
      "≤ 20 KB",
      cell("relay", "idle", "bytesPerConnection", kb),
      cell("bare", "idle", "bytesPerConnection", kb),
      ratioOf("idle", "bytesPerConnection"),
      verdict(j.memory),
    ],
    [
      "delivered messages/s",
      "relay ≥ 0.5× bare",
      cell("relay", "throughput", "deliveredPerSecond", formatRate),
      cell("bare", "throughput", "deliveredPerSecond", formatRate),
      `${formatRatio(j.throughputRatio)} (rounds ${perRound.map((r) => r.toFixed(2)).join(", ")})`,
      verdict(j.throughput),
    ],
    [
      "p50 latency at 2,000 msg/s",
      "",
      cell("relay", "latency", "p50", ms),
      cell("bare", "latency", "p50", ms),
      ratioOf("latency", "p50"),
      "",
    ],
    [
      "p90 latency at 2,000 msg/s",
      "",
      cell("relay", "latency", "p90", ms),
      cell("bare", "latency", "p90", ms),
      ratioOf("latency", "p90"),
      "",
    ],
    [
      "p99 latency at 2,000 msg/s",
      "< 50 ms",
      cell("relay", "latency", "p99", ms),
      cell("bare", "latency", "p99", ms),
      ratioOf("latency", "p99"),
      verdict(j.latency),
    ],
    [
      "max latency at 2,000 msg/s",
      "",
      cell("relay", "latency", "max", ms),
      cell("bare", "latency", "max", ms),
      ratioOf("latency", "max"),
      "",
    ],
  ];
  const met = [j.idle, j.memory, j.throughput, j.latency].filter(Boolean).length;
  return `### Results (median of ${rounds.length} rounds, ± half the min–max range)\n\n${markdownTable(
    ["metric", "target", SERVERS.relay, SERVERS.bare, "relay ÷ bare", "verdict"],
    rows,
    ["l", "r", "r", "r", "r", "r"],
  )}\n\nTargets apply to the relay: ${met} of 4 met.`;
}

function roundsSection(rounds) {
  const rows = [];
  rounds.forEach((round, i) => {
    for (const kind of round.order) {
      const { throughput: t, latency: l, idle: d } = round[kind];
      rows.push([
        String(i + 1),
        SERVERS[kind],
        formatRate(t.deliveredPerSecond),
        `${pct(t.serverCpuShare)} / ${pct(t.loadCpuShare)} / ${pct(t.otherCpuShare)}`,
        `${ms(l.p50)} / ${ms(l.p99)} / ${ms(l.max)}`,
        formatRate(l.offeredPerSecond),
        `${pct(l.serverCpuShare)} / ${pct(l.loadCpuShare)} / ${pct(l.otherCpuShare)}`,
        `${kb(d.bytesPerConnection)} (${(d.rssBefore / 2 ** 20).toFixed(0)} → ${(d.rssAfter / 2 ** 20).toFixed(0)} MiB)`,
        `${d.stillOpen}/${d.connections} in ${d.openSeconds.toFixed(1)} s`,
        t.exactlyOnce && l.exactlyOnce ? `✅ ${(t.sent + l.sent).toLocaleString("en-US")}` : "❌",
      ]);
    }
  });
  return `### Every round\n\nCPU columns (throughput window, then latency phase): cores' worth of CPU used by the server / the load generator / everything else on the machine (other processes; from /proc/stat), out of 2 cores. A large third number means the round competed with other work. "exactly once": every message id sent in the round's throughput and latency phases arrived once, at its recipient (count of messages checked).\n\n${markdownTable(
    [
      "round",
      "server",
      "delivered/s",
      "CPU srv / load / other",
      "latency p50 / p99 / max",
      "offered/s",
      "CPU srv / load / other",
      "memory per connection (RSS)",
      "idle open",
      "exactly once",
    ],
    rows,
    ["r", "l", "r", "r", "r", "r", "r", "r", "r", "r"],
  )}`;
}

function relayInsideSection(rounds) {
  const rows = [];
  rounds.forEach((round, i) => {
    for (const [phase, label, seconds] of [
      ["throughput", "throughput window", (r) => r.windowSeconds],
      ["latency", "latency, 2,000 msg/s", (r) => r.sendSeconds],
    ]) {
      const result = round.relay[phase];
      const a = result.relay;
      if (!a || a.commitBatches === 0) continue;
      const wall = seconds(result);
      rows.push([
        String(i + 1),
        label,
        formatRate(a.commitBatches / wall),
        (a.committedMessages / a.commitBatches).toFixed(1),
        ms((1000 * a.commitSeconds) / a.commitBatches),
        pct(a.commitSeconds / wall),
        formatRate(a.ackFrames / wall),
      ]);
    }
  });
  return `### Inside the relay (its own /metrics, read before and after each phase)\n\n"send commits": group commits of \`send\` batches (one transaction and one fsync each; \`parley_commit_*\`); ack batches are committed separately (one more transaction and fsync per event-loop turn with acks) and are not in the relay's metrics, only their frames are.\n\n${markdownTable(
    [
      "round",
      "phase",
      "send commits/s",
      "messages per commit",
      "time per commit (statements + fsync)",
      "main thread in send commits",
      "ack frames/s",
    ],
    rows,
  )}`;
}

/** The whole Markdown block. */
export function renderReport(results) {
  return [
    "## Relay: Parley relay vs a bare ws forwarder",
    "`npm run bench:relay` (about 5 minutes) runs the relay and a bare `ws` forwarder side by side, in turns, against one load generator in a second process; `npm run bench:relay -- --help` lists the options. Everything in this block is regenerated by every run; the analysis at its end is hand-written (`bench/relay/ANALYSIS.md`, dated) and included as is.",
    headerSection(results),
    definitionsSection(),
    resultsSection(results.rounds),
    roundsSection(results.rounds),
    relayInsideSection(results.rounds),
    results.profile ?? "",
    results.analysis ?? "",
  ]
    .filter(Boolean)
    .join("\n\n");
}

/**
 * Replaces the `bench:relay` block of `path`, or appends the block at the end when the file has
 * none. One synchronous read and write, nothing outside the markers touched.
 */
export function writeReport(path, markdown) {
  const current = existsSync(path) ? readFileSync(path, "utf8") : "# Benchmarks\n";
  const begin = current.indexOf(BEGIN_MARKER);
  const end = current.indexOf(END_MARKER);
  if (begin >= 0 && end > begin) {
    writeFileSync(path, `${current.slice(0, begin + BEGIN_MARKER.length)}\n${markdown}\n${current.slice(end)}`);
  } else if (begin < 0 && end < 0) {
    writeFileSync(path, `${current.replace(/\n*$/, "\n")}\n${BEGIN_MARKER}\n${markdown}\n${END_MARKER}\n`);
  } else {
    throw new Error(`${path} has a broken bench:relay block (one marker without the other); fix it by hand`);
  }
}
