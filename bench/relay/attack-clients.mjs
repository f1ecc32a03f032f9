// Clients of the attack benchmark (bench/relay/attack.mjs): a small wire client (requests
// matched by id, pushed frames to a callback), real identities made with the protocol's own
// functions, the honest pair's round-trip loop, and the relay process it attacks.
import { spawn } from "node:child_process";
import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { generateAccount, generateDevice, loadCryptoProvider, signDeviceList } from "@parley/protocol";
import { decodeFrame, encodeFrame, signAuthChallenge } from "@parley/protocol/wire";
import WebSocket from "ws";

export const RELAY_BIN = fileURLToPath(new URL("../../packages/relay/dist/bin.js", import.meta.url));
export const deps = { crypto: await loadCryptoProvider() };

/** A new account with one device (id 1) and its signed device list. */
export function newIdentity() {
  const account = generateAccount(deps);
  const device = generateDevice(deps, account, 1);
  return { account, device, deviceList: signDeviceList(deps, account, 1, [1]) };
}

export const randomId = () => deps.crypto.randomBytes(16);

/** One WebSocket to the relay. `onPush(frame)` gets every frame without a request id. */
export class WireClient {
  static async connect(url, onPush = () => {}, { zeroMask = false } = {}) {
    // An attacker's own cost of masking (an all-zero mask lets ws skip it) is not the relay's.
    const ws = new WebSocket(url, { perMessageDeflate: false, ...(zeroMask ? { generateMask: (mask) => mask.fill(0) } : {}) });
    const client = new WireClient(ws, onPush);
    await new Promise((resolve, reject) => {
      ws.once("open", resolve);
      ws.once("error", reject);
    });
    // The relay may close before its challenge (e.g. 4029, too many connections from this address).
    const closed = new Promise((_, reject) => ws.once("close", (code) => reject(new Error(`closed before the challenge (${code})`))));
    closed.catch(() => {});
    await Promise.race([client.challengeReceived, closed]);
    return client;
  }

  constructor(ws, onPush) {
    this.ws = ws;
    this.nextId = 1;
    this.waiting = new Map();
    this.closeCode = undefined;
    this.challengeReceived = new Promise((resolve) => {
      this.gotChallenge = resolve;
    });
    ws.on("error", () => {});
    ws.on("close", (code) => {
      this.closeCode = code;
      for (const settle of this.waiting.values()) settle(undefined);
      this.waiting.clear();
    });
    ws.on("message", (data) => {
      const frame = decodeFrame(new Uint8Array(data));
      if (frame.t === "challenge") {
        this.challenge = frame;
        this.gotChallenge();
        return;
      }
      const settle = frame.id === undefined ? undefined : this.waiting.get(frame.id);
      if (settle) {
        this.waiting.delete(frame.id);
        settle(frame);
      } else onPush(frame, this);
    });
  }

  get open() {
    return this.ws.readyState === WebSocket.OPEN;
  }

  /** Sends a request; resolves with its answer, or undefined if the connection closed or `timeoutMs` passed. */
  request(frame, timeoutMs = 10_000) {
    const id = this.nextId++;
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        this.waiting.delete(id);
        resolve(undefined);
      }, timeoutMs);
      this.waiting.set(id, (answer) => {
        clearTimeout(timer);
        resolve(answer);
      });
      if (this.open) this.ws.send(encodeFrame({ ...frame, id }));
    });
  }

  /** Registers (first time) the identity's device on this connection. */
  register(identity) {
    const signature = signAuthChallenge(deps, identity.device, this.challenge.nonce, this.challenge.relayId);
    return this.request({ t: "register", certificate: identity.device.certificate, deviceList: identity.deviceList, signature });
  }

  /** Logs in as an already registered device. */
  auth(identity) {
    const signature = signAuthChallenge(deps, identity.device, this.challenge.nonce, this.challenge.relayId);
    return this.request({ t: "auth", userId: identity.account.userId, deviceId: 1, signature });
  }

  terminate() {
    this.ws.terminate();
  }
}

