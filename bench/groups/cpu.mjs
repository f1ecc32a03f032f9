// The in-process half of the groups benchmark: what one group message costs the sender's CPU
// (sender-key encrypt once, multi-recipient seal for every member device, the encoded
// `multi_send` frame) against per-recipient pairwise sends of the same content; what it costs a
// receiver (open the multi envelope, sender-key decrypt); and a removal in a 1,000-member group
// (rotate, distribute the new key pairwise to every remaining device, send the next message).
// Every decryption is checked against what was sent inside the timed loop.
import {
  createSenderKey,
  decodeSenderKeyDistribution,
  encodeSenderKeyDistribution,
  encryptSealed,
  groupDecrypt,
  groupEncrypt,
  limits,
  openAndDecrypt,
  openEnvelope,
  StaticAgreementCache,
  sealMulti,
  senderKeyFromDistribution,
} from "@parley/protocol";
import { encodeFrame, multiEnvelope } from "@parley/protocol/wire";
import { assertSame, median, spread } from "../lib/harness.mjs";
import { distributionPlaintext, groupPlaintext } from "./members.mjs";

const now = () => process.hrtime.bigint();
const ms = (from, to) => Number(to - from) / 1e6;
/** This process's CPU time (user + system, all its threads) since `from`, in ms: unlike wall time, not inflated by other processes. */
const cpuMs = (from) => {
  const d = process.cpuUsage(from);
  return (d.user + d.system) / 1000;
};

let frameId = 1;
let counter = 1;

/** Frame of a `multi_send` to the devices `members` (a member's devices next to each other), headers in that order. */
export function multiSendFrame(members, payload, headers) {
  const recipients = [];
  for (const [i, m] of members.entries()) {
    const device = { deviceId: m.deviceId, header: headers[i] };
    if (i > 0 && members[i - 1].account === m.account) recipients.at(-1).devices.push(device);
    else recipients.push({ userId: m.account.userId, token: m.token, devices: [device] });
  }
  return encodeFrame({ t: "multi_send", id: frameId++, payload, recipients });
}

/** A `sealed_send` of one envelope to a member's device 1. */
export function sealedSendFrame(member, envelope, crypto) {
  return encodeFrame({
    t: "sealed_send",
    id: frameId++,
    userId: member.account.userId,
    token: member.token,
    messages: [{ deviceId: member.deviceId, messageId: crypto.randomBytes(16), envelope }],
  });
}

/**
 * One group message to `members`, timed by step: `{ encryptMs, sealMs, frameMs, frame, payload,
 * headers, plaintext }`. Advances the group's sender key.
 */
export function sendGroupMessage(group, members) {
  const { deps, sender, groupId } = group;
  const plaintext = groupPlaintext(counter++);
  const c0 = process.cpuUsage();
  const t0 = now();
  const encrypted = groupEncrypt(deps, group.senderKey, groupId, plaintext);
  group.senderKey = encrypted.state;
  const t1 = now();
  const recipients = members.map((m) => ({ identityKey: m.device.identityKey.publicKey }));
  const { payload, headers } = sealMulti(deps, sender.device, recipients, encrypted.message);
  const t2 = now();
  const frame = multiSendFrame(members, payload, headers);
  const t3 = now();
  const cpu = cpuMs(c0);
  return { encryptMs: ms(t0, t1), sealMs: ms(t1, t2), frameMs: ms(t2, t3), cpuMs: cpu, frame, payload, headers, plaintext };
}

/** A receiver opens its multi envelope and decrypts the group message; returns µs. Checks the plaintext. */
export function receive(group, member, envelope, plaintext) {
  const t0 = now();
  const opened = openEnvelope(member.deps, member.device.identityKey, envelope);
  if (!opened.multi) throw new Error("expected a multi-recipient envelope");
  const { state, plaintext: got } = groupDecrypt(member.deps, member.senderKey, group.groupId, opened.message);
  const t1 = now();
  member.senderKey = state;
  assertSame(got, plaintext, "group receive");
  return ms(t0, t1) * 1000;
}

/** The same content sent pairwise (encrypt + seal + `sealed_send` frame per member): `{ ms, bytes }`. */
function pairwiseSend(group, members, plaintext) {
  const { deps, sender } = group;
  let bytes = 0;
  const c0 = process.cpuUsage();
  const t0 = now();
  for (const m of members) {
    // The record is not kept: the members never read these, and encryptSealed is pure.
    const { envelope } = encryptSealed(deps, sender.device, m.senderRecord, plaintext);
    bytes += sealedSendFrame(m, envelope, deps.crypto).length;
  }
  return { ms: ms(t0, now()), cpuMs: cpuMs(c0), bytes };
}

const summarise = (values) => ({ median: median(values), spread: spread(values), samples: values });

