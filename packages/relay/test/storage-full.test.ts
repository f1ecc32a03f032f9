import { join } from "node:path";
import { pino } from "pino";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createRelay, type Relay } from "../src/relay.js";
import { listen, type RelayServer } from "../src/server/server.js";
import { openSqliteStore } from "../src/store/sqlite-store.js";
import { deps, messageId, newIdentity, utf8 } from "./identities.js";
import { smallDisk } from "./small-disk.js";
import { SocketClient } from "./socket-client.js";

const disk = smallDisk("parley-full-", "6m");
const mountPoint = disk.dir;
const mounted = disk.mounted;

let relay: Relay;
let server: RelayServer;
let url: string;
let httpUrl: string;

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
  }
  disk.release();
});

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
    disk.fill();
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

    disk.free();
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
