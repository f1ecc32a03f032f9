// The `parley-relay` process as an operator sees it (issue 13): the printed lines name the URL
// clients use (honouring --public-url) and what to open in a browser; `--metrics-token` protects
// /metrics; on SIGTERM "shutting down" is logged before "stopped".

import { spawnSync } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { BIN, buildRelay, startRelayProcess } from "./relay-process.js";
import { SocketClient } from "./socket-client.js";

beforeAll(() => buildRelay(), 120_000);

const messages = (output: string) =>
  output
    .split("\n")
    .filter((line) => line.startsWith("{"))
    .map((line) => (JSON.parse(line) as { msg: string }).msg);

describe("parley-relay output", () => {
  it("says in one line, with no stack trace and no password, why it could not start", () => {
    const dataDir = mkdtempSync(join(tmpdir(), "parley-out-"));
    try {
      // Nothing listens on port 1: the store cannot be opened.
      const run = spawnSync(process.execPath, [BIN, "--data", dataDir, "--store", "postgres://parley:hunter2@127.0.0.1:1/db"], {
        encoding: "utf8",
        timeout: 30_000,
        env: { ...process.env, PARLEY_DEBUG: "" },
      });
      expect(run.status).toBe(1);
      expect(run.stderr).toMatch(/^parley-relay: could not start: cannot open the store at postgres:\/\/parley:\*\*\*@127\.0\.0\.1:1\/db/);
      expect(run.stderr.trim().split("\n")).toHaveLength(1);
      expect(run.stderr).not.toContain("hunter2");
      expect(run.stderr).not.toMatch(/\n\s+at /);
    } finally {
      rmSync(dataDir, { recursive: true, force: true });
    }
  });

  it("prints the relay URL clients use and the HTTP URL, and logs shutting down before stopped", async () => {
    const dataDir = mkdtempSync(join(tmpdir(), "parley-out-"));
    try {
      const relay = await startRelayProcess(["--port", "0", "--data", dataDir]);
      const text = relay.output();
      expect(text).toContain(`Parley relay listening on http://localhost:${relay.port}`);
      expect(text).toMatch(new RegExp(`Relay URL for clients: +ws://localhost:${relay.port}\\n`));
      expect(text).toMatch(new RegExp(`HTTP \\(health, metrics, blobs\\): +http://localhost:${relay.port}/healthz\\n`));
      const client = await SocketClient.connect(relay.url);
      relay.child.kill("SIGTERM");
      expect(await relay.exited).toEqual({ code: 0, signal: null });
      await client.closed;
      const logged = messages(relay.output());
      const shutting = logged.findIndex((m) => m.startsWith("shutting down"));
      expect(shutting).toBeGreaterThanOrEqual(0);
      expect(logged.indexOf("stopped")).toBeGreaterThan(shutting);
    } finally {
      rmSync(dataDir, { recursive: true, force: true });
    }
  });

  it("serves /metrics only on the admin port with --metrics-port", async () => {
    const dataDir = mkdtempSync(join(tmpdir(), "parley-out-"));
    try {
      const relay = await startRelayProcess(["--port", "0", "--data", dataDir, "--metrics-port", "0"]);
      await new Promise((r) => setTimeout(r, 100));
      const adminUrl = /Metrics \(admin port\): +(http:\/\/127\.0\.0\.1:\d+\/metrics)\n/.exec(relay.output())?.[1];
      expect(adminUrl).toBeDefined();
      expect((await fetch(`http://127.0.0.1:${relay.port}/metrics`)).status).toBe(404);
      const admin = await fetch(adminUrl as string);
      expect(admin.status).toBe(200);
      expect(await admin.text()).toContain("parley_connections");
      expect((await fetch((adminUrl as string).replace("/metrics", "/healthz"))).status).toBe(200);
      relay.child.kill("SIGTERM");
      expect((await relay.exited).code).toBe(0);
    } finally {
      rmSync(dataDir, { recursive: true, force: true });
    }
  });

  it("prints the --public-url origin (ws/wss for clients) and protects /metrics with --metrics-token", async () => {
    const dataDir = mkdtempSync(join(tmpdir(), "parley-out-"));
    try {
      const relay = await startRelayProcess([
        "--port",
        "0",
        "--data",
        dataDir,
        "--public-url",
        "https://relay.example",
        "--metrics-token",
        "s3cret-metrics",
      ]);
      await new Promise((r) => setTimeout(r, 100));
      const text = relay.output();
      expect(text).toContain("Parley relay listening on https://relay.example");
      expect(text).toMatch(/Relay URL for clients: +wss:\/\/relay\.example\n/);
      expect(text).not.toContain("s3cret-metrics");
      const base = `http://127.0.0.1:${relay.port}`;
      expect((await fetch(`${base}/metrics`)).status).toBe(401);
      expect((await fetch(`${base}/metrics`, { headers: { authorization: "Bearer s3cret-metrics" } })).status).toBe(200);
      const client = await SocketClient.connect(relay.url);
      expect(client.challenge?.relayId).toBe("https://relay.example");
      await client.close();
      relay.child.kill("SIGTERM");
      expect((await relay.exited).code).toBe(0);
    } finally {
      rmSync(dataDir, { recursive: true, force: true });
    }
  });
});
