/**
 * `client.calls`: placing, answering and ending calls (spec/calls.md). Every signal travels as
 * an end-to-end encrypted call-signal content over the ordinary sessions (so SDP and its DTLS
 * fingerprints are authenticated end to end); media is the app's, plugged in as a
 * CallMediaHandler. Local actions and received signals run one at a time (a queue), so a leg's
 * answer is always applied before its ICE candidates. The steps themselves are in engine.ts.
 */

import { bytesToHex as hex } from "../../crypto/bytes.js";
import { ErrorCode, ParleyError } from "../../errors.js";
import { MAX_CALL_PARTICIPANTS } from "../../limits.js";
import type { ClientContext } from "../context.js";
import { Emitter } from "../events.js";
import { groupIdOf, isGroupConversation } from "../groups/ids.js";
import { requireMembership } from "../groups/send.js";
import { Call, type LegState } from "./call.js";
import { CallEngine } from "./engine.js";
import { receiveCallSignal } from "./receive.js";
import { encodeCallSignal, type HangupReason } from "./signal-payload.js";
import type { CallEvents, CallInfo, CallMediaHandler, CallOptions } from "./types.js";

/**
 * `client.calls`. Events: `incoming` (a call rings here), `state` (any change of a call this
 * device knows), `error` (a refused signal, a media handler that threw).
 *
 * @example
 * client.calls.setMedia(handler); // your RTCPeerConnection wiring (README: Calls)
 * client.calls.on("incoming", (call) => client.calls.accept(call.id));
 * const call = await client.calls.start(contactId, { video: true });
 */
export class CallsApi extends Emitter<CallEvents> {
  private readonly engine: CallEngine;
  private queue: Promise<unknown> = Promise.resolve();

  constructor(
    ctx: ClientContext,
    private readonly assertOpen: () => void,
    options: CallOptions = {},
  ) {
    super();
    this.engine = new CallEngine(ctx, { emit: (event, payload) => this.emit(event, payload), run: (task) => this.run(task) }, options);
    ctx.onCallSignal = (signal) => {
      this.run(() => receiveCallSignal(this.engine, signal)).catch((error) => this.engine.report(error));
    };
  }

  /** Plugs in the app's WebRTC layer; needed before placing or answering calls (incoming calls ring without it). */
  setMedia(media: CallMediaHandler): void {
    this.engine.media = media;
  }

  /** Every call this device knows that has not ended. */
  list(): CallInfo[] {
    return [...this.engine.calls.values()].filter((c) => !c.ended).map((c) => c.info());
  }

  /** One call's current snapshot (ended calls are forgotten after a while). */
  get(callId: string): CallInfo | undefined {
    return this.engine.calls.get(callId)?.info();
  }

  /**
   * Calls a contact (its id) or a group (its conversation id, up to MAX_CALL_PARTICIPANTS members):
   * every device of every callee rings. Resolves with the call once its offers are queued.
   * ERR_CALL_STATE while another call runs here, ERR_LIMIT_EXCEEDED for a larger group.
   */
  start(conversationId: string, options: { readonly video: boolean }): Promise<CallInfo> {
    this.assertOpen();
    const media = this.engine.requireMedia();
    return this.run(async () => {
      if (this.engine.busyHere()) throw new ParleyError(ErrorCode.CallState, "another call is in progress on this device");
      const id = hex(this.engine.ctx.deps.crypto.randomBytes(16));
      const me = this.engine.ctx.me;
      let participants: string[];
      let groupId: string | undefined;
      if (isGroupConversation(conversationId)) {
        const { state } = await requireMembership(this.engine.ctx, groupIdOf(conversationId));
        participants = state.members.map((m) => hex(m.userId));
        if (participants.length > MAX_CALL_PARTICIPANTS) {
          throw new ParleyError(ErrorCode.LimitExceeded, `group calls have at most ${MAX_CALL_PARTICIPANTS} participants`);
        }
        groupId = hex(groupIdOf(conversationId));
      } else {
        const contact = await this.engine.ctx.contact(conversationId);
        if (!contact) throw new ParleyError(ErrorCode.UnknownContact, "no such contact");
        participants = [me, hex(contact.userId)];
      }
      const now = this.engine.ctx.now();
      const call = new Call(id, conversationId, "outgoing", options.video, me, this.engine.deviceId, participants, groupId, true, now, now);
      try {
        for (const peer of participants.filter((p) => p !== me)) {
          const leg = call.leg(peer, true);
          const sdp = await media.createOffer(call.legInfo(leg), { video: options.video, renegotiation: false });
          const group = groupId ? { group: { groupId, participants } } : {};
          await this.engine.send(call, peer, { type: "offer", sdp, video: options.video, ...group });
        }
      } catch (error) {
        // An offer that could not go (too large, unknown participant): the legs made so far close,
        // and any callee that already rings is told the call is cancelled.
        for (const leg of call.legs.values()) media.closeLeg(call.legInfo(leg));
        const offered = [...call.legs.values()].slice(0, -1);
        for (const leg of offered) await this.engine.send(call, leg.peer, { type: "hangup", reason: "cancelled" }).catch(() => undefined);
        throw error;
      }
      this.engine.add(call);
      this.engine.changed(call);
      return call.info();
    });
  }

