// Helpers for end-to-end tests: real ParleyClients over `ws` to a real relay process.

import { ParleyError } from "@parley/protocol";
import { type ClientEvents, MemoryStore, ParleyClient, type ParleyClientOptions, type Store } from "@parley/protocol/client";
import { nodeTransport } from "@parley/protocol/node";

export const FAST_BACKOFF = { baseMs: 50, capMs: 500 } as const;

/** A new account, connected. A `store` passed in stays open after the client closes (the test reuses it). */
export async function newClient(
  wsUrl: string,
  displayName: string,
  store?: Store,
  options: Partial<ParleyClientOptions> = {},
): Promise<ParleyClient> {
  const client = await ParleyClient.create({
    relayUrl: wsUrl,
    store: store ?? new MemoryStore(),
    transport: nodeTransport,
    displayName,
    backoff: FAST_BACKOFF,
    requestTimeoutMs: 5_000,
    keepStoreOpen: store !== undefined,
    ...options,
  });
  await client.connect();
  return client;
}

export async function reopenClient(wsUrl: string, store: Store, options: Partial<ParleyClientOptions> = {}): Promise<ParleyClient> {
  const client = await ParleyClient.open({
    relayUrl: wsUrl,
    store,
    keepStoreOpen: true,
    transport: nodeTransport,
    backoff: FAST_BACKOFF,
    requestTimeoutMs: 5_000,
    ...options,
  });
  return client;
}

/** Resolves with the first `event` payload matching `filter`, or rejects after `ms`. */
export function waitFor<K extends keyof ClientEvents>(
  client: ParleyClient,
  event: K,
  filter: (payload: ClientEvents[K]) => boolean = () => true,
  ms = 10_000,
): Promise<ClientEvents[K]> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      off();
      reject(new Error(`timed out waiting for ${String(event)}`));
    }, ms);
    const off = client.on(event, (payload) => {
      if (!filter(payload)) return;
      clearTimeout(timer);
      off();
      resolve(payload);
    });
  });
}

/** Collects every payload of `event` into an array. */
export function collect<K extends keyof ClientEvents>(client: ParleyClient, event: K): ClientEvents[K][] {
  const out: ClientEvents[K][] = [];
  client.on(event, (payload) => out.push(payload));
  return out;
}

/** Polls `check` until it returns true (or throws after `ms`). */
export async function eventually(check: () => Promise<boolean> | boolean, ms = 10_000): Promise<void> {
  const end = Date.now() + ms;
  while (!(await check())) {
    if (Date.now() > end) throw new Error("condition not met in time");
    await new Promise((r) => setTimeout(r, 20));
  }
}

/**
 * Breaks Bob's session with Alice the way a corrupted or rolled-back store would (his session
 * records are deleted), then has Alice send into it; resolves once both sides show the repair
 * notice. `bobStore` is the store Bob's client runs on.
 */
export async function breakBobsSession(alice: ParleyClient, bob: ParleyClient, bobStore: Store, bobId: string): Promise<void> {
  for (const [key] of await bobStore.list("sessions")) await bobStore.batch([{ namespace: "sessions", key, value: undefined }]);
  const bobNotice = waitFor(bob, "message", (m) => m.kind === "notice");
  const aliceNotice = waitFor(alice, "message", (m) => m.kind === "notice");
  await alice.sendText(bobId, "lost in the broken session");
  await bobNotice;
  await aliceNotice;
}

/** Every piece of a stream (an attachment's plaintext), joined. */
export async function readAll(stream: AsyncIterable<Uint8Array>): Promise<Uint8Array> {
  const parts: Uint8Array[] = [];
  for await (const part of stream) parts.push(part);
  return Buffer.concat(parts);
}

/** The ParleyError code `run` rejects with (or the error as text; undefined when it resolves). */
export async function errorCodeOf(run: () => Promise<unknown>): Promise<string | undefined> {
  try {
    await run();
  } catch (error) {
    return error instanceof ParleyError ? error.code : String(error);
  }
  return undefined;
}
