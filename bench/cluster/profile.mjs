// Where the relay nodes' CPU time goes (`npm run bench:cluster -- --profile=DIR`): each node of
// lb-1 and lb-3 ran under `node --cpu-prof`; their profiles are summed per set-up, self time is
// put into coarse categories by package and relay folder, and shown in µs per delivered message,
// so one node and three nodes compare directly.
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { summariseProfile } from "../lib/cpuprofile.mjs";
import { markdownTable } from "../lib/table.mjs";

/** Categories of self time, first match wins; everything else is "other". */
const CATEGORIES = [
  ["idle (waiting for I/O)", (f) => f.name === "(idle)"],
  ["garbage collector", (f) => f.name === "(garbage collector)"],
  ["pg driver (queries, protocol parsing)", (f) => /^pg(-[a-z-]+)?\//.test(f.location)],
  ["ioredis (bus)", (f) => /^(ioredis|redis-parser|@ioredis)\//.test(f.location)],
  ["ws (WebSocket framing)", (f) => f.location.startsWith("ws/")],
  ["msgpackr (frame coding)", (f) => f.location.startsWith("msgpackr")],
  ["relay: store (PostgreSQL statements, rows)", (f) => f.location.startsWith("relay/dist/store/")],
  ["relay: cluster (bus messages, claims, quotas)", (f) => f.location.startsWith("relay/dist/cluster/")],
  ["relay: delivery (pumps, live devices, batches)", (f) => f.location.startsWith("relay/dist/delivery/")],
  ["relay: handlers and connections", (f) => f.location.startsWith("relay/dist/")],
  ["protocol (login signatures, frame checks)", (f) => f.location.startsWith("protocol/dist/")],
  ["pino / prom-client", (f) => /^(pino|prom-client|sonic-boom)/.test(f.location)],
  ["Node internals (net, streams, timers)", (f) => f.location.startsWith("node:")],
  ["native / (program)", (f) => f.name === "(program)" || f.location === "(native)"],
];

/** Self ms per category over every profile in `dir`. */
function categoriesOf(dir) {
  const totals = new Map();
  let files = 0;
  for (const file of readdirSync(dir).filter((f) => f.endsWith(".cpuprofile"))) {
    files++;
    const summary = summariseProfile(JSON.parse(readFileSync(join(dir, file), "utf8")));
    for (const f of summary.functions) {
      const category = CATEGORIES.find(([, test]) => test(f))?.[0] ?? "other";
      totals.set(category, (totals.get(category) ?? 0) + f.selfMs);
    }
  }
  return { totals, files };
}

/** The Markdown comparison of lb-1 and lb-3 profiles under `profileDir`. */
export function renderProfiles(profileDir, samples) {
  const setups = ["lb-1", "lb-3"].filter((s) => samples[s]?.[0]);
  const per = Object.fromEntries(setups.map((s) => [s, categoriesOf(join(profileDir, s))]));
  const delivered = Object.fromEntries(setups.map((s) => [s, samples[s][0].deliveredWhileRunning]));
  const names = [...new Set(setups.flatMap((s) => [...per[s].totals.keys()]))];
  const busy = (s) => [...per[s].totals].filter(([c]) => !c.startsWith("idle")).reduce((a, [, ms]) => a + ms, 0);
  names.sort((a, b) => (per["lb-3"]?.totals.get(b) ?? 0) - (per["lb-3"]?.totals.get(a) ?? 0));
  const us = (s, ms) => ((1000 * ms) / delivered[s]).toFixed(1);
  const rows = names.filter((c) => !c.startsWith("idle")).map((c) => [c, ...setups.flatMap((s) => [us(s, per[s].totals.get(c) ?? 0)])]);
  rows.push(["**busy total**", ...setups.map((s) => `**${us(s, busy(s))}**`)]);
  const header = ["self time, µs per delivered message", ...setups.map((s) => `${s} (${per[s].files} node${per[s].files > 1 ? "s" : ""})`)];
  return [
    `Profiles of every node over both phases (${setups.map((s) => `${s}: ${delivered[s]} messages delivered`).join("; ")}):`,
    "",
    markdownTable(header, rows),
  ].join("\n");
}
