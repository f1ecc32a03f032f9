/**
 * `client.calls`: placing, answering and ending calls, and the signalling state machine of
 * spec/calls.md. Every signal travels as an end-to-end encrypted call-signal content over the
 * ordinary sessions (so SDP and its DTLS fingerprints are authenticated end to end); media is the
 * app's, plugged in as a CallMediaHandler. Local actions and received signals run one at a time
 * (a queue), so a leg's answer is always applied before its ICE candidates.
 */

import { bytesToHex as hex, hexToBytes } from "../../crypto/bytes.js";
import { ErrorCode, ParleyError } from "../../errors.js";
import { MAX_CALL_ICE_BATCH, MAX_CALL_PARTICIPANTS } from "../../limits.js";
import type { ClientContext } from "../context.js";
import { Emitter } from "../events.js";
import { groupConversationId, groupIdOf, isGroupConversation } from "../groups/ids.js";
import { memberContact } from "../groups/members.js";
import { requireMembership } from "../groups/send.js";
import { newContent, sendContent } from "../outgoing.js";
import { Call, type LegState } from "./call.js";
import { outcomeOf, recordCallLine } from "./history.js";
import { receiveCallSignal } from "./receive.js";
import type { ReceivedCallSignal } from "./received.js";
import { type CallSignal, encodeCallSignal, type HangupReason } from "./signal-payload.js";
import {
  CALL_CONNECT_TIMEOUT_MS,
  CALL_RING_TIMEOUT_MS,
  type CallEndReason,
  type CallEvents,
  type CallInfo,
  type CallMediaHandler,
  type CallOptions,
} from "./types.js";

/** Ended call ids remembered so late signals for them are ignored, not taken for new calls. */
const ENDED_REMEMBERED = 256;

export class CallsApi extends Emitter<CallEvents> {
  /** Calls this device knows, by id (hex). */
  readonly calls = new Map<string, Call>();
  private readonly endedIds: string[] = [];
  private media: CallMediaHandler | undefined;
  private queue: Promise<unknown> = Promise.resolve();
  /** Ring timeout (ms). */
  readonly ringTimeoutMs: number;
  /** Connect timeout (ms). */
  readonly connectTimeoutMs: number;

  constructor(
    readonly ctx: ClientContext,
    private readonly assertOpen: () => void,
    options: CallOptions = {},
  ) {
    super();
    this.ringTimeoutMs = options.ringTimeoutMs ?? CALL_RING_TIMEOUT_MS;
    this.connectTimeoutMs = options.connectTimeoutMs ?? CALL_CONNECT_TIMEOUT_MS;
    ctx.onCallSignal = (signal) => {
      this.run(() => receiveCallSignal(this, signal)).catch((error) => this.report(error));
    };
  }

  /** Plugs in the app's WebRTC layer; needed before placing or answering calls (incoming calls ring without it). */
  setMedia(media: CallMediaHandler): void {
    this.media = media;
  }

  /** Every call this device knows that has not ended. */
  list(): CallInfo[] {
    return [...this.calls.values()].filter((c) => !c.ended).map((c) => c.info());
  }

  /** One call's current snapshot (ended calls are forgotten after a while). */
  get(callId: string): CallInfo | undefined {
    return this.calls.get(callId)?.info();
  }

