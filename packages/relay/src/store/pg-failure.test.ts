// The PostgreSQL store when its server goes away: on a private server this test stops and
// starts, every call rejects with a StorageError (never an unhandled error), health reports
// "failing", and once the server is back the pool reconnects by itself and the data is there.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type PrivatePostgres, privatePostgresUnavailable, startPrivatePostgres } from "../../test/pg-private-server.js";
import { openPostgresStore } from "./pg-store.js";
import { StorageError } from "./storage-error.js";
import type { Store } from "./store.js";

const unavailable = privatePostgresUnavailable();
const suite = unavailable === undefined ? describe : process.env.CI ? describe : describe.skip;

const userId = new Uint8Array(16).fill(3);
const mailbox = { userId, deviceId: 1 };
const message = (n: number) => ({
  ...mailbox,
  messageId: new Uint8Array(16).fill(n),
  envelope: new Uint8Array([n]),
  receivedAt: 1000,
  expiresAt: 10_000,
});

/** Retries `call` until it resolves (bounded), as the next request after a restart would. */
async function eventually<T>(call: () => Promise<T>, attempts = 60): Promise<T> {
  for (let i = 1; ; i++) {
    try {
      return await call();
    } catch (error) {
      if (i >= attempts) throw error;
      await new Promise((r) => setTimeout(r, 250));
    }
  }
}

suite(`postgres store when the server goes away${unavailable ? ` (skipped: ${unavailable})` : ""}`, () => {
  let server: PrivatePostgres | undefined;
  let store: Store | undefined;
  const warnings: unknown[][] = [];
  beforeAll(async () => {
    if (unavailable) throw new Error(`${unavailable}; CI must run the PostgreSQL failure tests`);
    server = await startPrivatePostgres();
  }, 120_000);
  afterAll(async () => {
    await store?.close().catch(() => undefined);
    await server?.dispose();
  }, 60_000);

  it("rejects calls with StorageError while stopped, reports failing, and recovers on restart", async () => {
    if (!server) throw new Error("no server");
    store = await openPostgresStore(server.url, {
      schema: "relay",
      poolSize: 3,
      connectTimeoutMs: 1000,
      log: { warn: (...args: unknown[]) => void warnings.push(args) },
    });
    const device = { userId, deviceId: 1, certificate: new Uint8Array(173), signingKey: new Uint8Array(32) };
    await store.saveDeviceList({
      userId,
      accountKey: new Uint8Array(32),
      deviceList: new Uint8Array([1]),
      sequence: 1,
      deviceIds: [1],
      device,
    });
    // Several idle connections in the pool, so the restart drops idle ones too.
    await Promise.all([store.enqueue([message(1)], 10), store.queueDepth(mailbox), store.fetchMessages(mailbox, 0, 10)]);
    expect(await store.health(0)).toBe("ok");

    await server.stop();
    await expect(store.enqueue([message(2)], 10)).rejects.toBeInstanceOf(StorageError);
    await expect(store.fetchMessages(mailbox, 0, 10)).rejects.toBeInstanceOf(StorageError);
    await expect(store.ack([{ mailbox, messageIds: [message(1).messageId] }], 5000)).rejects.toBeInstanceOf(StorageError);
    await expect(
      store.saveDeviceList({ userId, accountKey: new Uint8Array(32), deviceList: new Uint8Array([2]), sequence: 2, deviceIds: [1] }),
    ).rejects.toMatchObject({
      kind: "io",
    });
    expect(await store.health(0)).toBe("failing");
    expect(await store.health(0)).toBe("failing");
    // The idle connections the restart dropped were reported, not thrown.
    expect(warnings.length).toBeGreaterThan(0);

    await server.start();
    expect(await eventually(() => store?.enqueue([message(2)], 10) ?? Promise.reject(new Error("no store")))).toEqual(["ok"]);
    expect(await store.health(0)).toBe("ok");
    expect((await store.fetchMessages(mailbox, 0, 10)).map((m) => m.messageId[0])).toEqual([1, 2]);
    // Closing twice is harmless (shutdown paths may both close).
    await store.close();
    await store.close();
    store = await openPostgresStore(server.url, { schema: "relay", poolSize: 3, connectTimeoutMs: 1000 });
  }, 120_000);

  it("reports failing while the server is down and ok once it is back, with no call but health", async () => {
    if (!server || !store) throw new Error("no store");
    await server.stop();
    expect(await store.health(0)).toBe("failing");
    await server.start();
    expect(await eventually(async () => ((await store?.health(0)) === "ok" ? "ok" : Promise.reject(new Error("still failing"))))).toBe(
      "ok",
    );
  }, 120_000);
});
