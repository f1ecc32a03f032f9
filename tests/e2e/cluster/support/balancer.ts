// HAProxy in front of the test cluster, run from packages/relay/deploy/haproxy.cfg itself: the
// frontend's bind line becomes a loopback port, the server lines the test's nodes (health checked
// on their admin ports), the health-check timings fast, and the stats socket a temporary path
// the tests use to take a node out of rotation (HAProxy's runtime API).
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { connect } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { type Child, spawnChild, until } from "./child.js";

const root = new URL("../../../../", import.meta.url).pathname;
/** The deployment example the tests run. */
export const HAPROXY_CFG = join(root, "packages/relay/deploy/haproxy.cfg");

/** The haproxy binary, or undefined when it is not installed. */
export function haproxyBinary(): string | undefined {
  return ["/usr/sbin/haproxy", "/usr/bin/haproxy", "/usr/local/sbin/haproxy"].find((path) => existsSync(path));
}

/** One backend server of the balancer. */
export interface Backend {
  readonly name: string;
  readonly port: number;
  /** The node's admin port, where /healthz is checked. */
  readonly healthPort: number;
}

/** Health-check timing for tests: a dead or draining node leaves rotation in ~0.5 s, returns in ~0.2 s. */
const TEST_CHECKS = "default-server inter 200ms fastinter 100ms downinter 200ms fall 2 rise 1";

/** The deploy config with this test's ports, servers and socket. Throws if a line it rewrites is missing. */
export function renderHaproxyConfig(template: string, frontendPort: number, backends: readonly Backend[], socketPath: string): string {
  const lines = template.split("\n");
  const out: string[] = [];
  let bound = false;
  let servers = false;
  let checks = false;
  let socket = false;
  for (const line of lines) {
    const trimmed = line.trim();
    if (trimmed.startsWith("bind ")) {
      if (!bound) out.push(`    bind 127.0.0.1:${frontendPort}`);
      bound = true;
    } else if (trimmed.startsWith("server ")) {
      if (!servers)
        for (const b of backends) out.push(`    server ${b.name} 127.0.0.1:${b.port} check port ${b.healthPort} addr 127.0.0.1`);
      servers = true;
    } else if (trimmed.startsWith("default-server ")) {
      out.push(`    ${TEST_CHECKS}`);
      checks = true;
    } else if (trimmed.startsWith("stats socket ")) {
      out.push(`    stats socket ${socketPath} mode 600 level admin`);
      socket = true;
    } else if (trimmed.startsWith("maxconn ")) {
      // The example's production figure needs more file descriptors than a test machine grants.
      out.push("    maxconn 4096");
    } else out.push(line);
  }
  if (!bound || !servers || !checks || !socket)
    throw new Error(`${HAPROXY_CFG} no longer has the bind, server, default-server and stats socket lines the tests rewrite`);
  return out.join("\n");
}

/** A running HAProxy. */
export interface Balancer {
  readonly port: number;
  /** `http://127.0.0.1:PORT`: the cluster's public URL. */
  readonly url: string;
  /** `ws://127.0.0.1:PORT`: what clients dial. */
  readonly wsUrl: string;
  /** Sends one runtime-API command (e.g. `set server relays/node1 state maint`); resolves with the answer. */
  command(line: string): Promise<string>;
  /** The state HAProxy has for server `name` (e.g. "UP", "DOWN", "MAINT"), from `show stat`. */
  serverStatus(name: string): Promise<string>;
  /** Waits until `name` reads `status` (bounded). */
  waitForStatus(name: string, status: RegExp, ms?: number): Promise<void>;
  output(): string;
  stop(): Promise<void>;
}

/** Starts HAProxy on `port` in front of `backends` (in the foreground, as a child of the test). */
export async function startBalancer(port: number, backends: readonly Backend[]): Promise<Balancer> {
  const binary = haproxyBinary();
  if (!binary) throw new Error("haproxy is not installed");
  const dir = mkdtempSync(join(tmpdir(), "parley-cluster-haproxy-"));
  const socketPath = join(dir, "admin.sock");
  const cfg = join(dir, "haproxy.cfg");
  writeFileSync(cfg, renderHaproxyConfig(readFileSync(HAPROXY_CFG, "utf8"), port, backends, socketPath));
  let child: Child | undefined = spawnChild(`haproxy:${port}`, binary, ["-f", cfg, "-db"]);
  const command = (line: string) =>
    new Promise<string>((resolve, reject) => {
      const socket = connect(socketPath);
      let answer = "";
      const timer = setTimeout(() => {
        socket.destroy();
        reject(new Error(`haproxy did not answer "${line}"`));
      }, 3_000);
      socket.on("data", (d) => {
        answer += d;
      });
      socket.on("error", (error) => {
        clearTimeout(timer);
        reject(error);
      });
      socket.on("end", () => {
        clearTimeout(timer);
        resolve(answer);
      });
      socket.end(`${line}\n`);
    });
  const serverStatus = async (name: string) => {
    const csv = await command("show stat");
    const header = csv.split("\n")[0]?.replace(/^# /, "").split(",") ?? [];
    const statusColumn = header.indexOf("status");
    const row = csv.split("\n").find((l) => l.split(",")[0] === "relays" && l.split(",")[1] === name);
    return row?.split(",")[statusColumn] ?? "absent";
  };
  try {
    await until("haproxy's runtime socket", async () => (await command("show info")).includes("Name: HAProxy"), 10_000, 100);
  } catch (error) {
    await child.stop("SIGKILL");
    throw new Error(`${(error as Error).message}\nhaproxy output:\n${child.output()}`);
  }
  return {
    port,
    url: `http://127.0.0.1:${port}`,
    wsUrl: `ws://127.0.0.1:${port}`,
    command,
    serverStatus,
    waitForStatus: (name, status, ms = 10_000) =>
      until(`haproxy to see ${name} as ${status}`, async () => status.test(await serverStatus(name)), ms, 100),
    output: () => child?.output() ?? "",
    stop: async () => {
      await child?.stop("SIGTERM", 3_000);
      child = undefined;
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
