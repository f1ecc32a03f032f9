// The three measurements, run inside the load generator process against either server with the
// same logic (only the peer class differs, see peers.mjs), plus the relay's registration setup.
// Every phase counts each message id it sent and received, and reports missing, duplicate and
// misdelivered messages, so a broken path cannot post a fast number.
import { randomBytes } from "node:crypto";
import { Ledger, MAX_MESSAGES, messageIds } from "./ledger.mjs";
import {
  bareCounters,
  cpuSeconds,
  machineBusySeconds,
  ownCpuSeconds,
  quantile,
  relayActivity,
  relayCounters,
  rssBytes,
  sleep,
} from "./observe.mjs";
import { PEERS, RelayPeer } from "./peers.mjs";

/**
 * CPU used by everything except the server and this load generator between two readings, in
 * cores: other processes on the machine competing with the benchmark (and the kernel's own work).
 */
function otherShare(start, end, seconds) {
  const other = end.machineCpu - start.machineCpu - (end.serverCpu - start.serverCpu) - (end.loadCpu - start.loadCpu);
  return Math.max(0, other) / seconds;
}

/** Opens `count` peers through a pool of `concurrency` handshakes; rejects if any fails. */
async function openPeers(kind, url, identities, deps, { concurrency, timeoutMs, localAddressOf = () => undefined, callbacksOf }) {
  const Peer = PEERS[kind];
  const peers = new Array(identities.length);
  let next = 0;
  const worker = async () => {
    while (next < identities.length) {
      const i = next++;
      peers[i] = await Peer.connect(url, identities[i], deps, { localAddress: localAddressOf(i), timeoutMs, ...callbacksOf(i) });
    }
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, identities.length) }, worker));
  return peers;
}

/** Waits until `done()` or `timeoutMs`; true when done. Polls every 10 ms. */
async function until(done, timeoutMs) {
  const deadline = performance.now() + timeoutMs;
  while (!done()) {
    if (performance.now() > deadline) return false;
    await sleep(10);
  }
  return true;
}

/** Closes peers and waits (bounded) for the close events. */
async function closeAll(peers) {
  for (const peer of peers) peer?.terminate();
  await until(() => peers.every((p) => !p || p.closed), 5_000);
}

/** Senders 0..pairs−1 and recipients pairs..2·pairs−1, wired to a ledger. */
async function openPairs(server, identities, deps, pairs, ledger, ids, onAnswer) {
  const recipients = await openPeers(server.kind, server.url, identities.slice(pairs, 2 * pairs), deps, {
    concurrency: pairs,
    timeoutMs: 10_000,
    callbacksOf: (r) => ({
      onMessage: (messageId, peer) => {
        ledger.receive(ids, messageId, r);
        peer.queueAck(messageId);
      },
    }),
  });
  const senders = await openPeers(server.kind, server.url, identities.slice(0, pairs), deps, {
    concurrency: pairs,
    timeoutMs: 10_000,
    callbacksOf: (s) => ({ onSent: (seq, ok) => onAnswer(s, seq, ok) }),
  });
  return { senders, recipients, addresses: recipients.map((_, r) => identities[pairs + r].account.userId) };
}

/** Waits until every answer, message and relay ack is in; true when all arrived in time. */
function drained(ledger, peers) {
  return () =>
    ledger.answered === ledger.sent &&
    ledger.delivered >= ledger.answered - ledger.failedSends &&
    peers.every((p) => p.pendingAcks === 0 && p.toAck.length === 0);
}

/** Server-side counters for the kind of server. */
function serverCounters(server) {
  return server.kind === "relay" ? relayCounters(server.httpUrl) : bareCounters(server.httpUrl);
}

/**
 * Throughput: each sender keeps `window` sends unanswered (an answer means durably stored on the
 * relay, forwarded on the bare server); recipients ack as messages arrive. Delivered messages/s
 * are counted over `windowMs` after `warmupMs`.
 */
