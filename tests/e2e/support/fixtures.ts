// Per-file fixtures of the end-to-end tests: one relay process shared by a file's tests, or
// cleanups (relays included) run after each test. Call them at a test file's top level.
import type { ParleyClient } from "@parley/protocol/client";
import { afterAll, afterEach, beforeAll } from "vitest";
import { type RelayProcess, startRelay } from "./relay-process.js";

/** One relay process for the whole file; the clients pushed to `clients` are closed before it stops. */
export function sharedRelay(): { readonly relay: RelayProcess; readonly clients: ParleyClient[] } {
  let relay: RelayProcess | undefined;
  const clients: ParleyClient[] = [];
  beforeAll(async () => {
    relay = await startRelay();
  });
  afterAll(async () => {
    await Promise.all(clients.map((c) => c.close()));
    await relay?.stop();
    relay?.cleanup();
  });
  return {
    get relay() {
      if (!relay) throw new Error("the shared relay starts in beforeAll");
      return relay;
    },
    clients,
  };
}

/** Cleanups run newest first after each test, and `relay()`, a relay process stopped by them. */
export function perTestCleanups(): { readonly cleanups: Array<() => Promise<void> | void>; relay(): Promise<RelayProcess> } {
  const cleanups: Array<() => Promise<void> | void> = [];
  afterEach(async () => {
    for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
  });
  return {
    cleanups,
    async relay() {
      const relay = await startRelay();
      cleanups.push(async () => {
        await relay.stop().catch(() => undefined);
        relay.cleanup();
      });
      return relay;
    },
  };
}
