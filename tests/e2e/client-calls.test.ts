// Calls end to end (spec/calls.md): real SDK clients through a real relay process exchange the
// whole signalling of 1:1 and group calls — offer, answer and ICE as opaque strings handed to a
// recording media handler in place of WebRTC — and reach the right end state with history lines
// on both sides: completed, declined, busy, no answer / missed, glare, multi-device ringing, a
// tampered signal, a three-party mesh.

import { ErrorCode } from "@parley/protocol";
import {
  type CallInfo,
  type CallLeg,
  type CallMediaHandler,
  type ChatMessage,
  MemoryStore,
  type ParleyClient,
  type Store,
} from "@parley/protocol/client";
import { afterEach, describe, expect, test } from "vitest";
import { MAX_CALL_ICE_CANDIDATE_BYTES, MAX_CALL_PARTICIPANTS, MAX_CALL_SDP_BYTES } from "../../packages/protocol/src/limits.js";
import { errorCodeOf, eventually, newClient, waitFor } from "./support/clients.js";
import { sharedRelay } from "./support/fixtures.js";
import { linkDevice } from "./support/linking.js";
import { tamperingTransport } from "./support/tampering-transport.js";

const shared = sharedRelay();
const RING_MS = 2_500;

/** A media handler that records what the SDK hands it and makes SDP that names who made it for whom. */
class RecordingMedia implements CallMediaHandler {
  readonly offersMade: CallLeg[] = [];
  /** Remote offers answered: the SDP as received. */
  readonly offersAnswered: { leg: CallLeg; sdp: string }[] = [];
  readonly answersApplied: { leg: CallLeg; sdp: string }[] = [];
  readonly candidates: { peer: string; candidates: readonly string[] }[] = [];
  readonly closed: string[] = [];
  constructor(readonly name: string) {}
  async createOffer(leg: CallLeg, options: { video: boolean; renegotiation: boolean }): Promise<string> {
    this.offersMade.push(leg);
    return `v=0 offer from ${this.name} to ${leg.peer.slice(0, 8)} video=${options.video} re=${options.renegotiation}`;
  }
  async answerOffer(leg: CallLeg, sdp: string): Promise<string> {
    this.offersAnswered.push({ leg, sdp });
    return `v=0 answer from ${this.name} to [${sdp}]`;
  }
  async applyAnswer(leg: CallLeg, sdp: string): Promise<void> {
    this.answersApplied.push({ leg, sdp });
  }
  addRemoteCandidates(leg: CallLeg, candidates: readonly string[]): void {
    this.candidates.push({ peer: leg.peer, candidates });
  }
  closeLeg(leg: CallLeg): void {
    this.closed.push(leg.peer);
  }
}

interface Person {
  readonly client: ParleyClient;
  readonly media: RecordingMedia;
  readonly userId: string;
  readonly handle: string;
}

const people: ParleyClient[] = [];
afterEach(async () => {
  await Promise.all(people.splice(0).map((c) => c.close()));
});

async function person(name: string, options: Parameters<typeof newClient>[3] = {}): Promise<Person> {
  const client = await newClient(shared.relay.wsUrl, name, undefined, { calls: { ringTimeoutMs: RING_MS }, ...options });
  people.push(client);
  const media = new RecordingMedia(name);
  client.calls.setMedia(media);
  const handle = `${name.toLowerCase()}${Math.random().toString(36).slice(2, 10)}`;
  await client.claimHandle(handle);
  return { client, media, userId: client.userId, handle };
}

/** The next `event` of `client.calls` matching `filter`, or a rejection after `ms`. */
function nextCall(p: Person, event: "incoming" | "state", filter: (c: CallInfo) => boolean = () => true, ms = 10_000): Promise<CallInfo> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      off();
      reject(new Error(`timed out waiting for call ${event}`));
    }, ms);
    const off = p.client.calls.on(event, (call) => {
      if (!filter(call)) return;
      clearTimeout(timer);
      off();
      resolve(call);
    });
  });
}

/** Makes `a` and `b` contacts of each other (a text each way); returns each one's contact id for the other. */
async function introduce(a: Person, b: Person): Promise<{ bAtA: string; aAtB: string }> {
  const bAtA = (await a.client.findContact(b.handle)).id;
  const got = waitFor(b.client, "message", (m) => m.text === "hi");
  await a.client.sendText(bAtA, "hi");
  const aAtB = (await got).contactId;
  return { bAtA, aAtB };
}

const stateOf = (p: Person, filter: (c: CallInfo) => boolean, ms = 10_000) => nextCall(p, "state", filter, ms);
const callLines = async (p: Person, conversationId: string): Promise<ChatMessage[]> =>
  (await p.client.messages(conversationId)).filter((m) => m.kind === "call");

