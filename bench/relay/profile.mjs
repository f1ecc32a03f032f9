// Where the relay's CPU goes under the throughput load: reads the V8 profile written by the relay
// process (`node --cpu-prof`) and attributes every sample to a cause by walking up its stack
// (SQLite commits vs statements, per store operation; msgpack; frame validation; ws; sockets;
// GC; …). Also lists the top self-time functions, through the shared bench/lib/cpuprofile.mjs.
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { summariseProfile, topSelfRows } from "../lib/cpuprofile.mjs";
import { markdownTable } from "../lib/table.mjs";

const STORE_JS = fileURLToPath(new URL("../../packages/relay/dist/store/sqlite-store.js", import.meta.url));

/** Store operations, found by their line in the built sqlite-store.js (the store's arrow functions are anonymous). */
function storeOperationLines() {
  const lines = readFileSync(STORE_JS, "utf8").split("\n");
  const lineOf = (needle) => lines.findIndex((l) => l.includes(needle));
  return new Map(
    [
      ["enqueue: (", "send batch (enqueue)"],
      ["enqueueReporting: (", "send batch (enqueue)"],
      ["ack: (", "ack batch (delete + remember id, by seq)"],
      ["fetchMessages: (", "delivery fetch (pump)"],
      ["enqueueMany: (", "multi_send fan-out (enqueueMany)"],
    ]
      .map(([needle, label]) => [lineOf(needle), label])
      .filter(([line]) => line >= 0),
  );
}

/** Owners of code, matched on a frame's script URL; the nearest owned frame of a stack names its cause. */
const OWNERS = [
  [(url) => url.includes("msgpackr"), "msgpack encode/decode (msgpackr)"],
  [(url) => url.includes("protocol/dist/wire"), "frame validation and copies (protocol wire codec)"],
  [(url) => url.includes("/ws/lib/"), "ws (frame parsing, serialisation, socket writes' JS side)"],
  [(url) => url.includes("prom-client"), "metrics (prom-client)"],
  [(url) => url.includes("pino"), "logging (pino)"],
  [(url) => url.includes("relay/dist/"), "relay JS (handlers, delivery pump, batching, hex keys)"],
  [(url) => url.includes("bench/relay/"), "bare forwarder JS"],
];
const START_UP = /^node:internal\/(modules|bootstrap|main|process\/pre_execution)/;

/**
 * The cause of one stack (leaf first). Native addon calls (better-sqlite3's run/get/all) are
 * not frames of their own in a V8 profile: their time is the calling JS function's self time,
 * so self time in better-sqlite3's `sqliteTransaction` is BEGIN + COMMIT (the WAL write and
 * fsync), and self time in the store's functions is the statements they run. Node internals
 * (TextDecoder, Buffer#toString, stream plumbing) count for the nearest owned caller.
 */
function classify(stack, storeLines) {
  const leaf = stack[0];
  const name = leaf.callFrame.functionName;
  if (name === "(garbage collector)") return "garbage collector";
  if (name === "(program)") return "(program): native code outside JS (libuv, syscalls, V8)";
  if (stack.some((n) => START_UP.test(n.callFrame.url))) return "process start-up (module loading; once, not per message)";
  if (name === "writev" || name === "writeBuffer" || name === "writeUtf8String") return "socket writes (writev syscalls, one per frame)";
  if (name === "runMicrotasks") return "promise machinery (microtask queue)";
  const storeFrame = stack.find((n) => n.callFrame.url.includes("relay/dist/store/sqlite-store") && storeLines.has(n.callFrame.lineNumber));
  const storeOp = storeFrame ? storeLines.get(storeFrame.callFrame.lineNumber) : "other store call";
  if (name === "sqliteTransaction") return `SQLite BEGIN/COMMIT (WAL write + fsync): ${storeOp}`;
  const nearestSql = stack.find((n) => n.callFrame.url.includes("better-sqlite3") || n.callFrame.url.includes("relay/dist/store/"));
  const nearestOwned = stack.find((n) => OWNERS.some(([test]) => test(n.callFrame.url)));
  if (nearestSql && (!nearestOwned || stack.indexOf(nearestSql) <= stack.indexOf(nearestOwned)))
    return `SQLite statements + row conversion: ${storeOp}`;
  if (nearestOwned) return OWNERS.find(([test]) => test(nearestOwned.callFrame.url))[1];
  return "other (Node internals: timers, event loop, streams)";
}

