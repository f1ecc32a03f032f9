/**
 * What a device does with each received call signal (spec/calls.md §4, §6, §7, §10): new calls
 * ring (or get busy, or are missed when they arrive late), glare resolves by user id, answers
 * and ICE reach the media handler, our own devices' copies stop the ringing here. Runs inside
 * the calls queue (calls-api.ts), through the engine (engine.ts), never the public, queued methods.
 */

import { ParleyError } from "../../errors.js";
import { Call } from "./call.js";
import type { CallEngine } from "./engine.js";
import type { ReceivedCallSignal } from "./received.js";
import { type CallSignal, decodeCallSignal, type HangupReason } from "./signal-payload.js";
import type { CallEndReason } from "./types.js";

/** Handles one received call signal. A payload out of shape is reported on `error` and dropped. */
export async function receiveCallSignal(api: CallEngine, received: ReceivedCallSignal): Promise<void> {
  let signal: CallSignal;
  try {
    signal = decodeCallSignal(received.type, received.payload);
  } catch (error) {
    if (!ParleyError.is(error)) throw error;
    api.report(error);
    return;
  }
  if (received.fromOwnDevice) return fromOwnDevice(api, received, signal);
  const call = api.calls.get(received.callId);
  if (call && !call.onThisDevice) return watched(api, call, signal);
  // A signal for one device of ours, and this is another.
  if (signal.to !== undefined && signal.to !== api.deviceId) return;
  if (signal.type === "offer") return call ? offerInCall(api, call, received, signal) : newOffer(api, received, signal);
  if (!call) return;
  if (signal.type === "join") return joined(api, call, received);
  const leg = call.legs.get(received.peer);
  if (!leg || (leg.device !== undefined && leg.device !== received.senderDevice && signal.type !== "answer")) return;
  switch (signal.type) {
    case "answer":
      return answered(api, call, received, signal.sdp);
    case "ice":
      if (call.state === "ringing") leg.pendingRemoteIce.push(...signal.candidates);
      else api.requireMedia().addRemoteCandidates(call.legInfo(leg), signal.candidates);
      return;
    case "ringing":
      if (call.state === "outgoing" && !call.remoteRinging) {
        call.remoteRinging = true;
        api.changed(call);
      }
      return;
    case "hangup":
      return legEnded(api, call, received.peer, hangupEnd(call, signal.reason));
    case "busy":
      return legEnded(api, call, received.peer, "busy");
    case "decline":
      return legEnded(api, call, received.peer, "declined");
  }
}

/** A participant of a group call joined (spec/calls.md §10): remembered, and offered a leg if we are the pair's lower user id. */
async function joined(api: CallEngine, call: Call, received: ReceivedCallSignal): Promise<void> {
  if (!call.groupId || !call.participants.includes(received.peer)) return;
  call.joined.set(received.peer, received.senderDevice);
  if (call.state === "connecting" || call.state === "active") await api.offerMeshLeg(call, received.peer, received.senderDevice);
}

/** A copy of what another of our devices sent (spec/calls.md §7). */
async function fromOwnDevice(api: CallEngine, received: ReceivedCallSignal, signal: CallSignal): Promise<void> {
  const call = api.calls.get(received.callId);
  if (signal.type === "offer") {
    if (call || api.wasEnded(received.callId) || signal.to !== undefined) return;
    // Our other device placed a call: watch it here (no ringing, no media, no history line).
    const participants = signal.group?.participants ?? [api.ctx.me, received.peer];
    const conversationId = api.conversationFor(received.contactId, signal.group?.groupId);
    const now = api.ctx.now();
    const watched = new Call(
      received.callId,
      conversationId,
      "outgoing",
      signal.video,
      api.ctx.me,
      received.senderDevice,
      participants,
      signal.group?.groupId,
      false,
      now,
      received.sentAt,
    );
    api.add(watched);
    api.changed(watched);
    return;
  }
  if (!call) return;
  if (!call.onThisDevice) {
    if (signal.type === "hangup" || signal.type === "decline")
      await api.end(call, signal.type === "hangup" ? hangupEnd(call, signal.reason) : "declined");
    return;
  }
  // Another of our devices answered, declined or was busy: this one stops ringing.
  if (call.state === "ringing" && (signal.type === "answer" || signal.type === "decline" || signal.type === "busy")) {
    await api.end(call, "answeredElsewhere");
  }
}

/** A signal about a call that runs on another of our devices. */
async function watched(api: CallEngine, call: Call, signal: CallSignal): Promise<void> {
  if (signal.type === "answer" && call.state === "outgoing") {
    call.state = "connecting";
    api.changed(call);
  } else if (signal.type === "hangup") {
    await api.end(call, hangupEnd(call, signal.reason));
  } else if (signal.type === "busy" || signal.type === "decline") {
    if (!call.groupId) await api.end(call, signal.type === "busy" ? "busy" : "declined");
  }
}