export async function throughput(server, identities, deps, { pairs, window, warmupMs, windowMs, drainTimeoutMs, envelopeBytes }) {
  const ledger = new Ledger(MAX_MESSAGES);
  const ids = messageIds();
  const envelope = randomBytes(envelopeBytes);
  const inflight = new Int32Array(pairs);
  let sending = true;
  let connected;
  const pump = (s) => {
    while (sending && inflight[s] < window && ledger.sent < MAX_MESSAGES) {
      const seq = ledger.sent++;
      inflight[s]++;
      connected.senders[s].send(seq, connected.addresses[s], ids.make(s, seq), envelope);
    }
  };
  connected = await openPairs(server, identities, deps, pairs, ledger, ids, (s, seq, ok) => {
    inflight[s]--;
    ledger.answer(seq, ok);
    pump(s);
  });
  const peers = [...connected.senders, ...connected.recipients];
  const snapshot = async () => ({
    at: performance.now(),
    delivered: ledger.delivered,
    answered: ledger.answered,
    loadCpu: ownCpuSeconds(),
    serverCpu: cpuSeconds(server.pid),
    machineCpu: machineBusySeconds(),
    counters: server.kind === "relay" ? await relayCounters(server.httpUrl) : undefined,
  });
  try {
    for (let s = 0; s < pairs; s++) pump(s);
    await sleep(warmupMs);
    const start = await snapshot();
    await sleep(windowMs);
    const end = await snapshot();
    sending = false;
    const inTime = await until(drained(ledger, peers), drainTimeoutMs);
    const seconds = (end.at - start.at) / 1000;
    return {
      deliveredPerSecond: (end.delivered - start.delivered) / seconds,
      answeredPerSecond: (end.answered - start.answered) / seconds,
      windowSeconds: seconds,
      loadCpuShare: (end.loadCpu - start.loadCpu) / seconds,
      serverCpuShare: (end.serverCpu - start.serverCpu) / seconds,
      otherCpuShare: otherShare(start, end, seconds),
      relay: relayActivity(start.counters, end.counters),
      drainedInTime: inTime,
      peerErrors: peers.flatMap((p) => p.errors).slice(0, 5),
      ...ledger.verdict(),
    };
  } finally {
    sending = false;
    await closeAll(peers);
  }
}

/**
 * Latency at a fixed offered load: messages are sent on a schedule (`ratePerSecond`, round robin
 * over the senders, not waiting for answers); latency is the time from just before a sender's
 * `send` to the recipient's receipt of that message, on this process's one clock.
 */
export async function latency(
  server,
  identities,
  deps,
  { pairs, ratePerSecond, warmupMs, durationMs, tickMs, maxBacklog, drainTimeoutMs, envelopeBytes },
) {
  const total = Math.round((ratePerSecond * durationMs) / 1000);
  const measuredFrom = Math.round((ratePerSecond * warmupMs) / 1000);
  const ledger = new Ledger(total);
  const ids = messageIds();
  const envelope = randomBytes(envelopeBytes);
  const sentAt = new Float64Array(total);
  const latencyMs = new Float64Array(total).fill(Number.NaN);
  const connected = await openPairs(server, identities, deps, pairs, ledger, ids, (_s, seq, ok) => ledger.answer(seq, ok));
  // Timing needs the receipt time too: wrap each recipient's handler.
  for (const [r, peer] of connected.recipients.entries()) {
    peer.onMessage = (messageId) => {
      const now = performance.now();
      const seq = ledger.receive(ids, messageId, r);
      if (seq >= 0 && Number.isNaN(latencyMs[seq])) latencyMs[seq] = now - sentAt[seq];
      peer.queueAck(messageId);
    };
  }
  const peers = [...connected.senders, ...connected.recipients];
  let overloaded = false;
  const counters = () => (server.kind === "relay" ? relayCounters(server.httpUrl) : undefined);
  const startCounters = await counters();
  const startCpu = { loadCpu: ownCpuSeconds(), serverCpu: cpuSeconds(server.pid), machineCpu: machineBusySeconds() };
  const t0 = performance.now();
  try {
    await new Promise((resolve) => {
      const timer = setInterval(() => {
        const due = Math.min(total, Math.floor(((performance.now() - t0) * ratePerSecond) / 1000));
        while (ledger.sent < due) {
          const seq = ledger.sent++;
          const s = seq % pairs;
          sentAt[seq] = performance.now();
          connected.senders[s].send(seq, connected.addresses[s], ids.make(s, seq), envelope);
        }
        if (ledger.sent - ledger.delivered > maxBacklog) overloaded = true;
        if (ledger.sent >= total || overloaded) {
          clearInterval(timer);
          resolve();
        }
      }, tickMs);
    });
    const sendSeconds = (performance.now() - t0) / 1000;
    const endCounters = await counters();
    const inTime = await until(drained(ledger, peers), drainTimeoutMs);
    const wall = (performance.now() - t0) / 1000;
    const measured = latencyMs
      .slice(measuredFrom, ledger.sent)
      .filter((v) => !Number.isNaN(v))
      .sort();
    return {
      offeredPerSecond: (ledger.sent - measuredFrom) / ((sentAt[ledger.sent - 1] - sentAt[measuredFrom]) / 1000),
      sendSeconds,
      samples: measured.length,
      p50: quantile(measured, 0.5),
      p90: quantile(measured, 0.9),
      p99: quantile(measured, 0.99),
      max: measured.length > 0 ? measured[measured.length - 1] : undefined,
      overloaded,
      relay: relayActivity(startCounters, endCounters),
      drainedInTime: inTime,
      loadCpuShare: (ownCpuSeconds() - startCpu.loadCpu) / wall,
      serverCpuShare: (cpuSeconds(server.pid) - startCpu.serverCpu) / wall,
      otherCpuShare: otherShare(
        startCpu,
        { loadCpu: ownCpuSeconds(), serverCpu: cpuSeconds(server.pid), machineCpu: machineBusySeconds() },
        wall,
      ),
      peerErrors: peers.flatMap((p) => p.errors).slice(0, 5),
      ...ledger.verdict(),
    };
  } finally {
    await closeAll(peers);
  }
}