/** Self time per cause: `[{ cause, ms }]`, largest first, over busy (non-idle) samples; `busyMs` leaves out start-up. */
export function causes(profile) {
  const storeLines = storeOperationLines();
  const byId = new Map(profile.nodes.map((node) => [node.id, node]));
  const parent = new Map();
  for (const node of profile.nodes) for (const child of node.children ?? []) parent.set(child, node.id);
  const causeOf = new Map();
  const totals = new Map();
  let busyMs = 0;
  for (let i = 0; i < profile.samples.length; i++) {
    const id = profile.samples[i];
    const leaf = byId.get(id);
    if (leaf.callFrame.functionName === "(idle)") continue;
    let cause = causeOf.get(id);
    if (cause === undefined) {
      const stack = [];
      for (let at = id; at !== undefined; at = parent.get(at)) stack.push(byId.get(at));
      cause = classify(stack, storeLines);
      causeOf.set(id, cause);
    }
    const ms = (profile.timeDeltas[i + 1] ?? profile.timeDeltas[i] ?? 0) / 1000;
    if (!cause.startsWith("process start-up")) busyMs += ms;
    totals.set(cause, (totals.get(cause) ?? 0) + ms);
  }
  return { busyMs, rows: [...totals].map(([cause, ms]) => ({ cause, ms })).sort((a, b) => b.ms - a.ms) };
}

/** The newest .cpuprofile in `dir`. */
export function readProfile(dir) {
  const files = readdirSync(dir).filter((f) => f.endsWith(".cpuprofile"));
  if (files.length === 0) throw new Error(`no .cpuprofile written in ${dir}`);
  return JSON.parse(readFileSync(join(dir, files.sort().at(-1)), "utf8"));
}

const STARTUP_PREFIX = "process start-up";
const LABELS = { relay: "relay", bare: "bare" };

/**
 * Markdown for the profiled runs: causes side by side in µs of main-thread time per delivered
 * message, then the relay's top self-time functions in its throughput run.
 *
 * @param runs `{ [key]: { kind, phase, profile, run } }` (run = the phase's result)
 */
export function profileMarkdown(runs) {
  const keys = Object.keys(runs);
  const analysed = Object.fromEntries(keys.map((k) => [k, causes(runs[k].profile)]));
  const msOf = (key, cause) => analysed[key].rows.find((r) => r.cause === cause)?.ms;
  const perMessage = (key, ms) => (ms === undefined ? "" : ((1000 * ms) / runs[key].run.delivered).toFixed(1));
  const share = (key, ms) => (ms === undefined ? "" : `${((100 * ms) / analysed[key].busyMs).toFixed(0)} %`);
  const order = [];
  for (const key of keys) for (const r of analysed[key].rows) if (!order.includes(r.cause)) order.push(r.cause);
  const startUp = order.find((c) => c.startsWith(STARTUP_PREFIX));
  const rows = order
    .filter((c) => c !== startUp)
    .map((cause) => [cause, ...keys.flatMap((k) => [perMessage(k, msOf(k, cause)), share(k, msOf(k, cause))])]);
  rows.push(["**main thread, total (start-up excluded)**", ...keys.flatMap((k) => [`**${perMessage(k, analysed[k].busyMs)}**`, "100 %"])]);
  if (startUp) rows.push([startUp, ...keys.flatMap((k) => [`(${((msOf(k, startUp) ?? 0) / 1000).toFixed(2)} s)`, ""])]);
  const column = (k) => `${LABELS[runs[k].kind]} ${runs[k].phase}`;
  const describe = (k) => {
    const { run, phase } = runs[k];
    const rate =
      phase === "throughput"
        ? `${Math.round(run.deliveredPerSecond).toLocaleString("en-US")}/s in its window`
        : `p99 ${run.p99?.toFixed(1)} ms`;
    return `${column(k)}: ${run.delivered.toLocaleString("en-US")} messages (${rate}), ${(analysed[k].busyMs / 1000).toFixed(1)} s main-thread time, server CPU ${Math.round(100 * run.serverCpuShare)} % of a core`;
  };
  const relayKey = keys.find((k) => runs[k].kind === "relay" && runs[k].phase === "throughput");
  const parts = [
    "### Where the time goes (profiles of extra runs, `node --cpu-prof` on the server process)",
    `One more run per column, profiled from start to exit (${keys.map(describe).join("; ")}). Each sample's self time is attributed to a cause by walking up its stack; cells are µs of main-thread time per delivered message and the share of the run's main-thread time. Main-thread time is wall time the thread was not idle: it includes time blocked in fsync and time the process waited for a CPU, which is why it can exceed the CPU share. SQLite rows are split by store operation; "BEGIN/COMMIT" is the native COMMIT statement (the WAL write and its fsync); a native addon call's time is its JS caller's self time.`,
    markdownTable(["cause (self time)", ...keys.flatMap((k) => [`${column(k)} µs/msg`, "share"])], rows),
  ];
  if (relayKey) {
    const summary = summariseProfile(runs[relayKey].profile);
    const top = topSelfRows(
      { ...summary, functions: summary.functions.filter((f) => f.name !== "(idle)"), totalMs: analysed[relayKey].busyMs },
      { top: 15, ops: runs[relayKey].run.delivered },
    );
    parts.push(
      `Relay throughput run, top functions by self time:\n\n${markdownTable(["function (self time)", "location", "ms", "share", "µs/message"], top)}`,
    );
  }
  return parts.join("\n\n");
}