/** An offer for a call we do not know: a new call rings, is busy, is missed, or resolves glare. */
async function newOffer(api: CallEngine, received: ReceivedCallSignal, offer: Extract<CallSignal, { type: "offer" }>): Promise<void> {
  // Offers with a target are for legs of calls already set up (mesh, renegotiation), never new calls.
  if (api.wasEnded(received.callId) || offer.to !== undefined) return;
  const me = api.ctx.me;
  if (offer.group && (!offer.group.participants.includes(me) || !offer.group.participants.includes(received.peer))) return;
  const participants = offer.group?.participants ?? [received.peer, me];
  const now = api.ctx.now();
  const call = new Call(
    received.callId,
    api.conversationFor(received.contactId, offer.group?.groupId),
    "incoming",
    offer.video,
    received.peer,
    received.senderDevice,
    participants,
    offer.group?.groupId,
    true,
    now,
    received.sentAt,
  );
  call.remoteOffer = offer.sdp;
  call.leg(received.peer, false, received.senderDevice);
  // Delivered after it would have stopped ringing (the callee was offline): only the missed call.
  if (now - received.sentAt > api.ringTimeoutMs) {
    api.add(call);
    await api.end(call, "missed");
    return;
  }
  // Both called each other (spec/calls.md §6): the call of the lower user id wins. A device that
  // only watches our account's call ignores the losing offer too, and rings for a winning one
  // until the calling device's answer stops it.
  const glare = offer.group
    ? undefined
    : [...api.calls.values()].find((c) => !c.ended && c.state === "outgoing" && !c.groupId && c.participants.includes(received.peer));
  if (glare && me < received.peer) return;
  if (glare?.onThisDevice) {
    await api.hangupLegs(glare, "glare");
    await api.end(glare, "glare");
    api.add(call);
    // No `incoming` and no "ringing" state: this call does not ring here, it is answered at once
    // (an app would flash its incoming-call banner); its first event is the answered state.
    await api.acceptNow(call);
    return;
  }
  if (api.busyHere()) {
    await api.send(call, received.peer, { type: "busy", to: received.senderDevice });
    api.add(call);
    await api.end(call, "missed");
    return;
  }
  api.add(call);
  // It rings here first, then the caller's device is told (sealing and storing the signal takes a while).
  api.ringing(call);
  await api.send(call, received.peer, { type: "ringing", to: received.senderDevice }, { noSync: true, onlyDevice: true });
}

/** An offer on a call we take part in: the other side renegotiates, or offers us a mesh leg. */
async function offerInCall(
  api: CallEngine,
  call: Call,
  received: ReceivedCallSignal,
  offer: Extract<CallSignal, { type: "offer" }>,
): Promise<void> {
  if (call.state !== "connecting" && call.state !== "active") return;
  let leg = call.legs.get(received.peer);
  if (!leg) {
    if (!call.groupId || !call.participants.includes(received.peer)) return;
    leg = call.leg(received.peer, false, received.senderDevice);
  }
  if (leg.device !== received.senderDevice) return;
  // Their renegotiation crossed ours (both offered at once, spec/calls.md §4.1): their offer rolls
  // ours back in the media layer, so the answers to our crossed offers are dropped when they come.
  const crossed = leg.renegotiations.includes(true);
  leg.renegotiations.fill(false);
  leg.offerer = false;
  const sdp = await api.requireMedia().answerOffer(call.legInfo(leg), offer.sdp);
  await api.send(call, received.peer, { type: "answer", sdp, to: received.senderDevice }, { noSync: true, onlyDevice: true });
  // The other side added video (spec/calls.md §4.1): the call is a video call from now on, here too.
  // A renegotiation saying `video: false` never turns a video call back into a voice call.
  if (offer.video && !call.video) {
    call.video = true;
    api.changed(call);
  }
  // Each side now holds a description the other dropped: the lower user id offers once more, so
  // both end on one description (the same tie-break as glare, §6; the other side does not, so
  // the offers do not cross again).
  if (crossed && api.ctx.me < received.peer) await api.renegotiateLeg(call, leg);
}

/** The answer to our offer on a leg: the first device to answer takes it; a later one is told it was answered elsewhere. */
async function answered(api: CallEngine, call: Call, received: ReceivedCallSignal, sdp: string): Promise<void> {
  const leg = call.legs.get(received.peer);
  if (!leg) return;
  // Answers come in the order of our renegotiation offers: one to an offer that crossed theirs is dropped.
  if (leg.device === received.senderDevice && leg.renegotiations.length > 0 && leg.renegotiations.shift() === false) return;
  if (!leg.offerer) return;
  if (leg.device !== undefined && leg.device !== received.senderDevice) {
    await api.send(
      call,
      received.peer,
      { type: "hangup", reason: "answeredElsewhere", to: received.senderDevice },
      { noSync: true, onlyDevice: true },
    );
    return;
  }
  const first = leg.device === undefined;
  leg.device = received.senderDevice;
  await api.requireMedia().applyAnswer(call.legInfo(leg), sdp);
  if (!first) return;
  if (leg.pendingLocalIce.length > 0) await api.sendIce(call, leg, leg.pendingLocalIce.splice(0));
  if (call.state === "outgoing") {
    call.clearTimers();
    call.state = "connecting";
    api.armConnectTimer(call);
    api.changed(call);
  }
}

/** One leg ended by the other side; a 1:1 call (or a group call with no leg left) ends with it. */
async function legEnded(api: CallEngine, call: Call, peer: string, reason: CallEndReason): Promise<void> {
  const leg = call.legs.get(peer);
  if (!leg) return;
  if (!call.groupId || call.state === "ringing") {
    await api.end(call, reason);
    return;
  }
  api.requireMedia().closeLeg(call.legInfo(leg));
  call.legs.delete(peer);
  if (call.legs.size === 0) await api.end(call, call.connectedAt !== undefined ? "hangup" : reason);
  else api.changed(call);
}

/** Our end reason for a hangup the other side sent. */
function hangupEnd(call: Call, reason: HangupReason): CallEndReason {
  if (call.state === "ringing") return reason === "answeredElsewhere" || reason === "glare" ? reason : "missed";
  switch (reason) {
    case "failed":
      return "failed";
    case "answeredElsewhere":
      return "answeredElsewhere";
    case "glare":
      return "glare";
    case "noAnswer":
      return "noAnswer";
    case "cancelled":
      return "cancelled";
    default:
      return "hangup";
  }
}