  /**
   * Calls a contact (its id) or a group (its conversation id, up to MAX_CALL_PARTICIPANTS members):
   * every device of every callee rings. Resolves with the call once its offers are queued.
   * ERR_CALL_STATE while another call runs here, ERR_LIMIT_EXCEEDED for a larger group.
   */
  start(conversationId: string, options: { readonly video: boolean }): Promise<CallInfo> {
    this.assertOpen();
    const media = this.requireMedia();
    return this.run(async () => {
      if (this.busyHere()) throw new ParleyError(ErrorCode.CallState, "another call is in progress on this device");
      const id = hex(this.ctx.deps.crypto.randomBytes(16));
      const me = this.ctx.me;
      let participants: string[];
      let groupId: string | undefined;
      if (isGroupConversation(conversationId)) {
        const { state } = await requireMembership(this.ctx, groupIdOf(conversationId));
        participants = state.members.map((m) => hex(m.userId));
        if (participants.length > MAX_CALL_PARTICIPANTS) {
          throw new ParleyError(ErrorCode.LimitExceeded, `group calls have at most ${MAX_CALL_PARTICIPANTS} participants`);
        }
        groupId = hex(groupIdOf(conversationId));
      } else {
        const contact = await this.ctx.contact(conversationId);
        if (!contact) throw new ParleyError(ErrorCode.UnknownContact, "no such contact");
        participants = [me, hex(contact.userId)];
      }
      const now = this.ctx.now();
      const call = new Call(id, conversationId, "outgoing", options.video, me, this.deviceId, participants, groupId, true, now, now);
      try {
        for (const peer of participants.filter((p) => p !== me)) {
          const leg = call.leg(peer, true);
          const sdp = await media.createOffer(call.legInfo(leg), { video: options.video, renegotiation: false });
          const group = groupId ? { group: { groupId, participants } } : {};
          await this.send(call, peer, { type: "offer", sdp, video: options.video, ...group });
        }
      } catch (error) {
        // An offer that could not go (too large, unknown participant): the legs made so far close,
        // and any callee that already rings is told the call is cancelled.
        for (const leg of call.legs.values()) media.closeLeg(call.legInfo(leg));
        const offered = [...call.legs.values()].slice(0, -1);
        for (const leg of offered) await this.send(call, leg.peer, { type: "hangup", reason: "cancelled" }).catch(() => undefined);
        throw error;
      }
      this.calls.set(id, call);
      call.ringTimer = setTimeout(() => void this.run(() => this.ringTimedOut(call)).catch((e) => this.report(e)), this.ringTimeoutMs);
      this.changed(call);
      return call.info();
    });
  }

  /** Answers a call ringing here; the caller's other devices and ours stop ringing. ERR_CALL_STATE when it does not ring here. */
  accept(callId: string): Promise<CallInfo> {
    this.assertOpen();
    this.requireMedia();
    return this.run(() => this.acceptNow(this.require(callId, "ringing")));
  }

  /** Declines a call ringing here (every device of ours stops ringing). ERR_CALL_STATE when it does not ring here. */
  decline(callId: string): Promise<CallInfo> {
    this.assertOpen();
    return this.run(async () => {
      const call = this.require(callId, "ringing");
      await this.send(call, call.caller, { type: "decline", to: call.callerDevice });
      await this.end(call, "declined");
      return call.info();
    });
  }

  /** Hangs up (or cancels an unanswered call we placed, or declines one ringing here). ERR_CALL_STATE for an ended or unknown call. */
  hangup(callId: string): Promise<CallInfo> {
    this.assertOpen();
    return this.run(async () => {
      const call = this.require(callId);
      if (call.state === "ringing") {
        await this.send(call, call.caller, { type: "decline", to: call.callerDevice });
        await this.end(call, "declined");
        return call.info();
      }
      const reason: HangupReason = call.state === "outgoing" ? "cancelled" : "hangup";
      await this.hangupLegs(call, reason);
      await this.end(call, call.state === "outgoing" ? "cancelled" : "hangup");
      return call.info();
    });
  }

  /**
   * Our ICE candidates for the leg with `peer` (user id hex), as the app's peer connection gathers
   * them: sent in batches of at most MAX_CALL_ICE_BATCH; held until the remote device is known.
   */
  sendCandidates(callId: string, peer: string, candidates: readonly string[]): Promise<void> {
    this.assertOpen();
    return this.run(async () => {
      const call = this.require(callId);
      const leg = this.requireLeg(call, peer);
      // Checked now (ERR_LIMIT_EXCEEDED for an over-long candidate), also when they wait for the device.
      for (const candidate of candidates) encodeCallSignal({ type: "ice", candidates: [candidate] });
      if (leg.device === undefined) {
        leg.pendingLocalIce.push(...candidates);
        return;
      }
      await this.sendIce(call, leg, candidates);
    });
  }

  /** The app's peer connection for the leg with `peer` connected: the call becomes active (its duration starts). */
  connected(callId: string, peer: string): Promise<CallInfo> {
    this.assertOpen();
    return this.run(async () => {
      const call = this.require(callId);
      const leg = this.requireLeg(call, peer);
      if (call.state === "outgoing" || call.state === "ringing") {
        throw new ParleyError(ErrorCode.CallState, "the call is not answered yet");
      }
      leg.connected = true;
      if (call.state !== "active") {
        call.state = "active";
        call.connectedAt = this.ctx.now();
        call.clearTimers();
      }
      this.changed(call);
      return call.info();
    });
  }

