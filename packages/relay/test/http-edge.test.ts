// The HTTP edge over real sockets (issue 13, relay items 5 and 6): a bad request target is a 400
// logged at debug at most; /metrics shows no Node version, has no doubled prefix and can be
// protected by a bearer token; connections per address group IPv6 by /64 (through a trusted
// proxy's X-Forwarded-For, the only way to present several IPv6 addresses on loopback).
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { request } from "node:http";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pino } from "pino";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import WebSocket from "ws";
import { createRelay, type Relay } from "../src/relay.js";
import { listen, type RelayServer } from "../src/server/server.js";
import { openSqliteStore } from "../src/store/sqlite-store.js";
import { deps } from "./identities.js";

const TOKEN = "metrics-secret-token";
const PER_ADDRESS = 3;
const dataDir = mkdtempSync(join(tmpdir(), "parley-http-edge-"));
const logFile = join(dataDir, "relay.log");
let relay: Relay;
let server: RelayServer;
let httpUrl = "";

beforeAll(async () => {
  relay = await createRelay({
    store: openSqliteStore(join(dataDir, "relay.sqlite")),
    blobDir: join(dataDir, "blobs"),
    relayId: () => httpUrl,
    limits: { maxConnectionsPerAddress: PER_ADDRESS, minFreeStorageBytes: 1 },
    deps,
    logger: pino({ level: "debug" }, pino.destination({ dest: logFile, sync: true })),
    defaultMetrics: true,
  });
  server = await listen(relay, { port: 0, host: "127.0.0.1", trustProxy: true, metricsToken: TOKEN });
  httpUrl = `http://127.0.0.1:${server.port}`;
});
afterAll(async () => {
  const closed = server.stopAccepting();
  await relay.shutdown();
  await closed;
  rmSync(dataDir, { recursive: true, force: true });
});

/** A raw GET with `path` sent verbatim as the request target. */
function rawGet(path: string, headers: Record<string, string> = {}): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request({ host: "127.0.0.1", port: server.port, path, method: "GET", headers }, (res) => {
      let body = "";
      res.on("data", (d: Buffer) => {
        body += d.toString();
      });
      res.on("end", () => resolve({ status: res.statusCode ?? 0, body }));
    });
    req.on("error", reject);
    req.end();
  });
}

/** Opens a WebSocket "from" `address` (via X-Forwarded-For) and resolves with its close code, or 0 if it stays open. */
async function connectFrom(address: string, open: WebSocket[]): Promise<number> {
  const ws = new WebSocket(`ws://127.0.0.1:${server.port}/`, { headers: { "x-forwarded-for": address } });
  open.push(ws);
  return new Promise((resolve) => {
    let settled = false;
    ws.on("close", (code) => {
      if (!settled) resolve(code);
      settled = true;
    });
    ws.on("error", () => {});
    // The challenge arrives first on an accepted connection; give a refused one time to close.
    ws.on("message", () =>
      setTimeout(() => {
        if (!settled) resolve(0);
        settled = true;
      }, 50),
    );
  });
}

const levels = () =>
  readFileSync(logFile, "utf8")
    .split("\n")
    .filter(Boolean)
    .map((line) => JSON.parse(line) as { level: number; msg: string });

describe("bad request targets", () => {
  it("answers GET //%zz and other unparsable targets with 400 and logs them at debug at most", async () => {
    for (const path of ["//%zz", "//[", "/%zz/../..", "//"]) {
      const res = await rawGet(path);
      expect(res.status, path).toBeLessThan(500);
    }
    expect((await rawGet("//%zz")).status).toBe(400);
    expect(levels().filter((l) => l.level > 20)).toEqual([]);
  });
});

describe("/metrics", () => {
  it("needs the bearer token when one is configured", async () => {
    expect((await rawGet("/metrics")).status).toBe(401);
    expect((await rawGet("/metrics", { authorization: "Bearer wrong-token-of-same-len" })).status).toBe(401);
    expect((await rawGet("/metrics", { authorization: `Bearer ${TOKEN}` })).status).toBe(200);
  });

  it("names every metric parley_* once, and does not expose the Node version", async () => {
    const text = (await rawGet("/metrics", { authorization: `Bearer ${TOKEN}` })).body;
    expect(text).toContain("parley_process_cpu_user_seconds_total");
    expect(text).not.toContain("parley_process_process_");
    expect(text).not.toContain("version");
    expect(text).not.toContain(process.version);
    const names = [...text.matchAll(/^# TYPE (\S+)/gm)].map((m) => m[1] as string);
    expect(names.length).toBeGreaterThan(10);
    for (const name of names) expect(name).toMatch(/^parley_/);
  });
});

describe("connections per address", () => {
  it("counts IPv6 addresses of one /64 together (N accepted, N+1 → 4029) and other /64s apart", async () => {
    const open: WebSocket[] = [];
    try {
      const codes: number[] = [];
      for (let i = 1; i <= PER_ADDRESS + 1; i++) codes.push(await connectFrom(`2001:db8:1:2::${i.toString(16)}`, open));
      expect(codes).toEqual([...Array<number>(PER_ADDRESS).fill(0), 4029]);
      expect(await connectFrom("2001:db8:1:3::1", open)).toBe(0);
      expect(await connectFrom("203.0.113.9", open)).toBe(0);
    } finally {
      for (const ws of open) ws.terminate();
    }
  });
});