/** Connects a 1:1 call placed by `caller` and answered by `callee` up to active on both sides. */
async function connect(caller: Person, callee: Person, calleeAtCaller: string): Promise<string> {
  const incoming = nextCall(callee, "incoming");
  const call = await caller.client.calls.start(calleeAtCaller, { video: false });
  await incoming;
  const answered = stateOf(caller, (c) => c.id === call.id && c.state === "connecting");
  await callee.client.calls.accept(call.id);
  await answered;
  await caller.client.calls.connected(call.id, callee.userId);
  await callee.client.calls.connected(call.id, caller.userId);
  return call.id;
}

describe("1:1 calls through a real relay", () => {
  test("offer, answer and ICE cross intact; both sides reach active, hang up, and show the call with its duration", async () => {
    const [alice, bob] = await Promise.all([person("Alice"), person("Bob")]);
    const { bAtA, aAtB } = await introduce(alice, bob);

    const incoming = nextCall(bob, "incoming");
    const ringingThere = stateOf(alice, (c) => c.remoteRinging);
    const call = await alice.client.calls.start(bAtA, { video: true });
    expect(call).toMatchObject({ state: "outgoing", direction: "outgoing", video: true, caller: alice.userId, onThisDevice: true });
    // Gathered before anyone answered: held until the answering device is known.
    await alice.client.calls.sendCandidates(call.id, bob.userId, ["candidate:a1 1 udp 1 127.0.0.1 40001 typ host"]);
    const ringing = await incoming;
    expect(ringing).toMatchObject({ id: call.id, state: "ringing", direction: "incoming", video: true, conversationId: aAtB });
    await ringingThere;

    const connecting = stateOf(alice, (c) => c.id === call.id && c.state === "connecting");
    await bob.client.calls.accept(call.id);
    await connecting;
    // Alice's offer reached Bob byte for byte, and Bob's answer (quoting it) reached Alice.
    expect(bob.media.offersAnswered.map((o) => o.sdp)).toEqual([`v=0 offer from Alice to ${bob.userId.slice(0, 8)} video=true re=false`]);
    expect(alice.media.answersApplied.map((a) => a.sdp)).toEqual([`v=0 answer from Bob to [${bob.media.offersAnswered[0]?.sdp}]`]);
    expect(alice.media.answersApplied[0]?.leg.device).toBe(bob.client.deviceId);

    await bob.client.calls.sendCandidates(call.id, alice.userId, ["candidate:b1", "candidate:b2"]);
    await alice.client.calls.sendCandidates(call.id, bob.userId, ["candidate:a2"]);
    await eventually(() => alice.media.candidates.length === 1 && bob.media.candidates.flatMap((c) => c.candidates).length === 2);
    expect(alice.media.candidates[0]?.candidates).toEqual(["candidate:b1", "candidate:b2"]);
    expect(bob.media.candidates.flatMap((c) => c.candidates)).toEqual(["candidate:a1 1 udp 1 127.0.0.1 40001 typ host", "candidate:a2"]);

    expect((await alice.client.calls.connected(call.id, bob.userId)).state).toBe("active");
    expect((await bob.client.calls.connected(call.id, alice.userId)).state).toBe("active");
    await new Promise((r) => setTimeout(r, 1_100));

    const bobEnded = stateOf(bob, (c) => c.id === call.id && c.state === "ended");
    expect((await alice.client.calls.hangup(call.id)).endReason).toBe("hangup");
    expect((await bobEnded).endReason).toBe("hangup");
    expect(alice.media.closed).toEqual([bob.userId]);
    expect(bob.media.closed).toEqual([alice.userId]);

    const [aliceLine] = await callLines(alice, bAtA);
    const [bobLine] = await callLines(bob, aAtB);
    expect(aliceLine?.call).toMatchObject({ callId: call.id, direction: "outgoing", outcome: "completed", video: true });
    expect(bobLine?.call).toMatchObject({ callId: call.id, direction: "incoming", outcome: "completed" });
    expect(aliceLine?.call?.durationMs).toBeGreaterThanOrEqual(1_000);
    expect(bobLine?.text).toMatch(/^Video call · 0:0[1-9]$/);
    expect(alice.client.calls.list()).toEqual([]);
    expect(await errorCodeOf(() => alice.client.calls.hangup(call.id))).toBe(ErrorCode.CallState);
  });

  test("decline ends the call on both sides with a declined line", async () => {
    const [alice, bob] = await Promise.all([person("Alice"), person("Bob")]);
    const { bAtA, aAtB } = await introduce(alice, bob);
    const incoming = nextCall(bob, "incoming");
    const call = await alice.client.calls.start(bAtA, { video: false });
    await incoming;
    const aliceEnded = stateOf(alice, (c) => c.state === "ended");
    expect((await bob.client.calls.decline(call.id)).endReason).toBe("declined");
    expect((await aliceEnded).endReason).toBe("declined");
    expect((await callLines(alice, bAtA)).map((m) => m.text)).toEqual(["Voice call declined"]);
    expect((await callLines(bob, aAtB)).map((m) => m.call?.outcome)).toEqual(["declined"]);
    expect(alice.media.closed).toEqual([bob.userId]);
  });

  test("renegotiation (camera to screen with a new description) offers and answers on the connected leg only", async () => {
    const [alice, bob] = await Promise.all([person("Alice"), person("Bob")]);
    const { bAtA } = await introduce(alice, bob);
    const callId = await connect(alice, bob, bAtA);
    await eventually(() => bob.media.offersAnswered.length === 1);
    await bob.client.calls.renegotiate(callId);
    await eventually(() => bob.media.answersApplied.length === 1);
    expect(bob.media.offersMade.map((l) => [l.peer, l.device])).toEqual([[alice.userId, alice.client.deviceId]]);
    expect(alice.media.offersAnswered.map((o) => o.sdp)).toEqual([`v=0 offer from Bob to ${alice.userId.slice(0, 8)} video=false re=true`]);
    expect(bob.media.answersApplied[0]?.sdp).toBe(`v=0 answer from Alice to [${alice.media.offersAnswered[0]?.sdp}]`);
    // Still one call, active on both sides.
    expect(alice.client.calls.get(callId)?.state).toBe("active");
    expect(bob.client.calls.get(callId)?.state).toBe("active");
    expect(await errorCodeOf(() => bob.client.calls.renegotiate("ab".repeat(16)))).toBe(ErrorCode.CallState);
  });

  test("a voice call becomes a video call: renegotiate with video sets the flag on both sides and the history says video", async () => {
    const [alice, bob] = await Promise.all([person("Alice"), person("Bob")]);
    const { bAtA, aAtB } = await introduce(alice, bob);
    const callId = await connect(alice, bob, bAtA);
    expect(alice.client.calls.get(callId)?.video).toBe(false);
    // A plain renegotiation of a voice call keeps it a voice call on both sides.
    await alice.client.calls.renegotiate(callId);
    await eventually(() => alice.media.answersApplied.length === 2);
    expect(bob.client.calls.get(callId)?.video).toBe(false);

    const aliceVideo = stateOf(alice, (c) => c.id === callId && c.video);
    const bobVideo = stateOf(bob, (c) => c.id === callId && c.video);
    await alice.client.calls.renegotiate(callId, { video: true });
    expect(await aliceVideo).toMatchObject({ state: "active", video: true });
    expect(await bobVideo).toMatchObject({ state: "active", video: true });
    await eventually(() => alice.media.answersApplied.length === 3);
    expect(bob.media.offersAnswered.at(-1)?.sdp).toBe(`v=0 offer from Alice to ${bob.userId.slice(0, 8)} video=true re=true`);
    expect(bob.client.calls.get(callId)?.video).toBe(true);

    // Bob turns his camera on later: his renegotiation says video too; nothing changes back.
    await bob.client.calls.renegotiate(callId, { video: true });
    await eventually(() => bob.media.answersApplied.length === 1);
    expect(alice.media.offersAnswered.at(-1)?.sdp).toBe(`v=0 offer from Bob to ${alice.userId.slice(0, 8)} video=true re=true`);
    // A video call never goes back to voice.
    expect(await errorCodeOf(() => bob.client.calls.renegotiate(callId, { video: false }))).toBe(ErrorCode.CallState);
    expect(alice.client.calls.get(callId)?.video).toBe(true);
    expect(bob.client.calls.get(callId)?.video).toBe(true);

    const bobEnded = stateOf(bob, (c) => c.id === callId && c.state === "ended");
    await alice.client.calls.hangup(callId);
    await bobEnded;
    expect((await callLines(alice, bAtA))[0]?.call).toMatchObject({ video: true, outcome: "completed" });
    expect((await callLines(bob, aAtB))[0]?.text).toMatch(/^Video call · \d+:\d\d$/);
  });

  test("renegotiations that cross: each side answers the other's offer, drops the answer to its own, and the lower user id offers once more", async () => {
    const [alice, bob] = await Promise.all([person("Alice"), person("Bob")]);
    const { bAtA } = await introduce(alice, bob);
    const callId = await connect(alice, bob, bAtA);
    await eventually(() => bob.media.offersAnswered.length === 1);
    const [lower, higher] = alice.userId < bob.userId ? [alice, bob] : [bob, alice];
    const countsOf = (p: Person) => ({
      made: p.media.offersMade.length,
      answered: p.media.offersAnswered.length,
      applied: p.media.answersApplied.length,
    });
    const low0 = countsOf(lower);
    const high0 = countsOf(higher);
    // Both turn on a camera at the same moment: both offers are on their way before either arrives.
    await Promise.all([alice.client.calls.renegotiate(callId, { video: true }), bob.client.calls.renegotiate(callId, { video: true })]);
    // The higher id answers two offers (the crossed one and the settling one); the lower id answers one.
    await eventually(
      () => higher.media.offersAnswered.length === high0.answered + 2 && lower.media.answersApplied.length === low0.applied + 1,
    );
    await new Promise((r) => setTimeout(r, 500));
    expect(lower.media.offersMade.length - low0.made).toBe(2);
    expect(higher.media.offersMade.length - high0.made).toBe(1);
    expect(lower.media.offersAnswered.length - low0.answered).toBe(1);
    // No answer to a crossed offer reaches either media layer; the lower id applies only the answer to its last offer.
    expect(higher.media.answersApplied.length).toBe(high0.applied);
    expect(lower.media.answersApplied.at(-1)?.sdp).toBe(
      `v=0 answer from ${higher === alice ? "Alice" : "Bob"} to [${higher.media.offersAnswered.at(-1)?.sdp}]`,
    );
    expect(alice.client.calls.get(callId)).toMatchObject({ state: "active", video: true });
    expect(bob.client.calls.get(callId)).toMatchObject({ state: "active", video: true });

    // Afterwards either side renegotiates normally again.
    await higher.client.calls.renegotiate(callId);
    await eventually(() => higher.media.answersApplied.length === high0.applied + 1);
    await alice.client.calls.hangup(callId);
  });

  test("renegotiate with video before the call is active is ERR_CALL_STATE and changes nothing", async () => {
    const [alice, bob] = await Promise.all([person("Alice"), person("Bob")]);
    const { bAtA } = await introduce(alice, bob);
    const incoming = nextCall(bob, "incoming");
    const call = await alice.client.calls.start(bAtA, { video: false });
    await incoming;
    expect(await errorCodeOf(() => alice.client.calls.renegotiate(call.id, { video: true }))).toBe(ErrorCode.CallState);
    expect(alice.client.calls.get(call.id)?.video).toBe(false);
    expect(alice.media.offersMade).toHaveLength(1);
    await alice.client.calls.hangup(call.id);
  });

  test("a callee already in a call answers busy: the caller sees busy, the callee a missed call", async () => {
    const [alice, bob, carol] = await Promise.all([person("Alice"), person("Bob"), person("Carol")]);
    const ab = await introduce(alice, bob);
    const cb = await introduce(carol, bob);
    await connect(carol, bob, cb.bAtA);
    const ended = stateOf(alice, (c) => c.state === "ended");
    await alice.client.calls.start(ab.bAtA, { video: false });
    expect((await ended).endReason).toBe("busy");
    expect((await callLines(alice, ab.bAtA)).map((m) => m.text)).toEqual(["Voice call: busy"]);
    await eventually(async () => (await callLines(bob, ab.aAtB)).length === 1);
    expect((await callLines(bob, ab.aAtB))[0]?.call?.outcome).toBe("missed");
    expect(bob.client.calls.list().map((c) => c.state)).toEqual(["active"]);
  });

  test("nobody answers: after the ring timeout the caller sees no answer and the callee a missed call", async () => {
    const [alice, bob] = await Promise.all([person("Alice"), person("Bob")]);
    const { bAtA, aAtB } = await introduce(alice, bob);
    const incoming = nextCall(bob, "incoming");
    const bobEnded = stateOf(bob, (c) => c.state === "ended", RING_MS * 4);
    const aliceEnded = stateOf(alice, (c) => c.state === "ended", RING_MS * 4);
    const started = Date.now();
    const call = await alice.client.calls.start(bAtA, { video: false });
    await incoming;
    expect((await aliceEnded).endReason).toBe("noAnswer");
    expect(Date.now() - started).toBeGreaterThanOrEqual(RING_MS - 50);
    expect((await bobEnded).endReason).toBe("missed");
    expect((await callLines(alice, bAtA)).map((m) => m.text)).toEqual(["Voice call: no answer"]);
    expect((await callLines(bob, aAtB)).map((m) => m.text)).toEqual(["Missed voice call"]);
    expect(await errorCodeOf(() => bob.client.calls.accept(call.id))).toBe(ErrorCode.CallState);
  });

  test("media that never connects: after the connect timeout both sides end the call as failed", async () => {
    const calls = { ringTimeoutMs: RING_MS, connectTimeoutMs: 1_500 };
    const [alice, bob] = await Promise.all([person("Alice", { calls }), person("Bob", { calls })]);
    const { bAtA, aAtB } = await introduce(alice, bob);
    const incoming = nextCall(bob, "incoming");
    const call = await alice.client.calls.start(bAtA, { video: false });
    await incoming;
    const ended = [alice, bob].map((p) => nextCall(p, "state", (c) => c.id === call.id && c.state === "ended", 10_000));
    await bob.client.calls.accept(call.id);
    expect((await Promise.all(ended)).map((c) => c.endReason)).toEqual(["failed", "failed"]);
    expect((await callLines(alice, bAtA)).map((m) => m.text)).toEqual(["Voice call failed"]);
    expect((await callLines(bob, aAtB)).map((m) => m.call?.outcome)).toEqual(["failed"]);
  });

  test("an offer that arrives after the ring timeout (callee offline) is only a missed call", async () => {
    // Dave's clock runs ahead by more than the ring timeout: every offer is already stale for him,
    // as it is for a callee that comes online after the call stopped ringing.
    const [alice, dave] = await Promise.all([person("Alice"), person("Dave", { now: () => Date.now() + RING_MS * 2 })]);
    const { bAtA: skewedAtAlice } = await introduce(alice, dave);
    const skewed = dave;
    let rang = false;
    skewed.client.calls.on("incoming", () => {
      rang = true;
    });
    const missed = waitFor(skewed.client, "message", (m) => m.kind === "call");
    await alice.client.calls.start(skewedAtAlice, { video: true });
    expect((await missed).text).toBe("Missed video call");
    expect(rang).toBe(false);
    expect(skewed.client.calls.list()).toEqual([]);
    await alice.client.calls.hangup(alice.client.calls.list()[0]?.id ?? "");
    expect((await callLines(alice, skewedAtAlice)).map((m) => m.call?.outcome)).toEqual(["cancelled"]);
  });

  test("the callee rings before its ringing signal is sealed and stored: a slow store does not hold up the banner", async () => {
    // While `slow` is set, every store batch that queues a send (the outbox) takes STORE_DELAY_MS,
    // as on a busy phone. Bob's incoming call must show before his ringing signal is stored, and
    // the ringing still reach Alice.
    const STORE_DELAY_MS = 2_000;
    const order: string[] = [];
    let slow = false;
    const inner = new MemoryStore();
    const slowOutbox: Store = {
      get: (namespace, key) => inner.get(namespace, key),
      list: (namespace, prefix) => inner.list(namespace, prefix),
      close: () => inner.close(),
      batch: async (writes) => {
        const queuesSend = slow && writes.some((w) => w.namespace === "outbox" && w.value !== undefined);
        if (queuesSend) await new Promise((resolve) => setTimeout(resolve, STORE_DELAY_MS));
        await inner.batch(writes);
        // A received message is remembered as seen (its id): here, Alice's offer.
        if (slow && writes.some((w) => w.namespace === "seen")) order.push("message received");
        if (queuesSend) order.push("send stored");
      },
    };
    const calls = { ringTimeoutMs: STORE_DELAY_MS * 5 };
    const [alice, bob] = await Promise.all([person("Alice", { calls }), person("Bob", { calls, store: slowOutbox })]);
    const { bAtA } = await introduce(alice, bob);
    slow = true;
    const incoming = nextCall(bob, "incoming").then(() => order.push("incoming"));
    const call = await alice.client.calls.start(bAtA, { video: false });
    await incoming;
    await stateOf(alice, (c) => c.id === call.id && c.remoteRinging, STORE_DELAY_MS * 4);
    // After the offer: the banner, then the ringing signal stored (before, the other way round).
    const offer = order.indexOf("message received");
    expect(offer).toBeGreaterThanOrEqual(0);
    expect(order.slice(offer + 1, offer + 3)).toEqual(["incoming", "send stored"]);
    slow = false;
    await alice.client.calls.hangup(call.id);
  });

  test("glare: both call each other at once; the lower user id's call wins and connects", async () => {
    const [alice, bob] = await Promise.all([person("Alice"), person("Bob")]);
    const { bAtA, aAtB } = await introduce(alice, bob);
    const [low, high] = alice.userId < bob.userId ? [alice, bob] : [bob, alice];
    const lowConnecting = stateOf(low, (c) => c.direction === "outgoing" && c.state === "connecting");
    const highConnecting = stateOf(high, (c) => c.direction === "incoming" && c.state === "connecting");
    const highLost = stateOf(high, (c) => c.direction === "outgoing" && c.state === "ended");
    // The losing side answers the winning call at once: it never rings there (no `incoming`).
    const incoming: string[] = [];
    for (const p of [low, high]) {
      p.client.calls.on("incoming", (c) => incoming.push(c.id));
      p.client.calls.on("state", (c) => c.state === "ringing" && incoming.push(c.id));
    }
    const [fromAlice, fromBob] = await Promise.all([
      alice.client.calls.start(bAtA, { video: false }),
      bob.client.calls.start(aAtB, { video: false }),
    ]);
    const winner = low === alice ? fromAlice : fromBob;
    expect((await lowConnecting).id).toBe(winner.id);
    expect((await highConnecting).id).toBe(winner.id);
    expect((await highLost).endReason).toBe("glare");
    expect(low.client.calls.list().map((c) => c.id)).toEqual([winner.id]);
    expect(high.client.calls.list().map((c) => c.id)).toEqual([winner.id]);
    expect(incoming).toEqual([]);
    await low.client.calls.connected(winner.id, high.userId);
    await high.client.calls.connected(winner.id, low.userId);
    const ended = stateOf(high, (c) => c.id === winner.id && c.state === "ended");
    await low.client.calls.hangup(winner.id);
    await ended;
    // One call in each history: the losing call leaves no line.
    expect((await callLines(alice, bAtA)).map((m) => m.call?.callId)).toEqual([winner.id]);
    expect((await callLines(bob, aAtB)).map((m) => m.call?.callId)).toEqual([winner.id]);
  });

  test("typed errors: unknown calls, wrong states, no media handler, an over-long ICE candidate", async () => {
    const [alice, bob] = await Promise.all([person("Alice"), person("Bob")]);
    const { bAtA } = await introduce(alice, bob);
    const unknown = "00".repeat(16);
    expect(await errorCodeOf(() => alice.client.calls.accept(unknown))).toBe(ErrorCode.CallState);
    expect(await errorCodeOf(() => alice.client.calls.decline(unknown))).toBe(ErrorCode.CallState);
    expect(await errorCodeOf(() => alice.client.calls.start("no-such-contact", { video: false }))).toBe(ErrorCode.UnknownContact);
    const call = await alice.client.calls.start(bAtA, { video: false });
    expect(await errorCodeOf(() => alice.client.calls.accept(call.id))).toBe(ErrorCode.CallState);
    expect(await errorCodeOf(() => alice.client.calls.connected(call.id, bob.userId))).toBe(ErrorCode.CallState);
    expect(await errorCodeOf(() => alice.client.calls.start(bAtA, { video: false }))).toBe(ErrorCode.CallState);
    expect(await errorCodeOf(() => alice.client.calls.sendCandidates(call.id, "ff".repeat(16), ["c"]))).toBe(ErrorCode.CallState);
    const longest = "c".repeat(MAX_CALL_ICE_CANDIDATE_BYTES);
    await alice.client.calls.sendCandidates(call.id, bob.userId, [longest]);
    expect(await errorCodeOf(() => alice.client.calls.sendCandidates(call.id, bob.userId, [`${longest}c`]))).toBe(ErrorCode.LimitExceeded);
    await alice.client.calls.hangup(call.id);

    // An offer SDP of MAX_CALL_SDP_BYTES goes; one byte more is refused before anything is sent.
    const sized = (bytes: number): CallMediaHandler =>
      Object.assign(new RecordingMedia("Alice"), { createOffer: async () => "s".repeat(bytes) });
    const ringsAtBob = nextCall(bob, "incoming", (c) => c.id !== call.id);
    alice.client.calls.setMedia(sized(MAX_CALL_SDP_BYTES));
    const largest = await alice.client.calls.start(bAtA, { video: false });
    expect((await ringsAtBob).id).toBe(largest.id);
    await alice.client.calls.hangup(largest.id);
    alice.client.calls.setMedia(sized(MAX_CALL_SDP_BYTES + 1));
    expect(await errorCodeOf(() => alice.client.calls.start(bAtA, { video: false }))).toBe(ErrorCode.LimitExceeded);
    expect(alice.client.calls.list()).toEqual([]);

    const bare = await newClient(shared.relay.wsUrl, "NoMedia");
    people.push(bare);
    expect(await errorCodeOf(() => bare.calls.start(bAtA, { video: false }))).toBe(ErrorCode.CallState);
  });
});

