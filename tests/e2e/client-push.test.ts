// The client's push and call surface against a real relay process: the VAPID key for
// PushManager.subscribe, registering a subscription (toJSON shape) that the relay then pushes to
// when mail arrives while the device is offline (one content-free push to a loopback
// push-service recorder), removing it, and STUN/TURN servers with coturn-style credentials.
import { createECDH, createHmac } from "node:crypto";
import { createServer, type IncomingHttpHeaders } from "node:http";
import type { AddressInfo } from "node:net";
import { ParleyError } from "@parley/protocol";
import type { ParleyClient } from "@parley/protocol/client";
import { afterAll, beforeAll, expect, test } from "vitest";
import { eventually, newClient } from "./support/clients.js";
import { type RelayProcess, startRelay } from "./support/relay-process.js";

const TURN_SECRET = "e2e-turn-secret";
let relay: RelayProcess;
const clients: ParleyClient[] = [];
const pushes: { url: string; headers: IncomingHttpHeaders; body: Buffer }[] = [];
const pushService = createServer((req, res) => {
  const chunks: Buffer[] = [];
  req.on("data", (c: Buffer) => chunks.push(c));
  req.on("end", () => {
    pushes.push({ url: req.url ?? "", headers: req.headers, body: Buffer.concat(chunks) });
    res.writeHead(201).end();
  });
});

beforeAll(async () => {
  await new Promise<void>((resolve) => pushService.listen(0, "127.0.0.1", resolve));
  relay = await startRelay({
    args: ["--allow-loopback-push", "--stun-url", "stun:127.0.0.1:3478", "--turn-url", "turn:127.0.0.1:3478", "--turn-secret", TURN_SECRET],
  });
});
afterAll(async () => {
  await Promise.all(clients.map((c) => c.close()));
  await relay?.stop();
  relay?.cleanup();
  pushService.closeAllConnections();
  await new Promise<void>((resolve) => pushService.close(() => resolve()));
});

const b64url = (b: Uint8Array) => Buffer.from(b).toString("base64url");
const subscription = (path: string) => ({
  endpoint: `http://127.0.0.1:${(pushService.address() as AddressInfo).port}/push/${path}`,
  keys: { p256dh: b64url(createECDH("prime256v1").generateKeys()), auth: b64url(new Uint8Array(16).fill(1)) },
});

test("a subscribed device that is offline gets one content-free push when mail arrives", async () => {
  const alice = await newClient(relay.wsUrl, "Alice");
  const bob = await newClient(relay.wsUrl, "Bob");
  clients.push(alice, bob);
  const config = await alice.pushConfig();
  expect(config.vapidPublicKey).toHaveLength(65);
  expect(Buffer.from(config.applicationServerKey, "base64url")).toEqual(Buffer.from(config.vapidPublicKey));
  // The key is the relay's, not the connection's: another client gets the same.
  expect((await bob.pushConfig()).applicationServerKey).toBe(config.applicationServerKey);
  const overHttp = await fetch(`${relay.url}/push/vapid-public-key`);
  expect(await overHttp.json()).toEqual({ vapidPublicKey: config.applicationServerKey });
  await alice.claimHandle("pushalice");
  await alice.setPushSubscription(subscription("alice"));
  await alice.close();
  const atBob = await bob.findContact("pushalice");
  await bob.sendText(atBob.id, "the secret plan");
  await eventually(async () => pushes.length === 1);
  const [push] = pushes;
  expect(push?.url).toBe("/push/alice");
  expect(push?.headers["content-encoding"]).toBe("aes128gcm");
  expect(push?.headers.authorization).toMatch(new RegExp(`^vapid t=[\\w-]+\\.[\\w-]+\\.[\\w-]+, k=${config.applicationServerKey}$`));
  expect(push?.body.includes("secret plan")).toBe(false);
});

test("removing the subscription stops pushes; a malformed one is refused before it leaves the client", async () => {
  const carol = await newClient(relay.wsUrl, "Carol");
  const dave = await newClient(relay.wsUrl, "Dave");
  clients.push(carol, dave);
  await carol.claimHandle("pushcarol");
  await carol.setPushSubscription(subscription("carol"));
  await carol.setPushSubscription(null);
  await expect(carol.setPushSubscription({ ...subscription("x"), keys: { p256dh: "AAAA", auth: "AAAA" } })).rejects.toThrow(RangeError);
  await expect(carol.setPushSubscription({ ...subscription("x"), endpoint: "ftp://push.example/x" })).rejects.toThrow(RangeError);
  // Plain http to a public host: the relay refuses it.
  await expect(carol.setPushSubscription({ ...subscription("x"), endpoint: "http://push.example/x" })).rejects.toThrow(ParleyError);
  await carol.close();
  const atDave = await dave.findContact("pushcarol");
  const before = pushes.length;
  await dave.sendText(atDave.id, "anyone there?");
  await dave.flush();
  await new Promise((resolve) => setTimeout(resolve, 300));
  expect(pushes.filter((p) => p.url === "/push/carol")).toHaveLength(0);
  expect(pushes.length).toBe(before);
});

test("ICE servers: STUN, and TURN with a credential coturn's use-auth-secret accepts", async () => {
  const erin = await newClient(relay.wsUrl, "Erin");
  clients.push(erin);
  const { iceServers, expiresAt } = await erin.iceServers();
  expect(iceServers[0]).toEqual({ urls: ["stun:127.0.0.1:3478"] });
  const turn = iceServers[1];
  expect(turn?.urls).toEqual(["turn:127.0.0.1:3478"]);
  const [expiry] = (turn?.username ?? "").split(":");
  expect(Number(expiry) * 1000).toBe(expiresAt);
  expect(Number(expiry) * 1000 - Date.now()).toBeGreaterThan(5 * 3600 * 1000);
  expect(turn?.credential).toBe(
    createHmac("sha1", TURN_SECRET)
      .update(turn?.username ?? "")
      .digest("base64"),
  );
});