  /**
   * Renegotiates every connected leg (camera ↔ screen with a new track, video added): a new
   * offer per leg from the media handler, answered by the other side (spec/calls.md §4.1).
   */
  renegotiate(callId: string): Promise<void> {
    this.assertOpen();
    const media = this.requireMedia();
    return this.run(async () => {
      const call = this.require(callId, "active");
      for (const leg of call.legs.values()) {
        if (leg.device === undefined) continue;
        leg.offerer = true;
        const sdp = await media.createOffer(call.legInfo(leg), { video: call.video, renegotiation: true });
        await this.send(call, leg.peer, { type: "offer", sdp, video: call.video, to: leg.device }, { onlyDevice: true });
      }
    });
  }

  // ---- used by receive.ts ----------------------------------------------------------------

  /** This device's id. */
  get deviceId(): number {
    return this.ctx.local.device.deviceId;
  }

  /** The media handler, or ERR_CALL_STATE when the app set none. */
  requireMedia(): CallMediaHandler {
    if (!this.media) throw new ParleyError(ErrorCode.CallState, "no media handler: call client.calls.setMedia first");
    return this.media;
  }

  /** True when the media handler is set (a call can be answered here). */
  get hasMedia(): boolean {
    return this.media !== undefined;
  }

  /** True when a call of ours runs on this device (a new one gets busy). */
  busyHere(): boolean {
    return [...this.calls.values()].some((c) => c.live);
  }

  /** True when `callId` ended here recently. */
  wasEnded(callId: string): boolean {
    return this.endedIds.includes(callId);
  }

  /**
   * Sends a call signal to `peer` (user id hex): to every device of the peer and, unless
   * `noSync`, a copy to our other devices (they watch the call and stop ringing); with
   * `onlyDevice`, to the signal's `to` device alone (no copies).
   */
  async send(call: Call, peer: string, signal: CallSignal, options: { noSync?: boolean; onlyDevice?: boolean } = {}): Promise<void> {
    const contact = await memberContact(this.ctx, hexToBytes(peer));
    if (!contact) throw new ParleyError(ErrorCode.UnknownContact, "a call participant is not known to the relay");
    const content = newContent(this.ctx, {
      kind: "callSignal",
      callId: hexToBytes(call.id),
      signal: signal.type,
      payload: encodeCallSignal(signal),
    });
    const sendOptions = options.onlyDevice && signal.to !== undefined ? { onlyDevice: signal.to } : options.noSync ? { noSync: true } : {};
    await sendContent(this.ctx, contact, content, sendOptions);
  }

  /** Sends our candidates on a leg whose remote device is known, in batches. */
  async sendIce(call: Call, leg: LegState, candidates: readonly string[]): Promise<void> {
    for (let i = 0; i < candidates.length; i += MAX_CALL_ICE_BATCH) {
      const batch = candidates.slice(i, i + MAX_CALL_ICE_BATCH);
      await this.send(
        call,
        leg.peer,
        { type: "ice", candidates: batch, ...(leg.device !== undefined ? { to: leg.device } : {}) },
        { noSync: true, onlyDevice: true },
      );
    }
  }

  /** Hands the candidates buffered while ringing to the media handler. */
  flushRemoteIce(call: Call, leg: LegState): void {
    if (leg.pendingRemoteIce.length === 0) return;
    this.requireMedia().addRemoteCandidates(call.legInfo(leg), leg.pendingRemoteIce.splice(0));
  }

  /** Answers a ringing call (inside the queue: accept, or glare's automatic answer). */
  async acceptNow(call: Call): Promise<CallInfo> {
    const media = this.requireMedia();
    const leg = call.leg(call.caller, false, call.callerDevice);
    const answer = await media.answerOffer(call.legInfo(leg), call.remoteOffer ?? "");
    call.clearTimers();
    call.state = "connecting";
    // To the caller's device; the sync copy tells our other devices to stop ringing (§7).
    await this.send(call, call.caller, { type: "answer", sdp: answer, to: call.callerDevice });
    this.flushRemoteIce(call, leg);
    if (call.groupId) await this.joinGroupCall(call);
    this.armConnectTimer(call);
    this.changed(call);
    return call.info();
  }

  /** Joining a group call (spec/calls.md §10): tell the other participants, offer to those we must. */
  async joinGroupCall(call: Call): Promise<void> {
    for (const peer of call.participants) {
      if (peer === this.ctx.me || peer === call.caller) continue;
      await this.send(call, peer, { type: "join" }, { noSync: true });
    }
    for (const [peer, device] of call.joined) await this.offerMeshLeg(call, peer, device);
  }

  /** The lower user id of a pair of joined participants offers their leg (spec/calls.md §10). */
  async offerMeshLeg(call: Call, peer: string, device: number): Promise<void> {
    if (!(this.ctx.me < peer) || call.legs.has(peer) || peer === call.caller) return;
    const leg = call.leg(peer, true, device);
    const sdp = await this.requireMedia().createOffer(call.legInfo(leg), { video: call.video, renegotiation: false });
    await this.send(call, peer, { type: "offer", sdp, video: call.video, to: device }, { onlyDevice: true });
  }

