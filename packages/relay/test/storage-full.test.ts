// A real full disk (issue 13, relay item 5): the relay's data directory is a small tmpfs that a
// filler file fills to ENOSPC. Writes must answer STORAGE_FULL (never INTERNAL), /healthz must say
// 503, nothing acknowledged may be lost, and everything recovers once space returns. Needs root
// for `mount -t tmpfs`; without it the test is skipped, except under CI=true, where it fails.
import { execFileSync } from "node:child_process";
import { closeSync, mkdtempSync, openSync, rmdirSync, rmSync, writeSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pino } from "pino";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createRelay, type Relay } from "../src/relay.js";
import { listen, type RelayServer } from "../src/server/server.js";
import { openSqliteStore } from "../src/store/sqlite-store.js";
import { deps, messageId, newIdentity, utf8 } from "./identities.js";
import { SocketClient } from "./socket-client.js";

const mountPoint = mkdtempSync(join(tmpdir(), "parley-full-"));
function tryMount(): boolean {
  try {
    execFileSync("mount", ["-t", "tmpfs", "-o", "size=6m", "tmpfs", mountPoint], { stdio: "pipe" });
    return true;
  } catch (error) {
    if (process.env.CI === "true")
      throw new Error(`CI=true but a tmpfs cannot be mounted for the full-disk test: ${(error as Error).message}`);
    return false;
  }
}
const mounted = tryMount();

let relay: Relay;
let server: RelayServer;
let url: string;
let httpUrl: string;
const filler = join(mountPoint, "filler");

beforeAll(async () => {
  if (!mounted) return;
  relay = await createRelay({
    store: openSqliteStore(join(mountPoint, "relay.sqlite")),
    blobDir: join(mountPoint, "blobs"),
    relayId: () => httpUrl,
    // A 1-byte reserve: the relay must notice the real failure, not only the early warning.
    limits: { minFreeStorageBytes: 1 },
    deps,
    logger: pino({ level: "silent" }),
  });
  server = await listen(relay, { port: 0, host: "127.0.0.1" });
  httpUrl = `http://127.0.0.1:${server.port}`;
  url = `ws://127.0.0.1:${server.port}/`;
});

afterAll(async () => {
  if (mounted) {
    const closed = server.stopAccepting();
    await relay.shutdown();
    await closed;
    execFileSync("umount", [mountPoint]);
  }
  rmdirSync(mountPoint);
});

/** Fills the file system with `filler` until ENOSPC (bounded by the tmpfs size). */
function fillDisk(): void {
  const fd = openSync(filler, "w");
  const chunk = Buffer.alloc(64 * 1024, 7);
  try {
    for (let i = 0; i < 1000; i++) writeSync(fd, chunk);
    throw new Error("the disk did not fill");
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== "ENOSPC") throw error;
    // Fill the last partial block too.
    for (const size of [4096, 512, 64, 1]) {
      try {
        for (let i = 0; i < 1000; i++) writeSync(fd, chunk.subarray(0, size));
      } catch {}
    }
  } finally {
    closeSync(fd);
  }
}

const health = async () => {
  const res = await fetch(`${httpUrl}/healthz`);
  return { status: res.status, body: (await res.json()) as { status: string } };
};

describe.skipIf(!mounted)("a full disk", () => {
  it("answers writes with STORAGE_FULL and /healthz with 503, loses nothing acknowledged, and recovers when space returns", async () => {
    const alice = newIdentity();
    const bob = newIdentity();
    const a = await SocketClient.connect(url);
    expect(await a.register(alice)).toMatchObject({ t: "ok" });
    const b = await SocketClient.connect(url);
    expect(await b.register(bob)).toMatchObject({ t: "ok" });
    await b.close();
    const to = { userId: bob.account.userId, deviceId: 1 };
    const acknowledged: string[] = [];
    const send = async (text: string) => {
      const answer = await a.request({
        t: "send",
        messages: [{ ...to, messageId: messageId(), envelope: utf8(text.padEnd(20_000, ".")) }],
      });
      if (answer.t === "sent" && answer.results[0] === "OK") acknowledged.push(text);
      return answer;
    };
    expect(await send("before")).toMatchObject({ t: "sent", results: ["OK"] });
    expect(await health()).toEqual({ status: 200, body: { status: "ok" } });

    const granted = await a.request({ t: "blob_ticket", size: 100_000 });
    if (granted.t !== "blob_granted") throw new Error("no ticket");
    fillDisk();
    const codes: string[] = [];
    for (let i = 0; i < 40 && !codes.includes("STORAGE_FULL"); i++) {
      const answer = await send(`while full ${i}`);
      codes.push(answer.t === "error" ? answer.code : answer.t);
    }
    expect(codes).toContain("STORAGE_FULL");
    expect(codes).not.toContain("INTERNAL");
    expect(await health()).toEqual({ status: 503, body: { status: "storage_full" } });
    expect(await a.request({ t: "blob_ticket", size: 10 })).toMatchObject({ t: "error", code: "STORAGE_FULL" });
    const upload = await fetch(`${httpUrl}/blobs/${granted.blobId}`, {
      method: "PUT",
      headers: { authorization: `Bearer ${granted.capability}` },
      body: new Uint8Array(100_000),
    });
    expect(upload.status).toBe(507);
    expect(await upload.json()).toEqual({ error: "STORAGE_FULL" });

    rmSync(filler);
    expect(await health()).toEqual({ status: 200, body: { status: "ok" } });
    expect(await send("after")).toMatchObject({ t: "sent", results: ["OK"] });
    await a.close();

    const b2 = await SocketClient.connect(url);
    await b2.auth(bob);
    await b2.next((f) => f.t === "queue_empty");
    const received = b2.ofType("message").map((m) => new TextDecoder().decode(m.envelope).replace(/\.+$/, ""));
    expect(received).toEqual(acknowledged);
    expect(received[0]).toBe("before");
    expect(received.at(-1)).toBe("after");
    await b2.close();
  });
});
