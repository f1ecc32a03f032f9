// One relay node of a test cluster: the real `parley-relay` bin (packages/relay/dist/bin.js) with
// --store, --bus, --blobs, --node-id, --trust-proxy, --public-url (the balancer's URL, so logins
// bind to it), --no-web and an admin port for /healthz and /metrics. It can be killed (SIGKILL),
// drained (SIGTERM) and started again on the same ports.
import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { ensureBuilt } from "../../support/relay-process.js";
import { type Child, spawnChild } from "./child.js";

const root = new URL("../../../../", import.meta.url).pathname;
const bin = join(root, "packages/relay/dist/bin.js");

/** What every node of a cluster shares. */
export interface NodeOptions {
  readonly storeUrl: string;
  readonly busUrl: string;
  readonly blobsUrl: string;
  /** The balancer's URL: the relay id clients see. */
  readonly publicUrl: string;
  /** SIGTERM's drain window. */
  readonly drainTimeout?: string;
  /** Extra flags (e.g. `--limit NAME=VALUE`). */
  readonly extraArgs?: readonly string[];
}

/** A relay node. */
export interface RelayNode {
  readonly nodeId: string;
  /** Its own HTTP/WebSocket port (the balancer's backend). */
  readonly port: number;
  /** Its admin port (/healthz, /metrics). */
  readonly adminPort: number;
  readonly running: boolean;
  /** Output of the current (or last) process. */
  output(): string;
  /** GET /healthz on the admin port: status code and body. */
  health(): Promise<{ status: number; body: Record<string, unknown> }>;
  /** One sample of a metric (summed over its labels) from /metrics, or undefined when absent. */
  metric(name: string): Promise<number | undefined>;
  /** SIGKILL, as a crash or a lost machine. */
  kill(): Promise<void>;
  /** SIGTERM (a drain); resolves with the exit code. */
  terminate(ms?: number): Promise<number | string | null>;
  /** Starts the node again on the same ports. */
  restart(): Promise<void>;
  /** Stops it (SIGKILL if it does not exit in time) and removes its data directory. */
  destroy(): Promise<void>;
}

/** Starts a node; port 0 lets it pick its ports (read back from its output). */
export async function startNode(nodeId: string, options: NodeOptions): Promise<RelayNode> {
  ensureBuilt();
  if (!existsSync(bin)) throw new Error(`${bin} is missing: run npx tsc -b`);
  const dataDir = mkdtempSync(join(tmpdir(), `parley-cluster-${nodeId}-`));
  let port = 0;
  let adminPort = 0;
  let child: Child | undefined;
  const launch = async () => {
    const args = [
      bin,
      "--host",
      "127.0.0.1",
      "--port",
      String(port),
      "--metrics-port",
      String(adminPort),
      "--data",
      dataDir,
      "--store",
      options.storeUrl,
      "--bus",
      options.busUrl,
      "--blobs",
      options.blobsUrl,
      "--node-id",
      nodeId,
      "--public-url",
      options.publicUrl,
      "--trust-proxy",
      "--no-web",
      "--drain-timeout",
      options.drainTimeout ?? "3s",
      "--log-level",
      "info",
      ...(options.extraArgs ?? []),
    ];
    child = spawnChild(nodeId, process.execPath, args);
    const bound = await child.waitFor(/bound to 127\.0\.0\.1:(\d+)/, 20_000);
    const admin = await child.waitFor(/Metrics \(admin port\):\s+http:\/\/127\.0\.0\.1:(\d+)\/metrics/, 5_000);
    port = Number(bound[1]);
    adminPort = Number(admin[1]);
  };
  await launch();
  const adminGet = async (path: string) => {
    const response = await fetch(`http://127.0.0.1:${adminPort}${path}`, { signal: AbortSignal.timeout(3_000) });
    return { status: response.status, text: await response.text() };
  };
  return {
    nodeId,
    get port() {
      return port;
    },
    get adminPort() {
      return adminPort;
    },
    get running() {
      return child !== undefined && !child.exited;
    },
    output: () => child?.output() ?? "",
    health: async () => {
      const { status, text } = await adminGet("/healthz");
      return { status, body: JSON.parse(text) as Record<string, unknown> };
    },
    metric: async (name: string) => metricSum((await adminGet("/metrics")).text, name),
    kill: async () => {
      await child?.stop("SIGKILL");
    },
    terminate: async (ms = 15_000) => (child ? child.stop("SIGTERM", ms) : null),
    restart: async () => {
      if (child && !child.exited) throw new Error(`${nodeId} is still running`);
      await launch();
    },
    destroy: async () => {
      await child?.stop("SIGTERM", 5_000);
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

/** The sum of every sample of `name` in Prometheus text (labels ignored), or undefined. */
export function metricSum(text: string, name: string): number | undefined {
  let sum: number | undefined;
  for (const line of text.split("\n")) {
    if (!line.startsWith(name)) continue;
    const rest = line.slice(name.length);
    if (rest[0] !== " " && rest[0] !== "{") continue;
    const value = Number(line.slice(line.lastIndexOf(" ") + 1));
    if (Number.isFinite(value)) sum = (sum ?? 0) + value;
  }
  return sum;
}
