// SIGTERM drain of a real relay process on the cluster bus (shared Redis, random prefix): while
// a sender has sends in flight, /healthz turns 503 "draining" and new connections are refused,
// every send answered OK is committed, live connections close with GoingAway spread over an
// interval (not in one tick), and the process exits 0. A restart on the same data delivers every
// message that was answered OK.
import { randomBytes } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { CloseCode, SendResult } from "@parley/protocol/wire";
import { Redis } from "ioredis";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { redisUnavailable, SHARED_REDIS, waitFor } from "./cluster-nodes.js";
import { messageId, newIdentity, utf8 } from "./identities.js";
import { buildRelay, type RelayProcess, startRelayProcess } from "./relay-process.js";
import { SocketClient } from "./socket-client.js";

const skip = await redisUnavailable();
if (skip) console.warn(`cluster drain test skipped: ${skip}`);

const SENDS = 400;
const IDLE_DEVICES = 6;
const hex = (b: Uint8Array) => Buffer.from(b).toString("hex");
const prefix = `parley-test-${randomBytes(6).toString("hex")}:`;
let dataDir = "";
let relay: RelayProcess | undefined;
const clients: SocketClient[] = [];

async function stopRelay(): Promise<void> {
  if (relay && relay.child.exitCode === null && relay.child.signalCode === null) {
    relay.child.kill("SIGKILL");
    await relay.exited;
  }
}

describe.skipIf(skip !== undefined)("SIGTERM drain", () => {
  beforeAll(() => {
    buildRelay();
    dataDir = mkdtempSync(join(tmpdir(), "parley-drain-"));
  });
  afterAll(async () => {
    for (const client of clients) client.ws.terminate();
    await stopRelay();
    if (dataDir) rmSync(dataDir, { recursive: true, force: true });
    const cleanup = new Redis(SHARED_REDIS);
    await cleanup.del(`${prefix}generations`).catch(() => {});
    cleanup.disconnect();
  });

  it("commits answered sends, reports draining, then closes connections GoingAway over an interval and exits 0", async () => {
    const args = ["--port", "0", "--data", dataDir, "--log-level", "warn", "--bus", `${SHARED_REDIS}/?prefix=${prefix}`];
    relay = await startRelayProcess([...args, "--node-id", "drain-test", "--drain-timeout", "4s"]);
    const httpUrl = `http://127.0.0.1:${relay.port}`;
    expect(await (await fetch(`${httpUrl}/healthz`)).json()).toEqual({ status: "ok", bus: "up" });

    const alice = newIdentity();
    const bob = newIdentity();
    const connect = async () => {
      const client = await SocketClient.connect(relay?.url ?? "");
      clients.push(client);
      return client;
    };
    const bobClient = await connect();
    expect((await bobClient.register(bob)).t).toBe("ok");
    const aliceClient = await connect();
    expect((await aliceClient.register(alice)).t).toBe("ok");
    const idle = await Promise.all(Array.from({ length: IDLE_DEVICES }, () => connect()));
    await Promise.all(idle.map(async (c) => expect((await c.register(newIdentity())).t).toBe("ok")));
    const live = [bobClient, aliceClient, ...idle];
    const closedAt = new Map<SocketClient, number>();
    for (const client of live) client.closed.then(() => closedAt.set(client, performance.now()));

    // Alice pipelines her sends; SIGTERM goes out once the first answers are back.
    const answeredOk = new Set<string>();
    const outcomes = { ok: 0, refused: 0, cut: 0 };
    let termAt = 0;
    const sends = Array.from({ length: SENDS }, async (_, i) => {
      const id = messageId();
      try {
        const answer = await aliceClient.request({
          t: "send",
          messages: [{ userId: bob.account.userId, deviceId: 1, messageId: id, envelope: utf8(`m${i}`) }],
        });
        if (answer.t === "sent" && answer.results[0] === SendResult.Ok) {
          answeredOk.add(hex(id));
          outcomes.ok++;
          if (outcomes.ok === 20 && termAt === 0) {
            termAt = performance.now();
            relay?.child.kill("SIGTERM");
          }
        } else outcomes.refused++;
      } catch {
        outcomes.cut++;
      }
    });

    // Draining: health is 503 while connections are still being closed, and new clients are refused.
    await waitFor(() => termAt > 0, 10_000, "the first answers");
    let draining: { code: number; body: unknown } | undefined;
    await waitFor(
      async () => {
        const response = await fetch(`${httpUrl}/healthz`).catch(() => undefined);
        if (response?.status === 503) draining = { code: response.status, body: await response.json() };
        return draining !== undefined;
      },
      3000,
      "/healthz to say draining",
    );
    expect(draining).toEqual({ code: 503, body: { status: "draining", bus: "up" } });
    await expect(SocketClient.connect(relay.url)).rejects.toThrow();

    await Promise.all(sends);
    const exit = await relay.exited;
    expect(exit).toEqual({ code: 0, signal: null });
    for (const client of live) expect((await client.closed).code).toBe(CloseCode.GoingAway);
    const times = [...closedAt.values()].sort((a, b) => a - b);
    const spread = (times.at(-1) ?? 0) - (times[0] ?? 0);
    console.info(
      `drain: ${outcomes.ok} sends answered OK, ${outcomes.refused} refused, ${outcomes.cut} unanswered; ${live.length} connections closed over ${spread.toFixed(0)} ms`,
    );
    expect(outcomes.ok).toBeGreaterThanOrEqual(20);
    expect(outcomes.ok + outcomes.refused + outcomes.cut).toBe(SENDS);
    expect(spread).toBeGreaterThan(300); // spread over ~1 s (a quarter of --drain-timeout), not one tick

    // Every send answered OK was committed: a restart delivers each of them to bob.
    relay = await startRelayProcess(["--port", "0", "--data", dataDir, "--log-level", "warn"]);
    const bobAgain = await connect();
    expect((await bobAgain.auth(bob)).t).toBe("ok");
    await bobAgain.next((f) => f.t === "queue_empty", 10_000);
    const delivered = new Set(bobAgain.ofType("message").map((m) => hex(m.messageId)));
    for (const id of answeredOk) expect(delivered.has(id), id).toBe(true);
    relay.child.kill("SIGTERM");
    expect((await relay.exited).code).toBe(0);
  });
});
