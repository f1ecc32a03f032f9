// ParleyClient's lifecycle as an app meets it: knowing whether a store holds an account,
// connect() settling when the relay is down (timeout, AbortSignal), and close() releasing the
// store. A real WebSocket to a 127.0.0.1 port where nothing listens stands for "relay down".
import { createServer } from "node:net";
import { describe, expect, it } from "vitest";
import { createProvider } from "../crypto/select.js";
import { ErrorCode, ParleyError } from "../errors.js";
import { nodeTransport } from "../node.js";
import { CloseCode } from "../wire/codes.js";
import { ParleyClient } from "./client.js";
import { encodeRecord, NS, type OutboxEntry } from "./records.js";
import { MemoryStore } from "./store/memory-store.js";
import type { TransportFactory } from "./transport.js";

const crypto = await createProvider("node");

/** A loopback port with nothing listening on it. */
async function deadPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as { port: number };
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

/** nodeTransport, counting the connection attempts. */
function counting(): { transport: TransportFactory; attempts: () => number } {
  let n = 0;
  return {
    transport: (url, handlers) => {
      n++;
      return nodeTransport(url, handlers);
    },
    attempts: () => n,
  };
}

describe("ParleyClient lifecycle", () => {
  it("hasAccount says whether a store holds an account; open on an empty store is ERR_NO_ACCOUNT", async () => {
    const store = new MemoryStore();
    expect(await ParleyClient.hasAccount(store)).toBe(false);
    await expect(ParleyClient.open({ relayUrl: "ws://localhost:1", store, crypto })).rejects.toMatchObject({ code: ErrorCode.NoAccount });
    const client = await ParleyClient.create({ relayUrl: "ws://localhost:1", store, crypto, displayName: "A", keepStoreOpen: true });
    await client.close();
    expect(await ParleyClient.hasAccount(store)).toBe(true);
    await expect(ParleyClient.create({ relayUrl: "ws://localhost:1", store, crypto, displayName: "B" })).rejects.toMatchObject({
      code: ErrorCode.AccountExists,
    });
  });

  it("connect() with the relay down rejects with ERR_TIMEOUT after timeoutMs and stops retrying", async () => {
    const port = await deadPort();
    const { transport, attempts } = counting();
    const client = await ParleyClient.create({
      relayUrl: `ws://127.0.0.1:${port}`,
      store: new MemoryStore(),
      crypto,
      transport,
      displayName: "A",
      backoff: { baseMs: 10, capMs: 20 },
    });
    const started = Date.now();
    const outcome = await client.connect({ timeoutMs: 300 }).then(
      () => "connected",
      (e: unknown) => e,
    );
    expect(ParleyError.is(outcome, ErrorCode.Timeout)).toBe(true);
    expect(Date.now() - started).toBeLessThan(2_000);
    expect(attempts()).toBeGreaterThan(1);
    const after = attempts();
    await new Promise((resolve) => setTimeout(resolve, 200));
    expect(attempts()).toBe(after);
    expect(client.connectionState).toBe("disconnected");
    await client.close();
  });

  it("connect() rejects with the signal's reason when aborted, and at once when already aborted", async () => {
    const port = await deadPort();
    const client = await ParleyClient.create({
      relayUrl: `ws://127.0.0.1:${port}`,
      store: new MemoryStore(),
      crypto,
      transport: nodeTransport,
      displayName: "A",
      backoff: { baseMs: 10, capMs: 20 },
    });
    const controller = new AbortController();
    const connecting = client.connect({ signal: controller.signal, timeoutMs: 60_000 });
    setTimeout(() => controller.abort(new Error("user gave up")), 50);
    await expect(connecting).rejects.toThrow("user gave up");
    await expect(client.connect({ signal: AbortSignal.abort() })).rejects.toMatchObject({ name: "AbortError" });
    await client.close();
  });

  it("close() closes the store (twice is harmless); keepStoreOpen leaves it open", async () => {
    const store = new MemoryStore();
    const client = await ParleyClient.create({ relayUrl: "ws://localhost:1", store, crypto, displayName: "A" });
    await client.close();
    await client.close();
    await expect(store.get("identity", "self")).rejects.toThrow();
    const kept = new MemoryStore();
    const other = await ParleyClient.create({ relayUrl: "ws://localhost:1", store: kept, crypto, displayName: "A", keepStoreOpen: true });
    await other.close();
    expect(await kept.get("identity", "self")).toBeInstanceOf(Uint8Array);
  });

  it("every operation of a closed client rejects with ERR_CLOSED", async () => {
    const client = await ParleyClient.create({ relayUrl: "ws://localhost:1", store: new MemoryStore(), crypto, displayName: "A" });
    await client.close();
    for (const call of [
      () => client.connect(),
      () => client.sendText("@bob", "hi"),
      () => client.findContact("bob"),
      () => client.claimHandle("alice"),
      () => client.contacts(),
      () => client.messages("@bob"),
      () => client.flush(),
    ]) {
      await expect(call()).rejects.toMatchObject({ code: ErrorCode.Closed });
    }
  });

  it("flush() with sends queued and the relay connection closed for good rejects with ERR_CLOSED, never spinning", async () => {
    // The relay replaces this login at once (close 4001): the connection is closed for good.
    const replaced: TransportFactory = (_url, handlers) => {
      queueMicrotask(() => {
        handlers.onOpen();
        handlers.onClose(CloseCode.Replaced, "replaced");
      });
      return { send: () => undefined, close: () => undefined };
    };
    // Counts outbox reads, so a flush that loops without waiting fails here instead of hanging.
    let reads = 0;
    const store = new (class extends MemoryStore {
      override async list(namespace: string, prefix?: string) {
        if (namespace === NS.outbox && ++reads > 10_000) throw new Error("flush keeps re-reading the outbox without waiting");
        return super.list(namespace, prefix);
      }
    })();
    const client = await ParleyClient.create({ relayUrl: "ws://localhost:1", store, crypto, transport: replaced, displayName: "A" });
    await client.connect({ timeoutMs: 300 }).catch(() => undefined);
    expect(client.connectionState).toBe("closed");
    const entry: OutboxEntry = {
      key: "000000000000001-000000",
      userId: new Uint8Array(16),
      messages: [{ deviceId: 1, messageId: new Uint8Array(16), envelope: new Uint8Array(8) }],
      createdAt: 1,
    };
    await store.batch([{ namespace: NS.outbox, key: entry.key, value: encodeRecord(entry) }]);
    await expect(client.flush()).rejects.toMatchObject({ code: ErrorCode.Closed });
    expect(reads).toBeLessThan(100);
    await client.close();
  });

  it("an invalid relayUrl is refused when the client is made, not at the first login", async () => {
    await expect(ParleyClient.create({ relayUrl: "relay.example", store: new MemoryStore(), crypto, displayName: "A" })).rejects.toThrow(
      RangeError,
    );
  });
});
