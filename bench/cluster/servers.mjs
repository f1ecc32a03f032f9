// The servers of the cluster benchmark, all private to the run and killed when it ends: a
// PostgreSQL initialised into a temporary directory (default durability: fsync and synchronous
// commit on, as a production store), a Redis (nothing on disk), HAProxy run from
// packages/relay/deploy/haproxy.cfg with this run's ports, and relay nodes (the built bin, with
// the round-trip counting preload).
import { execFile, execFileSync, spawn } from "node:child_process";
import { chmodSync, chownSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { connect, createServer } from "node:net";
import { tmpdir, userInfo } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { RELAY_BIN, spawnNode } from "../relay/processes.mjs";

const run = promisify(execFile);
const HAPROXY_CFG = fileURLToPath(new URL("../../packages/relay/deploy/haproxy.cfg", import.meta.url));
const COUNTERS_PRELOAD = fileURLToPath(new URL("./counters-preload.cjs", import.meta.url));
const cleanups = [];
process.on("exit", () => {
  for (const cleanup of cleanups.splice(0).reverse()) cleanup();
});

/** A TCP port free a moment ago on 127.0.0.1. */
export function freePort() {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const { port } = server.address();
      server.close(() => resolve(port));
    });
  });
}

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

async function waitFor(what, check, ms) {
  const end = Date.now() + ms;
  for (;;) {
    if (await check().catch(() => false)) return;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await sleep(50);
  }
}

/** The newest PostgreSQL server binaries under /usr/lib/postgresql. */
function postgresBin() {
  const base = "/usr/lib/postgresql";
  const versions = existsSync(base) ? readdirSync(base).filter((v) => existsSync(join(base, v, "bin", "initdb"))) : [];
  versions.sort((a, b) => Number(b) - Number(a));
  if (!versions[0]) throw new Error("PostgreSQL server binaries not found under /usr/lib/postgresql/*/bin");
  return { bin: join(base, versions[0], "bin"), version: versions[0] };
}

/** Starts a private PostgreSQL; `{ url, port, version, stop() }`. */
export async function startPostgres() {
  const { bin, version } = postgresBin();
  const asRoot = userInfo().uid === 0;
  const dir = mkdtempSync(join(tmpdir(), "parley-bench-pg-"));
  const data = join(dir, "data");
  if (asRoot) {
    const [, , uid, gid] = readFileSync("/etc/passwd", "utf8")
      .split("\n")
      .find((l) => l.startsWith("postgres:"))
      .split(":");
    chownSync(dir, Number(uid), Number(gid));
  }
  chmodSync(dir, 0o700);
  const as = (tool, args) => (asRoot ? run("runuser", ["-u", "postgres", "--", join(bin, tool), ...args]) : run(join(bin, tool), args));
  const port = await freePort();
  await as("initdb", ["-D", data, "-A", "trust", "-U", "postgres", "-E", "UTF8", "--no-instructions"]);
  const options = `-p ${port} -k ${dir} -c listen_addresses=127.0.0.1 -c max_connections=300 -c shared_buffers=128MB`;
  await as("pg_ctl", ["-D", data, "-o", options, "-l", join(dir, "log"), "-w", "-t", "30", "start"]);
  const kill = () => {
    try {
      const pid = Number(readFileSync(join(data, "postmaster.pid"), "utf8").split("\n")[0]);
      if (pid > 0) process.kill(pid, "SIGKILL");
    } catch {
      // Not running.
    }
    rmSync(dir, { recursive: true, force: true });
  };
  cleanups.push(kill);
  return {
    url: `postgres://postgres@127.0.0.1:${port}/postgres`,
    port,
    version,
    /** The postmaster's pid (its backends are its children). */
    postmasterPid: () => Number(readFileSync(join(data, "postmaster.pid"), "utf8").split("\n")[0]),
    async stop() {
      await as("pg_ctl", ["-D", data, "-m", "fast", "-w", "stop"]).catch(() => undefined);
      kill();
    },
  };
}

