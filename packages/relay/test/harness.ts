// In-process relay for handler tests: a real relay on an in-memory SQLite store (PostgreSQL with
// PARLEY_TEST_STORE=postgres), connections over a fake transport that records every frame the
// relay sends. No sockets.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { type ClientFrame, decodeFrame, encodeFrame, type ServerFrame, signAuthChallenge } from "@parley/protocol/wire";
import type { Connection } from "../src/connection.js";
import type { Limits } from "../src/limits.js";
import type { IceConfig } from "../src/push/ice-servers.js";
import { createRelay, type PushOptions, type Relay } from "../src/relay.js";
import { deps, type TestIdentity } from "./identities.js";
import { openTestStore } from "./pg-test-store.js";

export const RELAY_ID = "http://relay.test";

/** A connection whose sent frames are decoded into `frames`. */
export interface FakeConnection {
  readonly conn: Connection;
  readonly frames: ServerFrame[];
  closedWith?: number;
  /** Sends a client frame and waits until it (and any commit) is handled. */
  send(frame: ClientFrame): Promise<void>;
  sendBytes(bytes: Uint8Array): Promise<void>;
  /** The response with this request id. */
  response(id: number): ServerFrame | undefined;
  /** Frames of type `t`. */
  ofType<T extends ServerFrame["t"]>(t: T): Extract<ServerFrame, { t: T }>[];
  nonce(): Uint8Array;
}

export interface Harness {
  readonly relay: Relay;
  readonly clock: { now: number };
  connect(): FakeConnection;
  /** Registers `identity` on a fresh connection (asserting success). */
  register(identity: TestIdentity): Promise<FakeConnection>;
  close(): Promise<void>;
}

/** Relay options a harness passes on. */
export interface HarnessOptions {
  readonly sharedStore?: boolean;
  readonly push?: PushOptions;
  readonly ice?: Partial<IceConfig>;
}

export async function createHarness(limits: Partial<Limits> = {}, options: HarnessOptions = {}): Promise<Harness> {
  const blobDir = mkdtempSync(join(tmpdir(), "parley-relay-blobs-"));
  const clock = { now: 1_800_000_000_000 };
  const testStore = await openTestStore();
  const relay = await createRelay({
    store: testStore.store,
    blobDir,
    relayId: RELAY_ID,
    limits,
    deps,
    now: () => clock.now,
    sharedStore: options.sharedStore,
    ...(options.push ? { push: options.push } : {}),
    ...(options.ice ? { ice: options.ice } : {}),
  });
  let nextId = 1000;
  const connect = (): FakeConnection => {
    const frames: ServerFrame[] = [];
    const fake: FakeConnection = {
      conn: undefined as unknown as Connection,
      frames,
      async send(frame) {
        await fake.sendBytes(encodeFrame(frame));
      },
      async sendBytes(bytes) {
        relay.receive(fake.conn, bytes);
        await relay.idle(fake.conn);
        // A networked store's deliveries finish after the handler; give them time to land.
        await new Promise((r) => (testStore.settleMs > 0 ? setTimeout(r, testStore.settleMs) : setImmediate(r)));
      },
      response: (id) => frames.find((f) => "id" in f && f.id === id),
      ofType: <T extends ServerFrame["t"]>(t: T) => frames.filter((f): f is Extract<ServerFrame, { t: T }> => f.t === t),
      nonce() {
        const challenge = frames[0];
        if (challenge?.t !== "challenge") throw new Error("no challenge");
        return challenge.nonce;
      },
    };
    const transport = {
      send: (bytes: Uint8Array) => frames.push(decodeFrame(bytes) as ServerFrame),
      close: (code: number) => {
        fake.closedWith = code;
        relay.disconnect(fake.conn);
      },
      bufferedAmount: 0,
    };
    (fake as { conn: Connection }).conn = relay.connect(transport);
    return fake;
  };
  return {
    relay,
    clock,
    connect,
    async register(identity) {
      const c = connect();
      const id = nextId++;
      const signature = signAuthChallenge(deps, identity.device, c.nonce(), RELAY_ID);
      await c.send({ t: "register", id, certificate: identity.device.certificate, deviceList: identity.deviceList, signature });
      const response = c.response(id);
      if (response?.t !== "ok") throw new Error(`register failed: ${JSON.stringify(response)}`);
      return c;
    },
    async close() {
      await relay.shutdown();
      await testStore.dispose();
      rmSync(blobDir, { recursive: true, force: true });
    },
  };
}

let requestIds = 1;
type DistributiveOmit<T, K extends PropertyKey> = T extends unknown ? Omit<T, K> : never;

/** Sends a request with a fresh id and returns its response (throws if there is none). */
export async function request(c: FakeConnection, frame: DistributiveOmit<ClientFrame, "id">): Promise<ServerFrame> {
  const id = requestIds++;
  await c.send({ ...frame, id } as ClientFrame);
  const response = c.response(id);
  if (!response) throw new Error(`no response to ${frame.t}`);
  return response;
}

/** The error code of a response, or its type when it is not an error. */
export function codeOf(frame: ServerFrame): string {
  return frame.t === "error" ? frame.code : frame.t;
}
