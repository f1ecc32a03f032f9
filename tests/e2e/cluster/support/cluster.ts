// A whole test cluster: N relay nodes sharing PostgreSQL (a private random schema on the shared
// server, or a private server the test may stop) and a private Redis bus, behind HAProxy run from
// the deployment example. `useCluster` starts one for a test file (beforeAll) and tears it down
// (afterAll), so every process and schema goes away after the file, whether its tests passed or
// not, and also when starting it failed half-way.
import { randomBytes } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import pg from "pg";
import { afterAll, beforeAll } from "vitest";
import { type Balancer, startBalancer } from "./balancer.js";
import { freePort, until } from "./child.js";
import { SHARED_POSTGRES } from "./prerequisites.js";
import { type PrivatePostgres, startPrivatePostgres } from "./private-postgres.js";
import { type PrivateRedis, startPrivateRedis } from "./private-redis.js";
import { type RelayNode, startNode } from "./relay-node.js";

/** How to build the cluster. */
export interface ClusterOptions {
  /** Relay nodes (default 3). */
  readonly nodes?: number;
  /** A private PostgreSQL the test can stop and start (default: a random schema on the shared server). */
  readonly privatePostgres?: boolean;
  /**
   * Where blob bytes live: "postgres" (default; chunks in PostgreSQL, beside the mailboxes, in a
   * schema of their own) or "file" (one directory every node shares, as a network file system
   * would be).
   */
  readonly blobs?: "postgres" | "file";
  /** SIGTERM's drain window on every node (default 3s). */
  readonly drainTimeout?: string;
  /** Extra relay flags for every node. */
  readonly extraArgs?: readonly string[];
}

/** A running cluster. */
export interface Cluster {
  readonly nodes: readonly RelayNode[];
  readonly balancer: Balancer;
  readonly redis: PrivateRedis;
  /** The private PostgreSQL, when asked for. */
  readonly postgres: PrivatePostgres | undefined;
  /** The `--store` URL the nodes share. */
  readonly storeUrl: string;
  /** What clients dial: the balancer. */
  readonly wsUrl: string;
  /** How many authenticated devices each node holds, from its metrics (undefined for a node that is down). */
  devicesPerNode(): Promise<(number | undefined)[]>;
  /**
   * Runs `connect` while HAProxy sends new connections and requests only to node `index` (the
   * others in maintenance through its runtime API; connections they hold stay), then puts every
   * node back into rotation. How a test places a client or an upload on a chosen node.
   */
  through<T>(index: number, connect: () => Promise<T>): Promise<T>;
  /** Puts node `index` in (true) or out of (false) maintenance at the balancer. */
  maintenance(index: number, on: boolean): Promise<void>;
  /** Waits until HAProxy sees every running node UP. */
  waitForAllUp(ms?: number): Promise<void>;
  /** Everything every node and the balancer wrote, for a failure message. */
  logs(): string;
}

/**
 * A cluster for the test file: started in beforeAll, torn down in afterAll (also when starting
 * failed). Call at the top level of the file; read `.cluster` inside tests.
 */
export function useCluster(options: ClusterOptions = {}, enabled = true): { readonly cluster: Cluster } {
  const teardown: Array<() => Promise<void>> = [];
  let cluster: Cluster | undefined;
  const tearDown = async () => {
    for (const step of teardown.splice(0).reverse()) await step().catch((error: unknown) => console.error("cluster teardown:", error));
  };
  beforeAll(async () => {
    if (!enabled) return;
    try {
      cluster = await startCluster(options, teardown);
    } catch (error) {
      await tearDown();
      throw error;
    }
  }, 90_000);
  afterAll(tearDown, 60_000);
  return {
    get cluster() {
      if (!cluster) throw new Error("the cluster starts in beforeAll");
      return cluster;
    },
  };
}

/** Starts a cluster; pushes each step's undoing onto `teardown` (run newest first). */
export async function startCluster(options: ClusterOptions, teardown: Array<() => Promise<void>>): Promise<Cluster> {
  const redis = await startPrivateRedis();
  teardown.push(() => redis.destroy());
  let postgres: PrivatePostgres | undefined;
  let storeUrl: string;
  let blobsUrl: string;
  if (options.privatePostgres) {
    postgres = await startPrivatePostgres();
    teardown.push(() => (postgres as PrivatePostgres).destroy());
    storeUrl = postgres.url;
    blobsUrl = postgres.url;
  } else {
    const schema = `parley_cluster_${randomBytes(6).toString("hex")}`;
    storeUrl = `${SHARED_POSTGRES}?schema=${schema}`;
    blobsUrl = `${SHARED_POSTGRES}?schema=${schema}_blobs`;
    teardown.push(() => dropSchemas([schema, `${schema}_blobs`]));
  }
  if (options.blobs === "file") {
    const dir = mkdtempSync(join(tmpdir(), "parley-cluster-blobs-"));
    teardown.push(async () => rmSync(dir, { recursive: true, force: true }));
    blobsUrl = `file:${dir}`;
  }
  const lbPort = await freePort();
  const publicUrl = `http://127.0.0.1:${lbPort}`;
  const nodes: RelayNode[] = [];
  teardown.push(async () => {
    await Promise.all(nodes.map((n) => n.destroy()));
  });
  for (let i = 1; i <= (options.nodes ?? 3); i++) {
    nodes.push(
      await startNode(`node${i}`, {
        storeUrl,
        busUrl: redis.url,
        blobsUrl,
        publicUrl,
        drainTimeout: options.drainTimeout ?? "3s",
        extraArgs: options.extraArgs ?? [],
      }),
    );
  }
  const balancer = await startBalancer(
    lbPort,
    nodes.map((n) => ({ name: n.nodeId, port: n.port, healthPort: n.adminPort })),
  );
  teardown.push(() => balancer.stop());
  const waitForAllUp = (ms = 10_000) =>
    until(
      "every running node UP at the balancer",
      async () => {
        for (const n of nodes) if (n.running && !/^UP/.test(await balancer.serverStatus(n.nodeId))) return false;
        return true;
      },
      ms,
      100,
    );
  await waitForAllUp();
  const maintenance = async (index: number, on: boolean) => {
    const name = (nodes[index] as RelayNode).nodeId;
    const answer = await balancer.command(`set server relays/${name} state ${on ? "maint" : "ready"}`);
    if (answer.trim() !== "") throw new Error(`haproxy refused to change ${name}: ${answer}`);
  };
  const through = async <T>(index: number, connect: () => Promise<T>): Promise<T> => {
    const others = nodes.map((_, i) => i).filter((i) => i !== index);
    for (const i of others) await maintenance(i, true);
    try {
      return await connect();
    } finally {
      for (const i of others) await maintenance(i, false);
    }
  };
  return {
    through,
    maintenance,
    nodes,
    balancer,
    redis,
    postgres,
    storeUrl,
    wsUrl: balancer.wsUrl,
    devicesPerNode: () =>
      Promise.all(nodes.map((n) => (n.running ? n.metric("parley_authenticated_devices").catch(() => undefined) : undefined))),
    waitForAllUp,
    logs: () =>
      [...nodes.map((n) => `--- ${n.nodeId}\n${n.output().slice(-6000)}`), `--- haproxy\n${balancer.output().slice(-3000)}`].join("\n"),
  };
}

async function dropSchemas(schemas: readonly string[]): Promise<void> {
  const client = new pg.Client({ connectionString: SHARED_POSTGRES, connectionTimeoutMillis: 5_000 });
  await client.connect();
  try {
    for (const schema of schemas) await client.query(`drop schema if exists "${schema}" cascade`);
  } finally {
    await client.end();
  }
}