describe("calls across devices", () => {
  test("every device of the callee rings; the first to accept wins and the other stops; the caller's other device watches", async () => {
    const [alice, bob] = await Promise.all([person("Alice"), person("Bob")]);
    const alice2Client = await linkDevice(shared.relay.wsUrl, alice.client, { calls: { ringTimeoutMs: RING_MS } });
    const bob2Client = await linkDevice(shared.relay.wsUrl, bob.client, { calls: { ringTimeoutMs: RING_MS } });
    people.push(alice2Client, bob2Client);
    const bob2: Person = { client: bob2Client, media: new RecordingMedia("Bob2"), userId: bob.userId, handle: bob.handle };
    bob2Client.calls.setMedia(bob2.media);
    const alice2: Person = { client: alice2Client, media: new RecordingMedia("Alice2"), userId: alice.userId, handle: alice.handle };
    alice2Client.calls.setMedia(alice2.media);
    await eventually(() => alice.client.devices.length === 2 && bob.client.devices.length === 2);
    const { bAtA, aAtB } = await introduce(alice, bob);

    const rings = [bob, bob2].map((p) => nextCall(p, "incoming"));
    const watched = stateOf(alice2, (c) => c.state === "outgoing");
    const call = await alice.client.calls.start(bAtA, { video: true });
    expect((await Promise.all(rings)).map((c) => c.id)).toEqual([call.id, call.id]);
    expect(await watched).toMatchObject({ id: call.id, onThisDevice: false, direction: "outgoing", caller: alice.userId });

    const stopped = stateOf(bob, (c) => c.id === call.id && c.state === "ended");
    const answered = stateOf(alice, (c) => c.id === call.id && c.state === "connecting");
    const watchedConnecting = stateOf(alice2, (c) => c.id === call.id && c.state === "connecting");
    await bob2Client.calls.accept(call.id);
    expect((await stopped).endReason).toBe("answeredElsewhere");
    await answered;
    await watchedConnecting;
    expect(alice.media.answersApplied.map((a) => a.leg.device)).toEqual([bob2Client.deviceId]);
    expect(bob.media.offersAnswered).toEqual([]);
    // A late accept on the device that stopped ringing is refused.
    expect(await errorCodeOf(() => bob.client.calls.accept(call.id))).toBe(ErrorCode.CallState);

    const watchEnded = stateOf(alice2, (c) => c.id === call.id && c.state === "ended");
    const bob2Ended = stateOf(bob2, (c) => c.id === call.id && c.state === "ended");
    await alice.client.calls.hangup(call.id);
    await Promise.all([watchEnded, bob2Ended]);
    // The device that stopped ringing, and the one that watched, keep no line; the two that took part do.
    expect(await callLines(bob, aAtB)).toEqual([]);
    expect(await callLines(alice2, bAtA)).toEqual([]);
    expect((await callLines(bob2, aAtB)).map((m) => m.call?.outcome)).toEqual(["cancelled"]);
    expect((await callLines(alice, bAtA)).map((m) => m.call?.outcome)).toEqual(["cancelled"]);
  });
});

