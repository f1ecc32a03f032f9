// The relay serves wss:// and https:// when given a certificate and key; clients chat over it.
import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { get } from "node:https";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { MemoryStore, ParleyClient, type WebSocketConstructor, webSocketTransport } from "@parley/protocol/client";
import { afterAll, beforeAll, expect, test } from "vitest";
import { WebSocket } from "ws";
import { FAST_BACKOFF, waitFor } from "./support/clients.js";
import { type RelayProcess, startRelay } from "./support/relay-process.js";

let relay: RelayProcess;
let dir: string;
let cert: Buffer;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), "parley-tls-"));
  const certFile = join(dir, "cert.pem");
  const keyFile = join(dir, "key.pem");
  execFileSync(
    "openssl",
    [
      "req",
      "-x509",
      "-newkey",
      "ec",
      "-pkeyopt",
      "ec_paramgen_curve:P-256",
      "-nodes",
      "-days",
      "1",
      "-subj",
      "/CN=localhost",
      "-addext",
      "subjectAltName=DNS:localhost,IP:127.0.0.1",
      "-keyout",
      keyFile,
      "-out",
      certFile,
    ],
    { stdio: "ignore" },
  );
  cert = readFileSync(certFile);
  relay = await startRelay({ args: ["--tls-cert", certFile, "--tls-key", keyFile] });
});

afterAll(async () => {
  await relay?.stop();
  relay?.cleanup();
  rmSync(dir, { recursive: true, force: true });
});

test("the relay announces https, answers /healthz over TLS, and two clients chat over wss", async () => {
  expect(relay.url).toMatch(/^https:\/\/localhost:\d+$/);
  const health = await new Promise<string>((resolve, reject) => {
    get(`${relay.url}/healthz`, { ca: cert }, (res) => {
      let body = "";
      res.on("data", (d) => {
        body += d;
      });
      res.on("end", () => resolve(body));
    }).on("error", reject);
  });
  expect(JSON.parse(health)).toEqual({ status: "ok" });

  // A WebSocket that trusts the test certificate authority.
  class TrustingWebSocket extends WebSocket {
    constructor(url: string) {
      super(url, { ca: cert });
    }
  }
  const transport = webSocketTransport(TrustingWebSocket as unknown as WebSocketConstructor);
  const wssUrl = relay.url.replace(/^https/, "wss");
  const make = async (name: string) => {
    const client = await ParleyClient.create({
      relayUrl: wssUrl,
      store: new MemoryStore(),
      transport,
      displayName: name,
      backoff: FAST_BACKOFF,
      relayId: relay.url,
    });
    await client.connect();
    return client;
  };
  const alice = await make("Alice");
  const bob = await make("Bob");
  try {
    await bob.claimHandle("bob");
    const bobId = (await alice.findContact("bob")).id;
    const got = waitFor(bob, "message");
    await alice.sendText(bobId, "over TLS");
    expect((await got).text).toBe("over TLS");
  } finally {
    await alice.close();
    await bob.close();
  }
});
