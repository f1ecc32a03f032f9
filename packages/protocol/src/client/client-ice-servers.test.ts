// ParleyClient.iceServers() across reconnects, over an in-process relay: the answer is cached
// while the login lasts, and a new login (the relay restarted, perhaps with a new TURN secret)
// drops it, so the next call asks the relay again. tests/e2e/client-ice-servers.test.ts does
// the same against a real relay process restarted with another --turn-secret.
import { describe, expect, test } from "vitest";
import { createProvider } from "../crypto/select.js";
import { decodeFrame, encodeFrame } from "../wire/codec.js";
import type { ClientFrame, ServerFrame } from "../wire/frames.js";
import { ParleyClient } from "./client.js";
import { MemoryStore } from "./store/memory-store.js";
import type { TransportFactory, TransportHandlers } from "./transport.js";

const crypto = await createProvider("node");
const RELAY_URL = "ws://relay.test";
const TTL_MS = 6 * 3600_000;

/**
 * A relay in process: a challenge on every connection, `ok` to every request but
 * `fetch_ice_servers`, which gets a TURN credential named after the current `secret` and
 * numbered; `drop()` cuts the live connection as a relay restart would.
 */
function scriptedRelay() {
  const state = { secret: "secret-1", iceAnswers: 0 };
  const sockets: { handlers: TransportHandlers; closed: boolean }[] = [];
  const answer = (frame: ClientFrame & { id: number }): ServerFrame => {
    if (frame.t !== "fetch_ice_servers") return { t: "ok", id: frame.id };
    state.iceAnswers += 1;
    const servers = [{ urls: ["turn:127.0.0.1:3478"], username: "expiry:device", credential: `${state.secret}/${state.iceAnswers}` }];
    return { t: "ice_servers", id: frame.id, servers, expiresAt: Date.now() + TTL_MS };
  };
  const transport: TransportFactory = (_url, handlers) => {
    const socket = { handlers, closed: false };
    sockets.push(socket);
    queueMicrotask(() => {
      handlers.onOpen();
      handlers.onMessage(encodeFrame({ t: "challenge", nonce: new Uint8Array(32), relayId: RELAY_URL }));
    });
    return {
      send: (data) => {
        const reply = answer(decodeFrame(data) as ClientFrame & { id: number });
        queueMicrotask(() => {
          if (!socket.closed) handlers.onMessage(encodeFrame(reply));
        });
      },
      close: () => {
        if (socket.closed) return;
        socket.closed = true;
        queueMicrotask(() => handlers.onClose(1000, ""));
      },
    };
  };
  const drop = () => {
    const live = sockets.at(-1);
    if (!live || live.closed) return;
    live.closed = true;
    live.handlers.onClose(1006, "relay restarted");
  };
  return { transport, state, drop, logins: () => sockets.length };
}

async function connected(relay: ReturnType<typeof scriptedRelay>): Promise<ParleyClient> {
  const client = await ParleyClient.create({
    relayUrl: RELAY_URL,
    store: new MemoryStore(),
    crypto,
    transport: relay.transport,
    displayName: "A",
    backoff: { baseMs: 5, capMs: 10 },
  });
  await client.connect({ timeoutMs: 5_000 });
  return client;
}

/** Resolves at the client's next `connection` event in state `ready`. */
function nextLogin(client: ParleyClient): Promise<void> {
  return new Promise((resolve) => {
    const off = client.on("connection", ({ state }) => {
      if (state !== "ready") return;
      off();
      resolve();
    });
  });
}

describe("ParleyClient.iceServers across reconnects", () => {
  test("cached while the login lasts; after the relay comes back with a new TURN secret, the new credentials", async () => {
    const relay = scriptedRelay();
    const client = await connected(relay);
    expect((await client.iceServers()).iceServers[0]?.credential).toBe("secret-1/1");
    expect((await client.iceServers()).iceServers[0]?.credential).toBe("secret-1/1");
    expect(relay.state.iceAnswers).toBe(1);

    relay.state.secret = "secret-2";
    const back = nextLogin(client);
    relay.drop();
    await back;
    expect(relay.logins()).toBe(2);
    expect((await client.iceServers()).iceServers[0]?.credential).toBe("secret-2/2");
    expect((await client.iceServers()).iceServers[0]?.credential).toBe("secret-2/2");
    expect(relay.state.iceAnswers).toBe(2);
    await client.close();
  });

  test("asked in the `ready` event of the new login, the servers already come from the relay again", async () => {
    const relay = scriptedRelay();
    const client = await connected(relay);
    await client.iceServers();
    relay.state.secret = "secret-2";
    const asked = new Promise<string | undefined>((resolve, reject) => {
      const off = client.on("connection", ({ state }) => {
        if (state !== "ready") return;
        off();
        client.iceServers().then((servers) => resolve(servers.iceServers[0]?.credential), reject);
      });
    });
    relay.drop();
    expect(await asked).toBe("secret-2/2");
    await client.close();
  });
});