describe("glare across devices", () => {
  test("the winning caller's other device never rings for the losing call and keeps no line", async () => {
    const pair = await Promise.all([person("Alice"), person("Bob")]);
    // The winner (lower user id) has a second device: the losing offer reaches it too.
    const [low, high] = (pair[0].userId < pair[1].userId ? pair : [pair[1], pair[0]]) as [Person, Person];
    const low2Client = await linkDevice(shared.relay.wsUrl, low.client, { calls: { ringTimeoutMs: RING_MS } });
    people.push(low2Client);
    const low2: Person = { client: low2Client, media: new RecordingMedia("Low2"), userId: low.userId, handle: low.handle };
    low2Client.calls.setMedia(low2.media);
    await eventually(() => low.client.devices.length === 2);
    const { bAtA: highAtLow, aAtB: lowAtHigh } = await introduce(low, high);
    const rangAtLow2: CallInfo[] = [];
    low2Client.calls.on("incoming", (c) => rangAtLow2.push(c));
    const watching = stateOf(low2, (c) => !c.onThisDevice);

    const connected = stateOf(low, (c) => c.direction === "outgoing" && c.state === "connecting");
    const [winner, loser] = await Promise.all([
      low.client.calls.start(highAtLow, { video: false }),
      high.client.calls.start(lowAtHigh, { video: false }),
    ]);
    expect((await connected).id).toBe(winner.id);
    expect((await watching).id).toBe(winner.id);
    const ended = stateOf(high, (c) => c.id === winner.id && c.state === "ended");
    const watchEnded = stateOf(low2, (c) => c.id === winner.id && c.state === "ended");
    await low.client.calls.hangup(winner.id);
    await Promise.all([ended, watchEnded]);
    expect(rangAtLow2.map((c) => c.id)).not.toContain(loser.id);
    expect(rangAtLow2).toEqual([]);
    expect(low2Client.calls.list()).toEqual([]);
    expect(await callLines(low2, highAtLow)).toEqual([]);
    expect(low2.media.offersAnswered).toEqual([]);
  });
});