  /** Sends hangup on every leg (to its device once known, else to every device of the peer). */
  async hangupLegs(call: Call, reason: HangupReason): Promise<void> {
    for (const leg of call.legs.values()) {
      await this.send(call, leg.peer, { type: "hangup", reason, ...(leg.device !== undefined ? { to: leg.device } : {}) });
    }
  }

  /** Starts the connect timeout of an answered call. */
  armConnectTimer(call: Call): void {
    if (call.connectTimer) clearTimeout(call.connectTimer);
    call.connectTimer = setTimeout(
      () =>
        void this.run(async () => {
          if (call.ended || call.state === "active") return;
          await this.hangupLegs(call, "failed");
          await this.end(call, "failed");
        }).catch((e) => this.report(e)),
      this.connectTimeoutMs,
    );
  }

  /** Registers a call learned from a signal. */
  add(call: Call): void {
    this.calls.set(call.id, call);
    if (call.state === "ringing" && call.onThisDevice) {
      call.ringTimer = setTimeout(() => void this.run(() => this.ringTimedOut(call)).catch((e) => this.report(e)), this.ringTimeoutMs);
    }
  }

  /** Ends a call here: timers stop, legs close, a history line is written where the call took part, `state` fires. */
  async end(call: Call, reason: CallEndReason): Promise<void> {
    if (call.ended) return;
    call.clearTimers();
    const wasConnected = call.connectedAt !== undefined;
    call.state = "ended";
    call.endReason = reason;
    if (call.onThisDevice && this.media) for (const leg of call.legs.values()) this.media.closeLeg(call.legInfo(leg));
    this.calls.delete(call.id);
    this.endedIds.push(call.id);
    if (this.endedIds.length > ENDED_REMEMBERED) this.endedIds.shift();
    if (call.onThisDevice) {
      const outcome = outcomeOf(reason, wasConnected);
      if (outcome) {
        const durationMs = wasConnected ? this.ctx.now() - (call.connectedAt ?? 0) : undefined;
        await recordCallLine(
          this.ctx,
          call.conversationId,
          call.caller,
          {
            callId: call.id,
            video: call.video,
            direction: call.direction,
            outcome,
            ...(durationMs !== undefined ? { durationMs } : {}),
          },
          call.sentAt,
        );
      }
    }
    this.changed(call);
  }

  /** Emits the call's new state. */
  changed(call: Call): void {
    this.emit("state", call.info());
  }

  /** Emits a new incoming call. */
  ringing(call: Call): void {
    this.emit("incoming", call.info());
    this.changed(call);
  }

  /** Reports a problem on `error`. */
  report(error: unknown): void {
    this.emit("error", error instanceof Error ? error : new Error(String(error)));
  }

  /** The conversation a call belongs to at the receiver: the group's, or the contact's. */
  conversationFor(contactId: string, groupId: string | undefined): string {
    return groupId ? groupConversationId(hexToBytes(groupId)) : contactId;
  }

  /** Ends every call (the client is closing); nothing is sent. */
  closeAll(): void {
    for (const call of this.calls.values()) call.clearTimers();
  }

  private async ringTimedOut(call: Call): Promise<void> {
    if (call.ended) return;
    if (call.state === "outgoing") {
      await this.hangupLegs(call, "noAnswer");
      await this.end(call, "noAnswer");
    } else if (call.state === "ringing") {
      await this.end(call, "missed");
    }
  }

  private require(callId: string, state?: CallInfo["state"]): Call {
    const call = this.calls.get(callId);
    if (!call?.onThisDevice || call.ended) {
      throw new ParleyError(ErrorCode.CallState, this.wasEnded(callId) ? "the call has ended" : "no such call on this device");
    }
    if (state && call.state !== state) throw new ParleyError(ErrorCode.CallState, `the call is ${call.state}, not ${state}`);
    return call;
  }

  private requireLeg(call: Call, peer: string): LegState {
    const leg = call.legs.get(peer);
    if (!leg) throw new ParleyError(ErrorCode.CallState, "no leg with that participant in this call");
    return leg;
  }

  /** Runs `task` after every earlier call task. */
  run<T>(task: () => Promise<T>): Promise<T> {
    const next = this.queue.then(task, task);
    this.queue = next.catch(() => undefined);
    return next;
  }
}

export type { ReceivedCallSignal };