/** Starts a private Redis; `{ url, port, version, info(section), stop() }`. */
export async function startRedis() {
  const port = await freePort();
  const { child, exited } = spawnRaw("redis-server", ["--port", String(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"]);
  await waitFor("redis", async () => (await redisInfo(port, "server")).includes("redis_version"), 10_000);
  const version = /redis_version:(\S+)/.exec(await redisInfo(port, "server"))?.[1];
  return {
    url: `redis://127.0.0.1:${port}`,
    port,
    version,
    info: (section) => redisInfo(port, section),
    async stop() {
      child.kill("SIGKILL");
      await exited;
    },
  };
}

async function redisInfo(port, section) {
  const { stdout } = await run("redis-cli", ["-h", "127.0.0.1", "-p", String(port), "info", section]);
  return stdout;
}

/** A child that is not node (killed on exit). */
function spawnRaw(command, args) {
  const child = spawn(command, args, { stdio: ["ignore", "ignore", "pipe"] });
  let errors = "";
  child.stderr.on("data", (d) => {
    errors = (errors + d).slice(-4000);
  });
  const exited = new Promise((resolve) => child.once("exit", resolve));
  child.errors = () => errors;
  cleanups.push(() => child.kill("SIGKILL"));
  return { child, exited };
}

/** The haproxy version line, or undefined when it is not installed. */
export function haproxyVersion() {
  try {
    return /HAProxy version (\S+)/.exec(execFileSync("haproxy", ["-v"]).toString())?.[1];
  } catch {
    return undefined;
  }
}

/** Starts HAProxy on `port` from the deployment example in front of `nodes` (`{ name, port, adminPort }`); `{ url, wsUrl, pid, stop() }`. */
export async function startHaproxy(port, nodes) {
  const dir = mkdtempSync(join(tmpdir(), "parley-bench-haproxy-"));
  cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
  const lines = [];
  let servers = false;
  for (const line of readFileSync(HAPROXY_CFG, "utf8").split("\n")) {
    const t = line.trim();
    if (t.startsWith("bind ")) {
      if (!lines.some((l) => l.trim().startsWith("bind "))) lines.push(`    bind 127.0.0.1:${port}`);
    } else if (t.startsWith("server ")) {
      if (!servers) for (const n of nodes) lines.push(`    server ${n.name} 127.0.0.1:${n.port} check port ${n.adminPort} addr 127.0.0.1`);
      servers = true;
    } else if (t.startsWith("stats socket ")) lines.push(`    stats socket ${join(dir, "admin.sock")} mode 600 level admin`);
    else if (t.startsWith("default-server ")) lines.push("    default-server inter 500ms fall 2 rise 1");
    // The example's production figure needs more file descriptors than this machine may grant.
    else if (t.startsWith("maxconn ")) lines.push("    maxconn 8000");
    else lines.push(line);
  }
  const cfg = join(dir, "haproxy.cfg");
  writeFileSync(cfg, lines.join("\n"));
  const { child, exited } = spawnRaw("haproxy", ["-f", cfg, "-db"]);
  // Ready once HAProxy's own health checks see every node UP.
  try {
    await waitFor(
      "haproxy with every node up",
      async () => {
        const stat = await new Promise((resolve, reject) => {
          const socket = connect(join(dir, "admin.sock"));
          let out = "";
          socket.on("data", (d) => {
            out += d;
          });
          socket.on("end", () => resolve(out));
          socket.on("error", reject);
          socket.end("show stat\n");
        });
        const rows = stat.split("\n").filter((l) => l.startsWith("relays,") && !l.startsWith("relays,BACKEND"));
        return rows.length === nodes.length && rows.every((r) => r.includes(",UP,"));
      },
      15_000,
    );
  } catch (error) {
    throw new Error(`${error.message}; haproxy said: ${child.errors()}`);
  }
  return {
    url: `http://127.0.0.1:${port}`,
    wsUrl: `ws://127.0.0.1:${port}/`,
    pid: child.pid,
    async stop() {
      child.kill("SIGTERM");
      await exited;
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/**
 * Starts one relay node: `{ pid, port, adminPort, name, wsUrl, adminUrl, stop() }`.
 *
 * @param options `{ name, dataDir, storeUrl, busUrl, publicUrl, limits, countersDir, cpuProfileDir }`
 */
export async function startNode({ name, dataDir, storeUrl, busUrl, publicUrl, limits, countersDir, cpuProfileDir }) {
  const args = [
    ...(cpuProfileDir ? ["--cpu-prof", "--cpu-prof-dir", cpuProfileDir] : []),
    "--require",
    COUNTERS_PRELOAD,
    RELAY_BIN,
    "--host",
    "127.0.0.1",
    "--port",
    "0",
    "--metrics-port",
    "0",
    "--data",
    dataDir,
    "--no-web",
    "--log-level",
    "warn",
    "--node-id",
    name,
    ...(storeUrl ? ["--store", storeUrl] : []),
    ...(busUrl ? ["--bus", busUrl] : []),
    ...(publicUrl ? ["--public-url", publicUrl, "--trust-proxy"] : []),
    ...Object.entries(limits).flatMap(([limit, value]) => ["--limit", `${limit}=${value}`]),
  ];
  // The preload reads where to write its counters from the environment the child inherits.
  process.env.PARLEY_BENCH_COUNTERS_DIR = countersDir;
  const { child, exited } = spawnNode(args);
  let output = "";
  const collect = (d) => {
    output = (output + d.toString()).slice(-20_000);
  };
  child.stdout.on("data", collect);
  child.stderr.on("data", collect);
  await waitFor("the relay node to listen", async () => /Metrics \(admin port\)/.test(output) || child.exitCode !== null, 20_000);
  if (child.exitCode !== null) throw new Error(`relay node ${name} exited: ${output}`);
  const port = Number(/bound to 127\.0\.0\.1:(\d+)/.exec(output)?.[1]);
  const adminPort = Number(/Metrics \(admin port\):\s+http:\/\/127\.0\.0\.1:(\d+)/.exec(output)?.[1]);
  return {
    name,
    pid: child.pid,
    port,
    adminPort,
    wsUrl: `ws://127.0.0.1:${port}/`,
    adminUrl: `http://127.0.0.1:${adminPort}`,
    output: () => output,
    async stop() {
      if (child.exitCode !== null || child.signalCode !== null) return;
      child.kill("SIGTERM");
      const timer = setTimeout(() => child.kill("SIGKILL"), 15_000);
      await exited;
      clearTimeout(timer);
    },
  };
}

/** The node's round-trip counters (counters-preload.cjs), written on SIGUSR2. */
export async function nodeCounters(node, countersDir) {
  const file = join(countersDir, `${node.pid}.json`);
  rmSync(file, { force: true });
  process.kill(node.pid, "SIGUSR2");
  await waitFor("the node's counters", async () => existsSync(file), 3_000);
  await sleep(20);
  return JSON.parse(readFileSync(file, "utf8"));
}