describe("tampered signalling", () => {
  test("a call signal altered on its way is never delivered to the app; the call ends cleanly as not answered", async () => {
    const tampering = tamperingTransport();
    const [alice, bob] = await Promise.all([person("Alice"), person("Bob", { transport: tampering.factory })]);
    const { bAtA, aAtB } = await introduce(alice, bob);
    const errors: Error[] = [];
    bob.client.on("error", (e) => errors.push(e));
    let rang = false;
    bob.client.calls.on("incoming", () => {
      rang = true;
    });
    let flipped = 0;
    // The relay (or anyone on the path) flips one byte of every envelope it pushes to Bob.
    tampering.tampering = {
      rewrite: (frame) => {
        if (frame.t !== "message") return frame;
        const envelope = frame.envelope.slice();
        const at = envelope.length - 20;
        envelope[at] = (envelope[at] as number) ^ 0x01;
        flipped++;
        return { ...frame, envelope };
      },
    };
    const aliceEnded = stateOf(alice, (c) => c.state === "ended", RING_MS * 4);
    await alice.client.calls.start(bAtA, { video: true });
    expect((await aliceEnded).endReason).toBe("noAnswer");
    await eventually(() => flipped >= 1 && errors.some((e) => (e as { code?: string }).code === ErrorCode.DecryptFailed));
    expect(rang).toBe(false);
    expect(bob.client.calls.list()).toEqual([]);
    expect(bob.media.offersAnswered).toEqual([]);
    expect(await callLines(bob, aAtB)).toEqual([]);
  });
});

