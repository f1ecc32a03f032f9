// The relay half of the groups benchmark: a real relay process (the built bin, SQLite store,
// WAL, synchronous=FULL) on 127.0.0.1 with every member registered and a delivery token set. A
// sender on an anonymous connection sends the `multi_send` frame; timed until the relay's `sent`
// (answered only after every mailbox row is committed) and until connected members receive it.
// Also the removal's burst: every pairwise distribution as a `sealed_send`, then the next
// `multi_send`, pipelined on one connection, timed until the last `sent`.
import { decodeFrame, encodeFrame, multiEnvelope, signAuthChallenge } from "@parley/protocol/wire";
import WebSocket from "ws";
import { median, spread } from "../lib/harness.mjs";
import { startServer } from "../relay/processes.mjs";

const TIMEOUT_MS = 60_000;

/** One WebSocket to the relay: requests answered by id, incoming messages to `onMessage`. */
class Client {
  static async open(url, { member, register = false, login = false, onMessage } = {}) {
    const ws = new WebSocket(url, { perMessageDeflate: false, maxPayload: 16 * 1024 * 1024 });
    ws.binaryType = "nodebuffer";
    const client = new Client(ws, onMessage);
    await new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error("relay connection: no challenge within 15 s")), 15_000);
      client.onChallenge = (frame) => {
        clearTimeout(timer);
        client.challenge = frame;
        resolve();
      };
      ws.once("error", reject);
    });
    if (register || login) {
      const signature = signAuthChallenge(member.deps, member.device, client.challenge.nonce, client.challenge.relayId);
      const frame = register
        ? { t: "register", id: client.nextId++, certificate: member.device.certificate, deviceList: member.deviceList, signature }
        : { t: "auth", id: client.nextId++, userId: member.account.userId, deviceId: member.deviceId, signature };
      await client.request(frame);
    }
    return client;
  }

  constructor(ws, onMessage = () => {}) {
    this.ws = ws;
    this.nextId = 1;
    this.waiting = new Map();
    this.onMessage = onMessage;
    this.errors = [];
    ws.on("message", (data) => this.receive(decodeFrame(data)));
    ws.on("close", () => {
      for (const [, { reject }] of this.waiting) reject(new Error("relay connection closed"));
      this.waiting.clear();
    });
  }

  receive(frame) {
    if (frame.t === "challenge") return this.onChallenge?.(frame);
    if (frame.t === "message") {
      this.onMessage(frame, this);
      this.ws.send(encodeFrame({ t: "ack", id: 0x4000_0000 + this.nextId++, messageIds: [frame.messageId] }));
      return;
    }
    const waiter = frame.id === undefined ? undefined : this.waiting.get(frame.id);
    if (!waiter) {
      if (frame.t === "error") this.errors.push(`${frame.code}: ${frame.message ?? ""}`);
      return;
    }
    this.waiting.delete(frame.id);
    if (frame.t === "error") waiter.reject(new Error(`relay: ${frame.code} ${frame.message ?? ""}`));
    else waiter.resolve(frame);
  }

  /** Sends an encoded or plain frame and resolves with the answer to its id. */
  request(frame, id = frame.id) {
    return new Promise((resolve, reject) => {
      this.waiting.set(id, { resolve, reject });
      this.ws.send(frame instanceof Uint8Array ? frame : encodeFrame(frame));
    });
  }

  close() {
    this.ws.terminate();
  }
}

/** Runs `task` over `items` with at most `limit` at once. */
async function pool(items, limit, task) {
  let next = 0;
  const worker = async () => {
    while (next < items.length) await task(items[next++]);
  };
  await Promise.all(Array.from({ length: limit }, worker));
}

const summarise = (values) => ({ median: median(values), spread: spread(values), samples: values });

/**
 * Starts the relay and registers every device with its member's delivery token (untimed set-up).
 * A member's devices register one after another, in device order (their lists' sequences rise).
 */
export async function startRelay(devices, { dataDir, limits, log }) {
  const server = await startServer("relay", { dataDir, limits });
  const started = performance.now();
  const byMember = new Map();
  for (const device of devices) byMember.set(device.account, [...(byMember.get(device.account) ?? []), device]);
  await pool([...byMember.values()], 16, async (memberDevices) => {
    for (const member of memberDevices) {
      const client = await Client.open(server.url, { member, register: true });
      if (member === memberDevices[0]) {
        const tokenHash = member.deps.crypto.sha256(member.token);
        await client.request({ t: "set_delivery_token", id: client.nextId++, tokenHash, open: false });
      }
      client.close();
    }
  });
  const seconds = ((performance.now() - started) / 1000).toFixed(1);
  log(`  ${devices.length} devices of ${byMember.size} members registered with delivery tokens in ${seconds} s (untimed set-up)`);
  return server;
}

/** Logs in the first `count` members and waits for their messages (acknowledging each). */
async function connectRecipients(server, members, count) {
  const arrivals = [];
  const clients = [];
  for (const member of members.slice(0, count)) {
    clients.push(
      await Client.open(server.url, {
        member,
        login: true,
        onMessage: (frame) => {
          const at = process.hrtime.bigint();
          for (const a of arrivals) a(member, frame, at);
        },
      }),
    );
  }
  return { clients, arrivals };
}

