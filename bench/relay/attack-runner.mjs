// One attack of bench/relay/attack.mjs, run in its own process so the attacker's CPU use does
// not show up as the honest pair's latency inside one event loop: \`node attack-runner.mjs
// <attack> <url> <seconds> <bobUserIdHex> <bobTokenHex>\`. Prints the attack's counters as one
// JSON line and exits when its time is up.
import { Packr } from "msgpackr";
import { newIdentity, randomId, WireClient } from "./attack-clients.mjs";

const raw = new Packr({ useRecords: false });
const [attackName, url, secondsArg, bobUserHex, bobTokenHex] = process.argv.slice(2);
const ATTACK_SECONDS = Number(secondsArg);
/** The attacker keeps at most this much unsent in its own socket (it floods, but does not OOM itself). */
const ATTACKER_BUFFER = 512 * 1024;
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const bob = { account: { userId: Uint8Array.from(Buffer.from(bobUserHex, "hex")) } };
const bobToken = Uint8Array.from(Buffer.from(bobTokenHex, "hex"));

/** Runs `step(ctx)` on connections made by `open()` until the phase ends, reopening closed ones. */
async function pump(count, open, step, stats) {
  const clients = [];
  const stopAt = performance.now() + ATTACK_SECONDS * 1000;
  await Promise.all(
    Array.from({ length: count }, async (_, i) => {
      while (performance.now() < stopAt) {
        let client;
        try {
          client = await open(i);
        } catch {
          stats.openFailures++;
          await sleep(50);
          continue;
        }
        clients.push(client);
        while (client.open && performance.now() < stopAt) {
          // Send while the own socket has room, then wait a millisecond (no busy spinning).
          while (client.open && client.ws.bufferedAmount < ATTACKER_BUFFER && step(client, stats) !== false) {}
          await sleep(1);
        }
        if (!client.open) {
          // Wait for the close frame (or give up after a second) to learn the relay's close code.
          await Promise.race([new Promise((r) => (client.ws.readyState === 3 ? r() : client.ws.once("close", r))), sleep(1000)]);
          stats.closedByRelay[client.closeCode ?? "?"] = (stats.closedByRelay[client.closeCode ?? "?"] ?? 0) + 1;
        }
      }
    }),
  );
  for (const client of clients) client.terminate();
}

/** Attack 1 (relay item 1): valid pings padded with an unknown field holding 90k empty maps. */
async function decodeBomb(url) {
  // Written by hand: msgpackr gives each map a 3-byte header; the attack used 1-byte ones.
  // {v: 1, t: "ping", id: 1, pad: [90,000 × {}]}
  const maps = 90_000;
  const head = [0x84, 0xa1, 0x76, 1, 0xa1, 0x74, 0xa4, ...Buffer.from("ping"), 0xa2, 0x69, 0x64, 1, 0xa3, ...Buffer.from("pad")];
  const bomb = new Uint8Array(head.length + 5 + maps);
  bomb.set([...head, 0xdd, (maps >>> 24) & 0xff, (maps >>> 16) & 0xff, (maps >>> 8) & 0xff, maps & 0xff]);
  bomb.fill(0x80, head.length + 5);
  // Also within the element budget: an unknown field the decoder must skip without building it.
  const wide = raw.pack({ v: 1, t: "ping", id: 2, pad: new Array(12_000).fill(0) });
  const stats = { framesSent: 0, bytesSent: 0, openFailures: 0, closedByRelay: {}, frameBytes: bomb.length };
  await pump(
    24,
    () => WireClient.connect(url, undefined, { zeroMask: true }),
    (client, s) => {
      const frame = s.framesSent % 2 === 0 ? bomb : wide;
      client.ws.send(frame);
      s.framesSent++;
      s.bytesSent += frame.length;
      return true;
    },
    stats,
  );
  return stats;
}

/** Attack 2 (relay item 2): devices that stop reading, sent 90 KB ephemeral and stored messages. */
async function nonReaders(url) {
  const victims = Array.from({ length: 8 }, () => newIdentity());
  const paused = [];
  for (const identity of victims) {
    const client = await WireClient.connect(url);
    await client.register(identity);
    client.ws._socket.pause();
    paused.push(client);
  }
  const envelope = new Uint8Array(90_000).fill(7);
  const stats = { ephemeral: {}, stored: {}, openFailures: 0, closedByRelay: {} };
  const senders = Array.from({ length: 8 }, () => newIdentity());
  await pump(
    senders.length,
    async (i) => {
      const client = await WireClient.connect(url, undefined, { zeroMask: true });
      await client.register(senders[i]);
      return client;
    },
    (client, s) => {
      if ((client.inFlight ?? 0) >= 16) return false;
      client.inFlight = (client.inFlight ?? 0) + 1;
      const victim = victims[Math.floor(Math.random() * victims.length)];
      const ephemeral = Math.random() < 0.5;
      client
        .request({ t: "send", ephemeral, messages: [{ userId: victim.account.userId, deviceId: 1, messageId: randomId(), envelope }] })
        .then((answer) => {
          client.inFlight--;
          const result = answer?.results?.[0] ?? answer?.code ?? "no answer";
          const tally = ephemeral ? s.ephemeral : s.stored;
          tally[result] = (tally[result] ?? 0) + 1;
        });
    },
    stats,
  );
  // Read again for a moment: a victim the relay dropped (4009) now sees its socket end.
  for (const client of paused) client.ws._socket.resume();
  await sleep(500);
  stats.victimsClosedByRelay = paused.filter((c) => !c.open).length;
  for (const client of paused) client.terminate();
  return stats;
}

/** Attack 3 (relay item 3): one account and anonymous connections flood the honest recipient. */
async function flood(url, bob, bobToken) {
  const mallory = newIdentity();
  const stats = { authenticated: {}, sealed: {}, openFailures: 0, closedByRelay: {} };
  const messages = (n, withUser) =>
    Array.from({ length: n }, () => ({
      ...(withUser ? { userId: bob.account.userId } : {}),
      deviceId: 1,
      messageId: randomId(),
      envelope: new Uint8Array(500).fill(3),
    }));
  await pump(
    5,
    async (i) => {
      const client = await WireClient.connect(url, undefined, { zeroMask: true });
      if (i === 0) await client.register(mallory);
      client.sealed = i !== 0;
      return client;
    },
    (client, s) => {
      if ((client.inFlight ?? 0) >= 8) return false;
      client.inFlight = (client.inFlight ?? 0) + 1;
      const frame = client.sealed
        ? { t: "sealed_send", userId: bob.account.userId, token: bobToken, messages: messages(100, false) }
        : { t: "send", messages: messages(100, true) };
      client.request(frame).then((answer) => {
        client.inFlight--;
        const tally = client.sealed ? s.sealed : s.authenticated;
        for (const result of answer?.results ?? [answer?.code ?? "no answer"]) tally[result] = (tally[result] ?? 0) + 1;
      });
    },
    stats,
  );
  return stats;
}

const ATTACKS = { decode: () => decodeBomb(url), nonReaders: () => nonReaders(url), flood: () => flood(url, bob, bobToken) };
const stats = await ATTACKS[attackName]();
// Exit only once the line is out: writes to a pipe are asynchronous.
process.stdout.write(`${JSON.stringify(stats)}\n`, () => process.exit(0));
