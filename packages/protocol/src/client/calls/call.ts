/**
 * One call as a device keeps it in memory (spec/calls.md §3): who takes part, the legs with
 * their remote devices, what is buffered until the user answers, and the timers. Calls are not
 * persisted: a call does not survive a restart (its history line does).
 */

import type { CallEndReason, CallInfo, CallLeg, CallState } from "./types.js";

/** A leg as the SDK tracks it. */
export interface LegState {
  readonly peer: string;
  device: number | undefined;
  offerer: boolean;
  connected: boolean;
  /** Our candidates gathered before the remote device is known (a caller before the answer). */
  readonly pendingLocalIce: string[];
  /** Their candidates received before we accepted (a ringing callee). */
  readonly pendingRemoteIce: string[];
  /**
   * Our renegotiation offers on the leg still waiting for their answer, oldest first: true while
   * live, false once their offer crossed it (its answer is dropped: spec/calls.md §4.1).
   */
  readonly renegotiations: boolean[];
}

/** A call this device knows. */
export class Call {
  state: CallState;
  endReason: CallEndReason | undefined;
  remoteRinging = false;
  connectedAt: number | undefined;
  /** Incoming: the caller's offer, answered on accept. */
  remoteOffer: string | undefined;
  /** Group calls: participants that joined, with the device that did (user hex → device). */
  readonly joined = new Map<string, number>();
  readonly legs = new Map<string, LegState>();
  ringTimer: ReturnType<typeof setTimeout> | undefined;
  connectTimer: ReturnType<typeof setTimeout> | undefined;

  constructor(
    readonly id: string,
    readonly conversationId: string,
    readonly direction: "outgoing" | "incoming",
    /** True once video may flow: set when placed as a video call, or when either side adds video (spec/calls.md §4.1). */
    public video: boolean,
    readonly caller: string,
    readonly callerDevice: number,
    readonly participants: readonly string[],
    readonly groupId: string | undefined,
    readonly onThisDevice: boolean,
    readonly startedAt: number,
    readonly sentAt: number,
  ) {
    this.state = direction === "outgoing" ? "outgoing" : "ringing";
  }

  /** The leg with `peer`, made on first use. */
  leg(peer: string, offerer: boolean, device?: number): LegState {
    let leg = this.legs.get(peer);
    if (!leg) {
      leg = { peer, device, offerer, connected: false, pendingLocalIce: [], pendingRemoteIce: [], renegotiations: [] };
      this.legs.set(peer, leg);
    }
    return leg;
  }

  /** The public view of a leg. */
  legInfo(leg: LegState): CallLeg {
    return { callId: this.id, peer: leg.peer, device: leg.device, offerer: leg.offerer };
  }

  get ended(): boolean {
    return this.state === "ended";
  }

  /** Still ours to act on: on this device and not ended. */
  get live(): boolean {
    return this.onThisDevice && !this.ended;
  }

  clearTimers(): void {
    if (this.ringTimer) clearTimeout(this.ringTimer);
    if (this.connectTimer) clearTimeout(this.connectTimer);
    this.ringTimer = undefined;
    this.connectTimer = undefined;
  }

  /** A snapshot for the app. */
  info(): CallInfo {
    return {
      id: this.id,
      conversationId: this.conversationId,
      direction: this.direction,
      video: this.video,
      state: this.state,
      ...(this.endReason ? { endReason: this.endReason } : {}),
      caller: this.caller,
      participants: this.participants,
      connected: [...this.legs.values()].filter((l) => l.connected).map((l) => l.peer),
      remoteRinging: this.remoteRinging,
      onThisDevice: this.onThisDevice,
      startedAt: this.startedAt,
      ...(this.connectedAt !== undefined ? { connectedAt: this.connectedAt } : {}),
    };
  }
}