  /** Answers a call ringing here; the caller's other devices and ours stop ringing. ERR_CALL_STATE when it does not ring here. */
  accept(callId: string): Promise<CallInfo> {
    this.assertOpen();
    this.engine.requireMedia();
    return this.run(() => this.engine.acceptNow(this.require(callId, "ringing")));
  }

  /** Declines a call ringing here (every device of ours stops ringing). ERR_CALL_STATE when it does not ring here. */
  decline(callId: string): Promise<CallInfo> {
    this.assertOpen();
    return this.run(async () => {
      const call = this.require(callId, "ringing");
      await this.engine.send(call, call.caller, { type: "decline", to: call.callerDevice });
      await this.engine.end(call, "declined");
      return call.info();
    });
  }

  /** Hangs up (or cancels an unanswered call we placed, or declines one ringing here). ERR_CALL_STATE for an ended or unknown call. */
  hangup(callId: string): Promise<CallInfo> {
    this.assertOpen();
    return this.run(async () => {
      const call = this.require(callId);
      if (call.state === "ringing") {
        await this.engine.send(call, call.caller, { type: "decline", to: call.callerDevice });
        await this.engine.end(call, "declined");
        return call.info();
      }
      const reason: HangupReason = call.state === "outgoing" ? "cancelled" : "hangup";
      await this.engine.hangupLegs(call, reason);
      await this.engine.end(call, call.state === "outgoing" ? "cancelled" : "hangup");
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
      await this.engine.sendIce(call, leg, candidates);
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
        call.connectedAt = this.engine.ctx.now();
        call.clearTimers();
      }
      this.engine.changed(call);
      return call.info();
    });
  }

  /**
   * Renegotiates every connected leg (camera ↔ screen with a new track, video added): a new
   * offer per leg from the media handler, answered by the other side (spec/calls.md §4.1).
   * `{ video: true }` turns a voice call into a video call: the call's `video` becomes true here
   * (a `state` event) and on the other side once it receives the offer. A video call never goes
   * back to voice (`video: false` on a video call is ERR_CALL_STATE; a camera is turned off
   * without renegotiating). ERR_CALL_STATE unless the call is active here.
   */
  renegotiate(callId: string, options: { readonly video?: boolean } = {}): Promise<void> {
    this.assertOpen();
    this.engine.requireMedia();
    return this.run(async () => {
      const call = this.require(callId, "active");
      if (options.video === false && call.video)
        throw new ParleyError(ErrorCode.CallState, "a video call does not go back to a voice call");
      if (options.video === true && !call.video) {
        call.video = true;
        this.engine.changed(call);
      }
      for (const leg of call.legs.values()) await this.engine.renegotiateLeg(call, leg);
    });
  }

  private require(callId: string, state?: CallInfo["state"]): Call {
    const call = this.engine.calls.get(callId);
    if (!call?.onThisDevice || call.ended) {
      throw new ParleyError(ErrorCode.CallState, this.engine.wasEnded(callId) ? "the call has ended" : "no such call on this device");
    }
    if (state && call.state !== state) throw new ParleyError(ErrorCode.CallState, `the call is ${call.state}, not ${state}`);
    return call;
  }

  private requireLeg(call: Call, peer: string): LegState {
    const leg = call.legs.get(peer);
    if (!leg) throw new ParleyError(ErrorCode.CallState, "no leg with that participant in this call");
    return leg;
  }

  /** Stops every call's timers (the client is closing); nothing is sent. */
  closeAll(): void {
    this.engine.closeAll();
  }

  /** Runs `task` after every earlier call task. */
  run<T>(task: () => Promise<T>): Promise<T> {
    const next = this.queue.then(task, task);
    this.queue = next.catch(() => undefined);
    return next;
  }
}