/**
 * Group sends to the first `n` members: after one warm-up message, `rounds` rounds of
 * `ceil(targetSeals / n)` messages; per message the sender's steps, and `receivers` sampled
 * members decrypting each message. Plus one pairwise send of the same content per round.
 */
export function measureGroupSend(group, n, { rounds, targetSeals = 200, receivers = 16, log = () => {} }) {
  const members = group.members.slice(0, n * group.devicesPerMember);
  const sampled = members.slice(0, Math.min(receivers, members.length));
  const perRound = Math.max(1, Math.ceil(targetSeals / members.length));
  const one = () => {
    const sent = sendGroupMessage(group, members);
    const receiveUs = sampled.map((m, i) => receive(group, m, multiEnvelope(sent.headers[i], sent.payload), sent.plaintext));
    return { ...sent, receiveUs };
  };
  one(); // warm-up: JIT, and the sender's agreement cache learns every member
  const total = [];
  const cpu = [];
  const pairCpu = [];
  const encrypt = [];
  const seal = [];
  const frame = [];
  const receive_ = [];
  const pairMs = [];
  let last;
  for (let r = 0; r < rounds; r++) {
    globalThis.gc?.();
    const steps = { encryptMs: 0, sealMs: 0, frameMs: 0, cpuMs: 0, receiveUs: [] };
    for (let i = 0; i < perRound; i++) {
      last = one();
      steps.encryptMs += last.encryptMs;
      steps.sealMs += last.sealMs;
      steps.frameMs += last.frameMs;
      steps.cpuMs += last.cpuMs;
      steps.receiveUs.push(...last.receiveUs);
    }
    encrypt.push(steps.encryptMs / perRound);
    seal.push(steps.sealMs / perRound);
    frame.push(steps.frameMs / perRound);
    total.push((steps.encryptMs + steps.sealMs + steps.frameMs) / perRound);
    cpu.push(steps.cpuMs / perRound);
    receive_.push(median(steps.receiveUs));
    globalThis.gc?.();
    const pair = pairwiseSend(group, members, last.plaintext);
    pairMs.push(pair.ms);
    pairCpu.push(pair.cpuMs);
    last.pairBytes = pair.bytes;
    log(
      `  ${n} members × ${group.devicesPerMember} devices, round ${r + 1}/${rounds}: send ${total.at(-1).toFixed(2)} ms wall, ${cpu.at(-1).toFixed(2)} ms CPU (seal ${seal.at(-1).toFixed(2)}), ` +
        `receive ${receive_.at(-1).toFixed(0)} µs, pairwise ${pair.ms.toFixed(1)} ms`,
    );
  }
  return {
    n,
    devices: members.length,
    devicesPerMember: group.devicesPerMember,
    perRound,
    receivers: sampled.length,
    sendMs: summarise(total),
    sendCpuMs: summarise(cpu),
    pairwiseCpuMs: summarise(pairCpu),
    encryptMs: summarise(encrypt),
    sealMs: summarise(seal),
    frameMs: summarise(frame),
    receiveUs: summarise(receive_),
    pairwiseMs: summarise(pairMs),
    frameBytes: last.frame.length,
    payloadBytes: last.payload.length,
    headerBytes: last.headers[0].length,
    pairwiseBytes: last.pairBytes,
  };
}

/**
 * Removal in a group of `group.members.length`: each round removes one more member (from the
 * end), then times the sender's rotation, the pairwise distribution to every remaining device
 * (encrypt over the established session + seal + `sealed_send` frame) and the next group message,
 * and `receivers` sampled remaining members reading the distribution and the next message.
 * Returns the medians and each round's frames (for the relay half).
 */