/** Asks the server to collect garbage (gc-on-signal.cjs), waits, and reads its VmRSS. */
async function settledRss(pid, settleMs) {
  process.kill(pid, "SIGUSR2");
  await sleep(settleMs);
  return rssBytes(pid);
}

/**
 * Idle connections: opens `connections` (relay: each logged in as a registered device; bare:
 * each registered with its address) from `sourceAddresses` loopback addresses, holds them idle
 * for `holdMs`, and reports the server's VmRSS growth per connection and how many are still open.
 */
export async function idle(server, identities, deps, { connections, holdMs, sourceAddresses, openConcurrency, openTimeoutMs, gcSettleMs }) {
  const rssBefore = await settledRss(server.pid, gcSettleMs);
  let closedDuringHold = 0;
  let holding = false;
  const started = performance.now();
  let peers = [];
  try {
    peers = await Promise.race([
      openPeers(server.kind, server.url, identities.slice(0, connections), deps, {
        concurrency: openConcurrency,
        timeoutMs: 20_000,
        localAddressOf: (i) => `127.0.0.${2 + (i % sourceAddresses)}`,
        callbacksOf: () => ({
          onClose: () => {
            if (holding) closedDuringHold++;
          },
        }),
      }),
      sleep(openTimeoutMs).then(() => {
        throw new Error(`opening ${connections} connections took over ${openTimeoutMs} ms`);
      }),
    ]);
    const openSeconds = (performance.now() - started) / 1000;
    holding = true;
    await sleep(holdMs);
    const rssAfter = await settledRss(server.pid, gcSettleMs);
    holding = false;
    const stillOpen = peers.filter((p) => p.open).length;
    const counters = await serverCounters(server);
    return {
      connections,
      openSeconds,
      holdSeconds: holdMs / 1000,
      rssBefore,
      rssAfter,
      bytesPerConnection: (rssAfter - rssBefore) / connections,
      stillOpen,
      closedDuringHold,
      serverConnections: counters.connections,
      serverAuthenticated: counters.authenticated,
      allOpen: stillOpen === connections && closedDuringHold === 0 && counters.connections === connections,
    };
  } finally {
    await closeAll(peers);
  }
}

/** Setup for the relay: registers every identity's device (account, certificate, device list). */
export async function register(server, identities, deps, { concurrency }) {
  const started = performance.now();
  let next = 0;
  const worker = async () => {
    while (next < identities.length) {
      const peer = await RelayPeer.connect(server.url, identities[next++], deps, { register: true, timeoutMs: 20_000 });
      peer.terminate();
    }
  };
  await Promise.all(Array.from({ length: concurrency }, worker));
  return { registered: identities.length, seconds: (performance.now() - started) / 1000 };
}
