// client.iceServers() across a relay restart, against real relay processes: the relay comes back
// on the same port and data with a new TURN secret, and once the client has logged in again it
// hands out credentials made with the new secret, not the cached ones the relay's TURN server
// would now refuse (spec/calls.md §8).
import { createHmac } from "node:crypto";
import type { IceServerInfo, IceServers } from "@parley/protocol/client";
import { expect, test } from "vitest";
import { newClient, waitFor } from "./support/clients.js";
import { perTestCleanups } from "./support/fixtures.js";
import { type RelayProcess, startRelay } from "./support/relay-process.js";

const { cleanups } = perTestCleanups();

const turnArgs = (secret: string) => ["--turn-url", "turn:127.0.0.1:3478", "--turn-secret", secret];

/** The TURN entry of an answer. */
function turnOf(servers: IceServers): IceServerInfo {
  const turn = servers.iceServers.find((s) => s.urls.some((u) => u.startsWith("turn:")));
  if (!turn?.username) throw new Error("the relay listed no TURN server with a username");
  return turn;
}

/** The credential coturn's use-auth-secret expects: base64(HMAC-SHA1(secret, username)). */
const coturnCredential = (secret: string, username: string | undefined) =>
  createHmac("sha1", secret)
    .update(username ?? "")
    .digest("base64");

function stopped(relay: RelayProcess): () => Promise<void> {
  return async () => {
    await relay.stop().catch(() => undefined);
  };
}

test("after the relay restarts with a new TURN secret, iceServers() gives credentials made with the new secret", async () => {
  const first = await startRelay({ args: turnArgs("turn-secret-before") });
  cleanups.push(() => first.cleanup(), stopped(first));
  const client = await newClient(first.wsUrl, "Erin");
  cleanups.push(() => client.close());
  const before = turnOf(await client.iceServers());
  expect(before.credential).toBe(coturnCredential("turn-secret-before", before.username));

  const loggedInAgain = waitFor(client, "connection", ({ state }) => state === "ready", 30_000);
  await first.stop();
  const port = Number(new URL(first.url).port);
  const second = await startRelay({ dataDir: first.dataDir, port, args: turnArgs("turn-secret-after") });
  cleanups.push(stopped(second));
  await loggedInAgain;

  const after = turnOf(await client.iceServers());
  expect(after.credential).toBe(coturnCredential("turn-secret-after", after.username));
});