describe("group calls", () => {
  test("a three-party group call sets up all three legs: the caller offers to each, the lower user id offers between callees", async () => {
    const [alice, bob, carol] = await Promise.all([person("Alice"), person("Bob"), person("Carol")]);
    const ab = await introduce(alice, bob);
    const ac = await introduce(alice, carol);
    const joined = [bob, carol].map((p) => waitFor(p.client, "group"));
    const group = await alice.client.groups.create({ name: "Call us", members: [ab.bAtA, ac.bAtA] });
    await Promise.all(joined);

    const rings = [bob, carol].map((p) => nextCall(p, "incoming"));
    const call = await alice.client.calls.start(group.id, { video: true });
    expect(call.participants).toHaveLength(3);
    const [atBob, atCarol] = await Promise.all(rings);
    expect(atBob?.conversationId).toBe(group.id);
    expect(atCarol?.id).toBe(call.id);

    await bob.client.calls.accept(call.id);
    await carol.client.calls.accept(call.id);
    const [lower, higher] = bob.userId < carol.userId ? [bob, carol] : [carol, bob];
    await eventually(() => alice.media.answersApplied.length === 2 && higher.media.offersAnswered.length === 2);
    // Alice offered to both; the lower callee offered the mesh leg to the higher, which answered it.
    expect(alice.media.offersMade.map((l) => l.peer).sort()).toEqual([bob.userId, carol.userId].sort());
    expect(lower.media.offersMade.map((l) => l.peer)).toEqual([higher.userId]);
    expect(higher.media.offersMade).toEqual([]);
    expect(higher.media.offersAnswered.map((o) => o.leg.peer).sort()).toEqual([alice.userId, lower.userId].sort());
    await eventually(() => lower.media.answersApplied.length === 1);
    expect(lower.media.answersApplied[0]?.leg.peer).toBe(higher.userId);

    for (const [p, others] of [
      [alice, [bob, carol]],
      [bob, [alice, carol]],
      [carol, [alice, bob]],
    ] as const) {
      for (const other of others) await p.client.calls.connected(call.id, other.userId);
      expect(p.client.calls.get(call.id)?.connected.slice().sort()).toEqual(others.map((o) => o.userId).sort());
    }

    // Alice leaves; Bob and Carol keep their leg until one of them hangs up.
    const bobSawAliceLeave = stateOf(bob, (c) => c.id === call.id && !c.connected.includes(alice.userId));
    await alice.client.calls.hangup(call.id);
    expect((await bobSawAliceLeave).state).toBe("active");
    const carolEnded = stateOf(carol, (c) => c.id === call.id && c.state === "ended");
    await bob.client.calls.hangup(call.id);
    expect((await carolEnded).endReason).toBe("hangup");
    for (const p of [alice, bob, carol]) {
      expect((await callLines(p, group.id)).map((m) => m.call?.outcome)).toEqual(["completed"]);
    }
  });

  test("a group of MAX_CALL_PARTICIPANTS members can be called; one member more is ERR_LIMIT_EXCEEDED and nothing rings", async () => {
    const everyone = await Promise.all(["Alice", "Bob", "Carol", "Dave", "Erin"].map((name) => person(name)));
    const [alice, ...others] = everyone as [Person, ...Person[]];
    const atAlice: string[] = [];
    for (const other of others) atAlice.push((await introduce(alice, other)).bAtA);
    const four = await alice.client.groups.create({ name: "Four", members: atAlice.slice(0, MAX_CALL_PARTICIPANTS - 1) });
    const five = await alice.client.groups.create({ name: "Five", members: atAlice });
    expect(four.members).toHaveLength(MAX_CALL_PARTICIPANTS);
    expect(five.members).toHaveLength(MAX_CALL_PARTICIPANTS + 1);
    expect(await errorCodeOf(() => alice.client.calls.start(five.id, { video: false }))).toBe(ErrorCode.LimitExceeded);
    expect(alice.media.offersMade).toEqual([]);
    const rings = others.slice(0, MAX_CALL_PARTICIPANTS - 1).map((p) => nextCall(p, "incoming"));
    const call = await alice.client.calls.start(four.id, { video: false });
    expect((await Promise.all(rings)).map((c) => c.id)).toEqual([call.id, call.id, call.id]);
    expect(call.participants).toHaveLength(MAX_CALL_PARTICIPANTS);
    await alice.client.calls.hangup(call.id);
  });
});