/** A device that acknowledges everything it receives and hands each message to `onMessage`. */
export async function readingDevice(url, identity, onMessage = () => {}, { register = false } = {}) {
  // Acks of one event-loop turn go out as one frame, as a real client batches them.
  let toAck = [];
  const client = await WireClient.connect(url, (frame, c) => {
    if (frame.t !== "message") return;
    if (toAck.length === 0) {
      setImmediate(() => {
        for (let i = 0; i < toAck.length; i += 1024) c.request({ t: "ack", messageIds: toAck.slice(i, i + 1024) });
        toAck = [];
      });
    }
    toAck.push(frame.messageId);
    onMessage(frame);
  });
  const answer = await (register ? client.register(identity) : client.auth(identity));
  if (answer?.t !== "ok") throw new Error(`login failed: ${JSON.stringify(answer)}`);
  return client;
}

/**
 * The honest pair: Alice sends Bob a message, Bob's client answers it, and the round trip ends
 * when Alice receives the answer. One round trip at a time, 20 ms apart. `samples` collects
 * `{ startedAt, ms }` per round trip (a round trip not completed within 10 s counts as 10,000 ms
 * and a failure); `failures` lists the start times of sends not answered OK or not completed.
 * `idle()` resolves once the round trip in flight has ended, so a phase can wait for its last
 * one instead of losing a stall that outlasts it.
 */
export async function honestPair(url, alice, bob) {
  const state = { samples: [], failures: [], running: true, current: Promise.resolve() };
  let pending;
  const bobClient = await readingDevice(url, bob, (frame) => {
    const tag = Buffer.from(frame.envelope).toString();
    if (!tag.startsWith("ping:")) return;
    bobClient.request({
      t: "send",
      messages: [{ userId: alice.account.userId, deviceId: 1, messageId: randomId(), envelope: Buffer.from(`pong:${tag.slice(5)}`) }],
    });
  });
  const aliceClient = await readingDevice(url, alice, (frame) => {
    const tag = Buffer.from(frame.envelope).toString();
    if (pending && tag === `pong:${pending.n}`) pending.resolve();
  });
  state.loop = (async () => {
    for (let n = 0; state.running; n++) {
      const started = performance.now();
      let ended;
      state.current = new Promise((resolve) => {
        ended = resolve;
      });
      const arrived = new Promise((resolve) => {
        pending = { n, resolve };
      });
      const answer = await aliceClient.request({
        t: "send",
        messages: [{ userId: bob.account.userId, deviceId: 1, messageId: randomId(), envelope: Buffer.from(`ping:${n}`) }],
      });
      if (answer?.results?.[0] !== "OK") state.failures.push(started);
      const done = await Promise.race([arrived.then(() => true), new Promise((r) => setTimeout(() => r(false), 10_000))]);
      state.samples.push({ startedAt: started, ms: done ? performance.now() - started : 10_000 });
      if (!done) state.failures.push(started);
      ended();
      await new Promise((r) => setTimeout(r, 20));
    }
  })();
  state.idle = () => state.current;
  state.stop = async () => {
    state.running = false;
    await state.loop;
    aliceClient.terminate();
    bobClient.terminate();
  };
  return state;
}

/** Starts the built relay on 127.0.0.1 with a fresh data dir; resolves with its url and pid. */
export async function startRelay(dataDir, args = [], nodeArgs = [], relayBin = RELAY_BIN) {
  const child = spawn(
    process.execPath,
    [...nodeArgs, relayBin, "--host", "127.0.0.1", "--port", "0", "--data", dataDir, "--log-level", "warn", ...args],
    {
      stdio: ["ignore", "pipe", "pipe"],
    },
  );
  let output = "";
  child.stdout.on("data", (d) => {
    output += d;
  });
  child.stderr.on("data", (d) => {
    output += d;
  });
  const port = await new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`relay did not start: ${output}`)), 15_000);
    const check = () => {
      const match = /listening on https?:\/\/[^:]+:(\d+)/.exec(output);
      if (!match) return;
      clearTimeout(timer);
      resolve(Number(match[1]));
    };
    child.stdout.on("data", check);
    child.once("exit", () => reject(new Error(`relay exited: ${output}`)));
  });
  return { child, url: `ws://127.0.0.1:${port}/`, output: () => output };
}

/** Resident set size of a process in MiB, from /proc (Linux). */
export function rssMiB(pid) {
  const line = readFileSync(`/proc/${pid}/status`, "utf8")
    .split("\n")
    .find((l) => l.startsWith("VmRSS:"));
  return line ? Number(line.split(/\s+/)[1]) / 1024 : Number.NaN;
}
