/**
 * The public shapes of calls (spec/calls.md §3): a call's state and why it ended, what the app
 * sees of a call, its legs (one per remote participant), the media handler an app plugs its
 * WebRTC layer in with, and the options with their defaults.
 */

/** Where a call is (spec/calls.md §3.1). `outgoing`: we called, nobody answered yet; `ringing`: it rings here. */
export type CallState = "outgoing" | "ringing" | "connecting" | "active" | "ended";

/**
 * Why a call ended here (spec/calls.md §3.2): `hangup` (a connected call was hung up by either
 * side), `declined`, `busy`, `missed` (it rang here and nobody answered), `noAnswer` (we called
 * and nobody answered), `cancelled` (we hung up before an answer), `failed` (media never
 * connected, or a leg broke), `answeredElsewhere` (another of our devices answered or declined),
 * `glare` (both called at once and the other call won: spec/calls.md §6).
 */
export type CallEndReason = "hangup" | "declined" | "busy" | "missed" | "noAnswer" | "cancelled" | "failed" | "answeredElsewhere" | "glare";

/** One leg of a call: the media connection with one remote participant's device. */
export interface CallLeg {
  /** The call id, hex. */
  readonly callId: string;
  /** The remote participant's user id, hex. */
  readonly peer: string;
  /** The remote device, once known (a callee's device is known when it answers). */
  readonly device: number | undefined;
  /** True when this side made the offer of the leg (the app creates an RTCPeerConnection as offerer). */
  readonly offerer: boolean;
}

/** A call as the app sees it (a snapshot: every change comes as a new `state` event). */
export interface CallInfo {
  /** The call id, hex. */
  readonly id: string;
  /** The conversation it belongs to: a contact id, or a group conversation id (`group:<hex>`). */
  readonly conversationId: string;
  readonly direction: "outgoing" | "incoming";
  /** A video call: placed as one, or a voice call either side added video to (`renegotiate(id, { video: true })`, spec/calls.md §4.1). */
  readonly video: boolean;
  readonly state: CallState;
  /** Set once ended. */
  readonly endReason?: CallEndReason;
  /** The caller's user id, hex. */
  readonly caller: string;
  /** Every participant's user id (hex), caller included: two in a 1:1 call, up to MAX_CALL_PARTICIPANTS in a group. */
  readonly participants: readonly string[];
  /** Participants connected to us (user ids hex). */
  readonly connected: readonly string[];
  /** Outgoing: at least one callee device rings. */
  readonly remoteRinging: boolean;
  /** False when the call runs on another of our devices (learned from its sync copies): watch only. */
  readonly onThisDevice: boolean;
  /** Our clock when it started ringing or was placed. */
  readonly startedAt: number;
  /** Our clock when media first connected (`state` became active). */
  readonly connectedAt?: number;
}

/**
 * The app's WebRTC layer, as the SDK drives it (spec/calls.md §8). The SDK never touches media:
 * it asks for SDP when the protocol needs it and hands over what the other side sent. In a
 * browser each leg is an RTCPeerConnection; in tests, opaque strings.
 */
export interface CallMediaHandler {
  /** A new leg we offer on (a call we place, a mesh leg we must offer, or a renegotiation): resolve with the SDP offer. */
  createOffer(leg: CallLeg, options: { readonly video: boolean; readonly renegotiation: boolean }): Promise<string>;
  /** The other side's offer (a call we accept, a mesh leg offered to us, or their renegotiation): resolve with our SDP answer. */
  answerOffer(leg: CallLeg, sdp: string): Promise<string>;
  /** The answer to our offer on the leg. */
  applyAnswer(leg: CallLeg, sdp: string): Promise<void>;
  /** ICE candidates the other side gathered (a batch, in order). */
  addRemoteCandidates(leg: CallLeg, candidates: readonly string[]): void;
  /** The leg is over: close its peer connection. */
  closeLeg(leg: CallLeg): void;
}

/** Timeouts of calls (spec/calls.md §5). */
export interface CallOptions {
  /** How long a call rings before it is missed / not answered (ms). */
  readonly ringTimeoutMs?: number;
  /** How long an accepted call may take until its media connects (`connected`) before it fails (ms). */
  readonly connectTimeoutMs?: number;
}

/** Default ring timeout: 45 s, as common phone and messenger apps ring. */
export const CALL_RING_TIMEOUT_MS = 45_000;
/** Default connect timeout: 30 s from the answer to connected media (ICE with TURN rarely needs 10). */
export const CALL_CONNECT_TIMEOUT_MS = 30_000;

/** Events of `client.calls`. */
export interface CallEvents {
  /** A call rings on this device: show accept / decline. */
  incoming: CallInfo;
  /** Any change of a call this device knows (its own, or one on another of our devices). */
  state: CallInfo;
  /** A problem with a call signal (a refused payload, a media handler that threw); the call goes on or fails. */
  error: Error;
}
