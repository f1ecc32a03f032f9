/**
 * The calls a device knows and what it does to them: sending signals, answering, ending (with
 * the history line), the ring and connect timers, group joins and mesh legs. Shared by the
 * public methods (calls-api.ts) and the receive path (receive.ts); every method runs inside the
 * calls queue, so none of them waits for it.
 */

import { hexToBytes } from "../../crypto/bytes.js";
import { ErrorCode, ParleyError } from "../../errors.js";
import { MAX_CALL_ICE_BATCH } from "../../limits.js";
import type { ClientContext } from "../context.js";
import { groupConversationId } from "../groups/ids.js";
import { memberContact } from "../groups/members.js";
import { newContent, sendContent } from "../outgoing.js";
import type { Call, LegState } from "./call.js";
import { outcomeOf, recordCallLine } from "./history.js";
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

/** How the engine reaches its owner: the event emitter and the calls queue. */
export interface EngineHooks {
  emit<K extends keyof CallEvents>(event: K, payload: CallEvents[K]): void;
  /** Runs `task` in the calls queue (timers use it). */
  run<T>(task: () => Promise<T>): Promise<T>;
}

/** The state and the inner steps of calls on this device. */
export class CallEngine {
  /** Calls this device knows, by id (hex). */
  readonly calls = new Map<string, Call>();
  private readonly endedIds: string[] = [];
  /** The app's media layer (`client.calls.setMedia`). */
  media: CallMediaHandler | undefined;
  /** Ring timeout (ms). */
  readonly ringTimeoutMs: number;
  /** Connect timeout (ms). */
  readonly connectTimeoutMs: number;

  constructor(
    readonly ctx: ClientContext,
    private readonly hooks: EngineHooks,
    options: CallOptions = {},
  ) {
    this.ringTimeoutMs = options.ringTimeoutMs ?? CALL_RING_TIMEOUT_MS;
    this.connectTimeoutMs = options.connectTimeoutMs ?? CALL_CONNECT_TIMEOUT_MS;
  }

  private runQueued(task: () => Promise<void>): Promise<void> {
    return this.hooks.run(task);
  }

  /** Emits an event of `client.calls`. */
  emit<K extends keyof CallEvents>(event: K, payload: CallEvents[K]): void {
    this.hooks.emit(event, payload);
  }

  /** This device's id. */
  get deviceId(): number {
    return this.ctx.local.device.deviceId;
  }

  /** The media handler, or ERR_CALL_STATE when the app set none. */
  requireMedia(): CallMediaHandler {
    if (!this.media) throw new ParleyError(ErrorCode.CallState, "no media handler: call client.calls.setMedia first");
    return this.media;
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

  /** Sends a renegotiation offer on a connected leg (device-only) and remembers it waits for its answer (spec/calls.md §4.1). */
  async renegotiateLeg(call: Call, leg: LegState): Promise<void> {
    if (leg.device === undefined) return;
    leg.offerer = true;
    const sdp = await this.requireMedia().createOffer(call.legInfo(leg), { video: call.video, renegotiation: true });
    leg.renegotiations.push(true);
    await this.send(call, leg.peer, { type: "offer", sdp, video: call.video, to: leg.device }, { onlyDevice: true });
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
        void this.runQueued(async () => {
          if (call.ended || call.state === "active") return;
          await this.hangupLegs(call, "failed");
          await this.end(call, "failed");
        }).catch((e) => this.report(e)),
      this.connectTimeoutMs,
    );
  }

  /** Registers a call (placed here, or learned from a signal); one that rings or calls from here gets its ring timer. */
  add(call: Call): void {
    this.calls.set(call.id, call);
    if ((call.state === "ringing" || call.state === "outgoing") && call.onThisDevice) {
      call.ringTimer = setTimeout(
        () => void this.runQueued(() => this.ringTimedOut(call)).catch((e) => this.report(e)),
        this.ringTimeoutMs,
      );
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
}
