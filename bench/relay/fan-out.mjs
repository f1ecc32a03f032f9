#!/usr/bin/env node
// Group fan-out through the relay: `npx tsc -b && node bench/relay/fan-out.mjs [--members=10,100,1000] [--devices=3]`.
// For each group size, one sender seals a 500-byte message once for every member device
// (sealMulti), uploads it in one `multi_send` over a real socket to an in-process relay on an
// on-disk store, and each device opens its copy. Reports the sender's CPU time (cold: first send,
// no remembered agreements; warm: the next one), the bytes uploaded against what pairwise sealed
// sends of the same message would upload, the relay time from the frame's last byte sent to its
// `sent` answer (every mailbox row durable), and the receivers' mean open time. Recipient
// accounts are written to the store directly (registering thousands of devices would only time
// registration); the sender is a real device with a real certificate. Runs on the built dist.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import {
  generateAccount,
  generateDevice,
  loadCryptoProvider,
  openEnvelope,
  SEALED_OVERHEAD,
  StaticAgreementCache,
  sealMulti,
} from "@parley/protocol";
import { decodeFrame, encodeFrame } from "@parley/protocol/wire";
import { createRelay, listen, openSqliteStore } from "@parley/relay";
import WebSocket from "ws";

const arg = (name, fallback) => process.argv.find((a) => a.startsWith(`--${name}=`))?.split("=")[1] ?? fallback;
const SIZES = arg("members", "10,100,1000").split(",").map(Number);
const DEVICES = Number(arg("devices", "3"));
const MESSAGE_BYTES = 500;

const crypto = await loadCryptoProvider();
const cpuMs = (fn) => {
  const start = process.cpuUsage();
  const out = fn();
  const used = process.cpuUsage(start);
  return [out, (used.user + used.system) / 1000];
};

async function run(members) {
  const dataDir = mkdtempSync(join(tmpdir(), "parley-fan-out-bench-"));
  const store = openSqliteStore(join(dataDir, "relay.sqlite"));
  const relay = await createRelay({
    store,
    blobDir: join(dataDir, "blobs"),
    relayId: "http://127.0.0.1",
    deps: { crypto },
    limits: { fanOutDeviceBurst: 1_000_000, recipientMessageBurst: 100_000, sealedAddressMessageBurst: 100_000 },
  });
  const server = await listen(relay, { port: 0, host: "127.0.0.1" });
  try {
    const senderDeps = { crypto, agreements: new StaticAgreementCache(8192) };
    const sender = generateDevice(senderDeps, generateAccount(senderDeps), 1);
    const users = [];
    for (let u = 0; u < members; u++) {
      const userId = crypto.randomBytes(16);
      const deviceIds = Array.from({ length: DEVICES }, (_, i) => i + 1);
      const devices = deviceIds.map((deviceId) => ({ deviceId, identity: crypto.x25519GenerateKeyPair() }));
      for (const { deviceId } of devices) {
        const device = { userId, deviceId, certificate: new Uint8Array(173), signingKey: new Uint8Array(32) };
        await store.saveDeviceList({
          userId,
          accountKey: new Uint8Array(32),
          deviceList: new Uint8Array(100),
          sequence: 1,
          deviceIds,
          device,
        });
      }
      await store.setDeliveryToken(userId, undefined, true);
      users.push({ userId, devices });
    }
    const all = users.flatMap((u) => u.devices.map((d) => ({ identityKey: d.identity.publicKey })));
    const message = crypto.randomBytes(MESSAGE_BYTES);
    const [, coldMs] = cpuMs(() => sealMulti(senderDeps, sender, all, message));
    const [sealed, warmMs] = cpuMs(() => sealMulti(senderDeps, sender, all, message));
    let h = 0;
    const recipients = users.map((u) => ({
      userId: u.userId,
      devices: u.devices.map((d) => ({ deviceId: d.deviceId, header: sealed.headers[h++] })),
    }));
    const frame = encodeFrame({ t: "multi_send", id: 1, payload: sealed.payload, recipients });
    // Pairwise: one sealed envelope per device in sealed_send frames (one per user), for comparison.
    const pairwise = users.reduce(
      (n, u) =>
        n +
        encodeFrame({
          t: "sealed_send",
          id: 1,
          userId: u.userId,
          messages: u.devices.map((d) => ({
            deviceId: d.deviceId,
            messageId: new Uint8Array(16),
            envelope: new Uint8Array(MESSAGE_BYTES + SEALED_OVERHEAD),
          })),
        }).length,
      0,
    );

    const ws = new WebSocket(`ws://127.0.0.1:${server.port}/`);
    await new Promise((resolve) => ws.once("message", resolve)); // the challenge
    const answered = new Promise((resolve) => ws.on("message", (data) => resolve(decodeFrame(new Uint8Array(data)))));
    const start = performance.now();
    ws.send(frame);
    const answer = await answered;
    const relayMs = performance.now() - start;
    if (answer.t !== "sent" || answer.results.some((r) => r !== "OK"))
      throw new Error(`fan-out failed: ${JSON.stringify(answer).slice(0, 200)}`);
    ws.close();

    // Every device opens the copy the relay stored for it.
    let openTotal = 0;
    let opened = 0;
    for (const u of users) {
      for (const d of u.devices) {
        const [row] = await store.fetchMessages({ userId: u.userId, deviceId: d.deviceId }, 0, 1);
        const [result, ms] = cpuMs(() => openEnvelope({ crypto }, d.identity, row.envelope));
        if (result.message.length !== MESSAGE_BYTES) throw new Error("wrong message");
        openTotal += ms;
        opened++;
      }
    }
    return {
      members,
      devices: members * DEVICES,
      sealColdMs: coldMs,
      sealWarmMs: warmMs,
      uploadBytes: frame.length,
      pairwiseBytes: pairwise,
      relayMs,
      openMeanMs: openTotal / opened,
    };
  } finally {
    await server.stopAccepting();
    await relay.shutdown();
    rmSync(dataDir, { recursive: true, force: true });
  }
}

const rows = [];
for (const members of SIZES) rows.push(await run(members));
console.log(`Group fan-out (${DEVICES} devices per member, ${MESSAGE_BYTES}-byte message, provider ${crypto.name})\n`);
console.log(
  "| members | devices | sender CPU cold / warm (ms) | uploaded (bytes) | pairwise would upload | relay until every mailbox has it (ms) | receiver open, mean (ms) |",
);
console.log("|---|---|---|---|---|---|---|");
for (const r of rows) {
  console.log(
    `| ${r.members} | ${r.devices} | ${r.sealColdMs.toFixed(1)} / ${r.sealWarmMs.toFixed(1)} | ${r.uploadBytes.toLocaleString("en")} | ${r.pairwiseBytes.toLocaleString("en")} | ${r.relayMs.toFixed(1)} | ${r.openMeanMs.toFixed(3)} |`,
  );
}
