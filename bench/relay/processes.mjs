// Child processes of the relay benchmark: every server and the load generator is started through
// `bash -c 'ulimit -n … && exec node …'` (the open-files limit is raised for these processes
// only, never system-wide), tracked, and killed when the run ends, however it ends.
import { spawn } from "node:child_process";
import { readFileSync } from "node:fs";
import { createInterface } from "node:readline";
import { fileURLToPath } from "node:url";
import { COMMAND_TIMEOUT_MS, OPEN_FILES } from "./config.mjs";

const ROOT = fileURLToPath(new URL("../..", import.meta.url));
export const RELAY_BIN = fileURLToPath(new URL("../../packages/relay/dist/bin.js", import.meta.url));
export const BARE_FORWARDER = fileURLToPath(new URL("./bare-forwarder.mjs", import.meta.url));
export const LOAD_GENERATOR = fileURLToPath(new URL("./load.mjs", import.meta.url));
/** Preloaded into both servers: SIGUSR2 runs gc(), so memory is read after a collection. */
const GC_PRELOAD = fileURLToPath(new URL("./gc-on-signal.cjs", import.meta.url));

const children = new Set();

/** Kills every child still running (SIGKILL: used on exit and on failure). Synchronous. */
export function killAll() {
  for (const child of children) {
    if (child.exitCode === null && child.signalCode === null) {
      try {
        child.kill("SIGKILL");
      } catch {
        // Already gone.
      }
    }
  }
  children.clear();
}
process.on("exit", killAll);
for (const signal of ["SIGINT", "SIGTERM"]) {
  process.once(signal, () => {
    killAll();
    process.exit(130);
  });
}

/**
 * Starts `node <nodeArgs…>` under a shell that first raises the soft open-files limit to
 * OPEN_FILES, or to the hard limit when that is lower (a container may forbid raising it).
 * `exec` replaces the shell, so the child's pid is node's.
 */
export function spawnNode(nodeArgs, { stdio = ["ignore", "pipe", "pipe"] } = {}) {
  const script = `ulimit -n ${OPEN_FILES} 2>/dev/null || ulimit -n "$(ulimit -Hn)"; exec "$0" "$@"`;
  const child = spawn("bash", ["-c", script, process.execPath, ...nodeArgs], { cwd: ROOT, stdio });
  children.add(child);
  const exited = new Promise((resolve) => child.once("exit", (code, signal) => resolve({ code, signal })));
  exited.then(() => children.delete(child));
  return { child, exited };
}

/** The soft open-files limit of a running process, from /proc/<pid>/limits. */
export function openFilesLimit(pid) {
  const line = readFileSync(`/proc/${pid}/limits`, "utf8")
    .split("\n")
    .find((l) => l.startsWith("Max open files"));
  return line ? Number(line.split(/\s{2,}/)[1]) : undefined;
}

/**
 * Starts one server and waits for its "listening on …:PORT" line.
 *
 * @param kind "relay" (the built parley-relay bin) or "bare" (bench/relay/bare-forwarder.mjs).
 * @param options `{ dataDir, limits, cpuProfileDir, relayBin, storeUrl }`; dataDir, limits, relayBin
 *   (another build of the relay, default packages/relay/dist/bin.js) and storeUrl (`--store`, e.g.
 *   a PostgreSQL URL; default SQLite in dataDir) apply to the relay.
 * @returns `{ kind, pid, port, url, stop(), exited, output() }`.
 */
export async function startServer(kind, { dataDir, limits = {}, cpuProfileDir, relayBin = RELAY_BIN, storeUrl } = {}) {
  const nodeFlags = ["--expose-gc", "--require", GC_PRELOAD];
  if (cpuProfileDir) nodeFlags.push("--cpu-prof", "--cpu-prof-dir", cpuProfileDir);
  const args =
    kind === "relay"
      ? [
          relayBin,
          "--host",
          "127.0.0.1",
          "--port",
          "0",
          "--data",
          dataDir,
          "--log-level",
          "warn",
          ...(storeUrl ? ["--store", storeUrl] : []),
          ...Object.entries(limits).flatMap(([name, value]) => ["--limit", `${name}=${value}`]),
        ]
      : [BARE_FORWARDER, "--host", "127.0.0.1", "--port", "0"];
  const { child, exited } = spawnNode([...nodeFlags, ...args]);
  let output = "";
  const collect = (d) => {
    output = (output + d.toString()).slice(-20_000);
  };
  child.stdout.on("data", collect);
  child.stderr.on("data", collect);
  const port = await new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`${kind} server did not start within 15 s: ${output}`)), 15_000);
    const check = () => {
      const match = /listening on https?:\/\/[^:\s]+:(\d+)/.exec(output);
      if (!match) return;
      clearTimeout(timer);
      child.stdout.off("data", check);
      resolve(Number(match[1]));
    };
    child.stdout.on("data", check);
    exited.then(({ code, signal }) => {
      clearTimeout(timer);
      reject(new Error(`${kind} server exited (${code ?? signal}) before listening: ${output}`));
    });
  });
  return {
    kind,
    pid: child.pid,
    port,
    url: `ws://127.0.0.1:${port}/`,
    httpUrl: `http://127.0.0.1:${port}`,
    exited,
    output: () => output,
    /** SIGTERM, then SIGKILL after `graceMs`; resolves with how it exited. */
    async stop(graceMs = 15_000) {
      if (child.exitCode !== null || child.signalCode !== null) return exited;
      child.kill("SIGTERM");
      const timer = setTimeout(() => child.kill("SIGKILL"), graceMs);
      const result = await exited;
      clearTimeout(timer);
      return result;
    },
  };
}

/** The load generator process and a request/answer channel to it. */
export function startLoadGenerator() {
  const { child, exited } = spawnNode([LOAD_GENERATOR], { stdio: ["pipe", "pipe", "inherit"] });
  const waiting = [];
  createInterface({ input: child.stdout }).on("line", (line) => waiting.shift()?.(JSON.parse(line)));
  exited.then(({ code, signal }) => {
    for (const resolve of waiting.splice(0)) resolve({ ok: false, error: `load generator exited (${code ?? signal})` });
  });
  return {
    pid: child.pid,
    /** Sends one command; resolves with its result or rejects with the generator's error. */
    request(command, timeoutMs = COMMAND_TIMEOUT_MS) {
      return new Promise((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`load generator: no answer to ${command.cmd} within ${timeoutMs} ms`)), timeoutMs);
        waiting.push((answer) => {
          clearTimeout(timer);
          if (answer.ok) resolve(answer.result);
          else reject(new Error(`load generator, ${command.cmd}: ${answer.error}`));
        });
        child.stdin.write(`${JSON.stringify(command)}\n`);
      });
    },
    stop() {
      child.stdin.end();
      return exited;
    },
  };
}
