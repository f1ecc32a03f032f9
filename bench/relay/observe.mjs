// What the load generator reads about a server while it drives it, without touching it: CPU time
// and memory from /proc/<pid>, the relay's Prometheus counters and the bare forwarder's /stats.
import { execFileSync } from "node:child_process";
import { readFileSync } from "node:fs";

const CLOCK_TICKS = Number(execFileSync("getconf", ["CLK_TCK"]).toString().trim()) || 100;

/** CPU seconds (user + system) a process has used, from /proc/<pid>/stat. */
export function cpuSeconds(pid) {
  const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
  // Fields after the command name (which may contain spaces) start at ") ".
  const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  return (Number(fields[11]) + Number(fields[12])) / CLOCK_TICKS;
}

/** CPU seconds all processes on the machine have used (user, nice, system, irq, softirq, summed over CPUs), from /proc/stat. */
export function machineBusySeconds() {
  const fields = readFileSync("/proc/stat", "utf8").split("\n")[0].trim().split(/\s+/).slice(1).map(Number);
  const [user, nice, system, , , irq, softirq] = fields;
  return (user + nice + system + irq + softirq) / CLOCK_TICKS;
}

/** CPU seconds this process has used. */
export function ownCpuSeconds() {
  const { user, system } = process.cpuUsage();
  return (user + system) / 1e6;
}

/** VmRSS of a process in bytes. */
export function rssBytes(pid) {
  const match = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, "utf8"));
  if (!match) throw new Error(`no VmRSS for pid ${pid}`);
  return Number(match[1]) * 1024;
}

/** Sample values of a Prometheus text page, keyed by `name{labels}` as printed. */
export async function scrapeMetrics(url) {
  const text = await (await fetch(url)).text();
  const values = new Map();
  for (const line of text.split("\n")) {
    if (line.startsWith("#") || line.trim() === "") continue;
    const at = line.lastIndexOf(" ");
    values.set(line.slice(0, at), Number(line.slice(at + 1)));
  }
  return values;
}

/** The relay's commit and frame counters at one moment (for differences over a window). */
export async function relayCounters(httpUrl) {
  const m = await scrapeMetrics(`${httpUrl}/metrics`);
  return {
    commitBatches: m.get("parley_commit_batch_size_count") ?? 0,
    committedMessages: m.get("parley_commit_batch_size_sum") ?? 0,
    commitSeconds: m.get("parley_commit_duration_seconds_sum") ?? 0,
    ackFrames: m.get('parley_frames_received_total{type="ack"}') ?? 0,
    connections: m.get("parley_connections") ?? 0,
    authenticated: m.get("parley_authenticated_devices") ?? 0,
  };
}

/** What the relay did between two `relayCounters` readings. */
export function relayActivity(start, end) {
  if (!start || !end) return undefined;
  return {
    commitBatches: end.commitBatches - start.commitBatches,
    committedMessages: end.committedMessages - start.committedMessages,
    commitSeconds: end.commitSeconds - start.commitSeconds,
    ackFrames: end.ackFrames - start.ackFrames,
  };
}

/** The bare forwarder's connection counts. */
export async function bareCounters(httpUrl) {
  const stats = await (await fetch(`${httpUrl}/stats`)).json();
  return { connections: stats.connections, authenticated: stats.registered };
}

/** The q-quantile (0..1) of an ascending sorted typed array (nearest rank). */
export function quantile(sorted, q) {
  if (sorted.length === 0) return undefined;
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1))];
}

export const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));
