#!/usr/bin/env node
// The cost a forged message makes a receiver pay (issue 12, item 9): Bob holds a record with
// Alice of 1 current + 10 archived sessions (the most a record keeps), and receives a sealed
// envelope that claims to be from Alice but carries a garbage ratchet message. Reported in µs
// per forged envelope, node provider, through Bob's full receive path in the core
// (openAndDecrypt). Also: the same garbage from the real Alice (authenticated, so it reaches
// trial decryption).
//
//   node bench/protocol/forged.mjs [path/to/protocol/src]   (default: this checkout's sources)
//
// The sources are loaded through Vite's module runner (as `npm run vectors` does), so an older
// checkout of packages/protocol/src can be measured with the same script for a before/after.
import { resolve } from "node:path";
import { sourceLoader } from "../../scripts/source-loader.mjs";

const srcDir = resolve(process.argv[2] ?? new URL("../../packages/protocol/src", import.meta.url).pathname);
const server = await sourceLoader();
const p = await server.load(`${srcDir}/index.ts`);
const crypto = await p.createProvider("node");
const authenticatedEnvelopes = typeof p.StaticAgreementCache === "function";
const deps = authenticatedEnvelopes ? { crypto, agreements: new p.StaticAgreementCache() } : { crypto };

function party(deviceId) {
  const account = p.generateAccount(deps);
  const device = p.generateDevice(deps, account, deviceId);
  const signed = p.generateSignedPreKey(deps, device, 1);
  const kem = p.generateKemPreKey(deps, device, 1, "last-resort");
  const lookup = {
    signedPreKey: (id) => (id === 1 ? signed : undefined),
    oneTimePreKey: () => undefined,
    kemPreKey: (id) => (id === 1 ? kem : undefined),
  };
  const bundle = { deviceCertificate: device.certificate, signedPreKey: signed.record, kemPreKey: kem.record };
  return { account, device, lookup, bundle };
}

const alice = party(1);
const bob = party(1);
let record;
for (let i = 0; i < 11; i++) {
  // Alice reinstalls (or restarts her session) ten times: each prekey message adds a session.
  const { record: a } = p.initiateSession(deps, alice.device, undefined, bob.bundle);
  const { message } = p.encryptMessage(deps, a, new Uint8Array(100));
  record = p.decryptMessage(deps, bob.device, record, message, bob.lookup).record;
}
const sessions = [record.current, ...record.archived].length;

/**
 * A ratchet message with a fresh random ratchet key and counters 0: the most expensive garbage,
 * since every session it is tried on performs a full DH ratchet step before the AEAD fails
 * (random counters would fail the skip limit first, cheaply).
 */
function garbage() {
  const m = crypto.randomBytes(200);
  m.set([1, 1], 0);
  m.fill(0, 34, 42);
  return m;
}

function forgedEnvelope() {
  if (!authenticatedEnvelopes) return p.sealEnvelope(deps, alice.device.address, bob.device.identityKey.publicKey, garbage());
  // The forger has Alice's (public) certificate but not her identity private key.
  const identityKey = p.SecretKeyPair.from(crypto.x25519GenerateKeyPair());
  return p.sealEnvelope(deps, { certificate: alice.device.certificate, identityKey }, bob.device.identityKey.publicKey, garbage());
}

function authenticatedGarbage() {
  const sender = authenticatedEnvelopes ? alice.device : alice.device.address;
  return p.sealEnvelope(deps, sender, bob.device.identityKey.publicKey, garbage());
}

/** Best of seven rounds (the machine is shared: the minimum is the least disturbed figure). */
function measure(label, make) {
  const n = 200;
  const rounds = [];
  for (let round = 0; round < 7; round++) {
    const envelopes = Array.from({ length: n }, make);
    const start = process.hrtime.bigint();
    for (const e of envelopes) tryOpen(e);
    rounds.push(Number(process.hrtime.bigint() - start) / 1000 / n);
  }
  console.log(`${label}: ${Math.min(...rounds).toFixed(0)} µs per envelope (best of 7 rounds of ${n})`);
}

function tryOpen(envelope) {
  try {
    p.openAndDecrypt(deps, bob.device, envelope, () => record, bob.lookup);
  } catch {
    return;
  }
  throw new Error("a forged envelope decrypted");
}

console.log(`sources: ${srcDir}; Bob's record with Alice holds ${sessions} sessions`);
measure("forged envelope claiming Alice", forgedEnvelope);
measure("garbage message from the real Alice", authenticatedGarbage);
await server.close();
