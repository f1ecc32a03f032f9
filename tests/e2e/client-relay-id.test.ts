// Challenge relaying: a hostile relay M that passes relay R's challenge through to a client that
// dialled M must not get it signed (else M logs in to R as that client). The client checks the
// challenge's relay id against the origin it dialled, always, and refuses with a typed error.

import { ErrorCode, ParleyError } from "@parley/protocol";
import { MemoryStore, ParleyClient } from "@parley/protocol/client";
import { nodeTransport } from "@parley/protocol/node";
import { decodeFrame } from "@parley/protocol/wire";
import { expect, test } from "vitest";
import { type AddressInfo, WebSocket, WebSocketServer } from "ws";
import { FAST_BACKOFF, newClient } from "./support/clients.js";
import { perTestCleanups } from "./support/fixtures.js";
import { startRelay } from "./support/relay-process.js";

const { cleanups } = perTestCleanups();

/** A WebSocket forwarder on 127.0.0.1 that pipes every client to `target`, recording client frames. */
async function forwarder(target: string): Promise<{ url: string; clientFrames: string[]; connections: () => number }> {
  const server = new WebSocketServer({ host: "127.0.0.1", port: 0 });
  await new Promise<void>((resolve) => server.once("listening", () => resolve()));
  const clientFrames: string[] = [];
  let connections = 0;
  server.on("connection", (inbound) => {
    connections++;
    const outbound = new WebSocket(target);
    const queued: Buffer[] = [];
    outbound.on("open", () => {
      for (const data of queued.splice(0)) outbound.send(data);
    });
    outbound.on("message", (data) => inbound.send(data as Buffer));
    outbound.on("close", () => inbound.close());
    outbound.on("error", () => inbound.close());
    inbound.on("message", (data) => {
      try {
        clientFrames.push(String(decodeFrame(new Uint8Array(data as Buffer)).t));
      } catch {
        clientFrames.push("?");
      }
      if (outbound.readyState === WebSocket.OPEN) outbound.send(data as Buffer);
      else queued.push(data as Buffer);
    });
    inbound.on("close", () => outbound.close());
  });
  cleanups.push(
    () =>
      new Promise<void>((resolve) => {
        for (const c of server.clients) c.terminate();
        server.close(() => resolve());
      }),
  );
  return { url: `ws://127.0.0.1:${(server.address() as AddressInfo).port}`, clientFrames, connections: () => connections };
}

test("a relay that forwards another relay's challenge gets nothing signed (ERR_RELAY_ID_MISMATCH)", async () => {
  const relay = await startRelay();
  cleanups.push(async () => {
    await relay.stop();
    relay.cleanup();
  });
  // The victim's account exists at the honest relay R.
  const store = new MemoryStore();
  const first = await newClient(relay.wsUrl, "Victim", store);
  await first.close();

  const hostile = await forwarder(relay.wsUrl);
  const client = await ParleyClient.open({ relayUrl: hostile.url, store, transport: nodeTransport, backoff: FAST_BACKOFF });
  cleanups.push(() => client.close());
  const outcome = await client.connect({ timeoutMs: 5_000 }).then(
    () => "logged in",
    (e: unknown) => e,
  );
  expect(ParleyError.is(outcome, ErrorCode.RelayIdMismatch)).toBe(true);
  // Nothing was signed: no auth or register frame ever went through the forwarder.
  expect(hostile.clientFrames.filter((t) => t === "auth" || t === "register")).toEqual([]);
  // And the client stopped: no further attempts once connect() has rejected.
  const attempts = hostile.connections();
  await new Promise((resolve) => setTimeout(resolve, 600));
  expect(hostile.connections()).toBe(attempts);
  expect(client.connectionState).toBe("disconnected");
});

test("the relay's own id matches every loopback spelling of its URL", async () => {
  const relay = await startRelay();
  cleanups.push(async () => {
    await relay.stop();
    relay.cleanup();
  });
  const port = new URL(relay.url).port;
  // The test relay listens on 127.0.0.1 only, so [::1] is covered by the unit tests instead.
  for (const url of [`ws://localhost:${port}`, `ws://127.0.0.1:${port}/`, `WS://LOCALHOST:${port}/parley`]) {
    const client = await newClient(url, "Probe");
    expect(client.connectionState).toBe("ready");
    await client.close();
  }
});