const msSince = (from, to = process.hrtime.bigint()) => Number(to - from) / 1e6;

/**
 * Times `rounds` group messages (after one warm-up) to the first `n` members at the relay.
 * `makeMessage(members)` seals one (untimed). Every `sent` result must be OK and each connected
 * recipient must receive exactly its envelope.
 */
export async function measureRelaySend(server, group, n, { rounds, connected, makeMessage, log }) {
  const members = group.members.slice(0, n * group.devicesPerMember);
  const sender = await Client.open(server.url);
  const recipients = await connectRecipients(server, members, Math.min(connected, members.length));
  const sentMs = [];
  const firstMs = [];
  const allMs = [];
  try {
    for (let r = 0; r < rounds + 1; r++) {
      const message = makeMessage(members);
      const expected = new Map(recipients.clients.map((_, i) => [i, multiEnvelope(message.headers[i], message.payload)]));
      const got = new Map();
      let done;
      const arrived = new Promise((resolve) => {
        done = resolve;
      });
      const t0 = process.hrtime.bigint();
      const listener = (member, frame, at) => {
        const i = members.indexOf(member);
        if (!expected.has(i) || !Buffer.from(frame.envelope).equals(Buffer.from(expected.get(i)))) return;
        got.set(i, msSince(t0, at));
        if (got.size === expected.size) done();
      };
      recipients.arrivals.push(listener);
      const sent = await sender.request(message.frame, decodeFrame(message.frame).id);
      const tSent = msSince(t0);
      await Promise.race([
        arrived,
        new Promise((_, reject) => setTimeout(() => reject(new Error("recipients did not all receive the group message")), TIMEOUT_MS)),
      ]);
      recipients.arrivals.length = 0;
      const bad = sent.results.filter((x) => x !== "OK");
      if (sent.results.length !== members.length || bad.length > 0) {
        throw new Error(`multi_send to ${members.length} devices: ${sent.results.length} results, not OK: ${bad.slice(0, 3)}`);
      }
      if (r === 0) continue;
      sentMs.push(tSent);
      firstMs.push(Math.min(...got.values()));
      allMs.push(Math.max(...got.values()));
      log(
        `  relay, ${n} members × ${group.devicesPerMember} devices, round ${r}/${rounds}: sent after ${tSent.toFixed(1)} ms; ${got.size} connected got it after ${Math.min(...got.values()).toFixed(1)}–${Math.max(...got.values()).toFixed(1)} ms`,
      );
    }
  } finally {
    sender.close();
    for (const c of recipients.clients) c.close();
  }
  return {
    n,
    devices: members.length,
    connected: recipients.clients.length,
    sentMs: summarise(sentMs),
    firstMs: summarise(firstMs),
    allMs: summarise(allMs),
  };
}

/**
 * Replays each removal round's frames (pairwise distributions as `sealed_send`, then the next
 * `multi_send`) on one anonymous connection, back to back; timed until every `sent` is in and
 * until the connected recipients hold both their distribution and the next message.
 */
export async function measureRelayRemoval(server, group, removal, { connected, log }) {
  const members = group.members;
  const sender = await Client.open(server.url);
  const recipients = await connectRecipients(server, members, connected);
  const allSentMs = [];
  const readableMs = [];
  try {
    for (const [r, round] of removal.frames.entries()) {
      const want = new Map();
      for (let i = 0; i < recipients.clients.length; i++) {
        want.set(`${i}:p`, round.expected.envelopes[i]);
        want.set(`${i}:m`, multiEnvelope(round.expected.next.headers[i], round.expected.next.payload));
      }
      const got = new Map();
      let done;
      const arrived = new Promise((resolve) => {
        done = resolve;
      });
      const t0 = process.hrtime.bigint();
      recipients.arrivals.push((member, frame, at) => {
        const i = members.indexOf(member);
        for (const kind of ["p", "m"]) {
          const key = `${i}:${kind}`;
          if (want.has(key) && Buffer.from(frame.envelope).equals(Buffer.from(want.get(key)))) got.set(key, msSince(t0, at));
        }
        if (got.size === want.size) done();
      });
      const answers = [...round.pairwise, round.multi].map((frame) => sender.request(frame, decodeFrame(frame).id));
      const results = await Promise.all(answers);
      const tSent = msSince(t0);
      await Promise.race([
        arrived,
        new Promise((_, reject) => setTimeout(() => reject(new Error("removal: recipients did not get everything")), TIMEOUT_MS)),
      ]);
      recipients.arrivals.length = 0;
      const bad = results.flatMap((a) => a.results).filter((x) => x !== "OK");
      if (bad.length > 0) throw new Error(`removal round ${r + 1}: ${bad.length} results not OK (${bad.slice(0, 3)})`);
      allSentMs.push(tSent);
      readableMs.push(Math.max(...got.values()));
      log(
        `  relay, removal round ${r + 1}/${removal.frames.length}: ${answers.length} frames, all sent after ${tSent.toFixed(0)} ms; connected members can read after ${Math.max(...got.values()).toFixed(0)} ms`,
      );
    }
  } finally {
    sender.close();
    for (const c of recipients.clients) c.close();
  }
  return { allSentMs: summarise(allSentMs), readableMs: summarise(readableMs), connected: recipients.clients.length };
}