export function measureRemoval(group, { rounds, receivers = 16, log = () => {} }) {
  const { deps, sender, groupId } = group;
  const all = group.members;
  let remaining = all;
  const samples = { senderCpuMs: [], rotateMs: [], distributeMs: [], nextMs: [], senderMs: [], receiveUs: [], pairwise: [], bytes: [] };
  const frames = [];
  for (let r = 0; r < rounds + 1; r++) {
    // Round 0 warms up (a rotation to the first 50, nobody removed); round r removes the r-th last member.
    remaining = r === 0 ? all.slice(0, 50) : all.slice(0, all.length - r);
    globalThis.gc?.();
    const c0 = process.cpuUsage();
    const t0 = now();
    const senderKey = createSenderKey(deps);
    const distribution = encodeSenderKeyDistribution(senderKey);
    const t1 = now();
    const pairwise = [];
    const envelopes = [];
    // One content for every device, as a client encodes it once and encrypts it per session.
    const plaintext = distributionPlaintext(groupId, distribution, counter++);
    for (const m of remaining) {
      const { record, envelope } = encryptSealed(deps, sender.device, m.senderRecord, plaintext);
      m.senderRecord = record;
      envelopes.push(envelope);
      pairwise.push(sealedSendFrame(m, envelope, deps.crypto));
    }
    const t2 = now();
    group.senderKey = senderKey;
    const next = sendGroupMessage(group, remaining);
    const t3 = now();
    const senderCpu = cpuMs(c0);
    // Receivers: open + decrypt the pairwise distribution, take the key, read the next message.
    const receiveUs = remaining.slice(0, receivers).map((m, i) => {
      const s0 = now();
      const got = openAndDecrypt(m.deps, m.device, envelopes[i], () => m.record, m.lookup);
      m.record = got.record;
      // The client decodes the distribution from its `senderKey` content; here it is the same 74 bytes.
      m.senderKey = senderKeyFromDistribution(decodeSenderKeyDistribution(distribution));
      const s1 = now();
      return ms(s0, s1) * 1000 + receive(group, m, multiEnvelope(next.headers[i], next.payload), next.plaintext);
    });
    if (r === 0) continue; // warm-up
    samples.rotateMs.push(ms(t0, t1));
    samples.distributeMs.push(ms(t1, t2));
    samples.nextMs.push(ms(t2, t3));
    samples.senderMs.push(ms(t0, t3));
    samples.senderCpuMs.push(senderCpu);
    samples.receiveUs.push(median(receiveUs));
    samples.pairwise.push(pairwise.length);
    samples.bytes.push(pairwise.reduce((s, f) => s + f.length, 0) + next.frame.length);
    frames.push({ pairwise, multi: next.frame, remaining: remaining.length, expected: { envelopes, next } });
    log(
      `  removal round ${r}/${rounds}: ${remaining.length} remaining, ${pairwise.length} pairwise messages, sender ${ms(t0, t3).toFixed(0)} ms wall, ${senderCpu.toFixed(0)} ms CPU ` +
        `(distribution ${ms(t1, t2).toFixed(0)} ms), receiver ${median(receiveUs).toFixed(0)} µs`,
    );
  }
  return {
    groupSize: all.length,
    remaining: frames.map((f) => f.remaining),
    rotateMs: summarise(samples.rotateMs),
    distributeMs: summarise(samples.distributeMs),
    nextMs: summarise(samples.nextMs),
    senderMs: summarise(samples.senderMs),
    senderCpuMs: summarise(samples.senderCpuMs),
    receiveUs: summarise(samples.receiveUs),
    pairwiseMessages: samples.pairwise,
    bytes: summarise(samples.bytes),
    frames,
  };
}

/**
 * The sender's side of one removal without the receivers, for the profiler: rotate, distribute
 * to `remaining` pairwise, send the next group message. Returns the pairwise message count.
 */
export function removalSenderOnly(group, remaining) {
  const { deps, sender, groupId } = group;
  const senderKey = createSenderKey(deps);
  const distribution = encodeSenderKeyDistribution(senderKey);
  const plaintext = distributionPlaintext(groupId, distribution, counter++);
  for (const m of remaining) {
    const { record, envelope } = encryptSealed(deps, sender.device, m.senderRecord, plaintext);
    m.senderRecord = record;
    sealedSendFrame(m, envelope, deps.crypto);
  }
  group.senderKey = senderKey;
  sendGroupMessage(group, remaining);
  return remaining.length;
}

/**
 * The sender's agreement cache: CPU ms of one `sealMulti` to every device of `group` with a cache
 * too small for the group (1,024 peers: every lookup misses) against the default one
 * (STATIC_AGREEMENT_CACHE_SIZE peers, as the client has it); medians of `rounds` alternating
 * rounds after a warm-up of each.
 */
/** A cache smaller than the bench's largest group (the client's size before it was raised). */
const SMALL_CACHE = 1024;

export function measureAgreementCache(group, { rounds = 5 } = {}) {
  const { crypto } = group.deps;
  const recipients = group.members.map((m) => ({ identityKey: m.device.identityKey.publicKey }));
  const message = groupPlaintext(counter++);
  const variants = {
    small: { crypto, agreements: new StaticAgreementCache(SMALL_CACHE) },
    default: { crypto, agreements: new StaticAgreementCache() },
  };
  const time = (deps) => {
    const c0 = process.cpuUsage();
    sealMulti(deps, group.sender.device, recipients, message);
    return cpuMs(c0);
  };
  for (const deps of Object.values(variants)) time(deps);
  const samples = { small: [], default: [] };
  for (let r = 0; r < rounds; r++) for (const [name, deps] of Object.entries(variants)) samples[name].push(time(deps));
  return {
    devices: recipients.length,
    smallMs: summarise(samples.small),
    smallSize: SMALL_CACHE,
    defaultMs: summarise(samples.default),
    defaultSize: limits.STATIC_AGREEMENT_CACHE_SIZE,
  };
}
