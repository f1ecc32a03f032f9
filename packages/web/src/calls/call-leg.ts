/**
 * One leg of a call (this device and one participant's device): its RTCPeerConnection, the
 * offer/answer steps (with the rollback when both sides offered at once), ICE candidates batched
 * out, "connected" reported once, the participant's stream as tracks arrive, whether their video
 * plays (with ./muted-video.ts where Chromium leaves its mute state stuck), the leg's network
 * sample, and the senders the local media uses (replaceTrack, adding or stopping video).
 */
import type { CallLeg } from "@parley/protocol/client";
import { type LegSample, legSample, type PacketCounts } from "./call-quality.js";
import { MutedVideoWatch } from "./muted-video.js";

/** How long gathered ICE candidates wait to go out together (ms). */
export const ICE_BATCH_MS = 40;

/** A remote participant's media, by user id. */
export interface RemoteMedia {
  readonly peer: string;
  readonly stream: MediaStream;
  /** True while their video arrives (a live, unmuted video track); false in a voice call or once they stop sending. */
  readonly video: boolean;
}

/** What a leg needs from the call around it. */
export interface LegHooks {
  /** The remote stream, the connection state or whether video plays changed. */
  readonly onChange: () => void;
  readonly onError: (error: unknown) => void;
  /** Tells the SDK the leg's connection is up (`client.calls.connected`), once. */
  readonly connected: (leg: CallLeg) => Promise<void>;
  /** Sends a batch of local ICE candidates (`client.calls.sendCandidates`). */
  readonly sendCandidates: (leg: CallLeg, candidates: string[]) => Promise<void>;
}

/** The map key of a leg: one per call and participant. */
export function legKey(leg: CallLeg): string {
  return `${leg.callId}/${leg.peer}`;
}

/**
 * The peer connection of one leg and what this device tracks about it.
 *
 * @example
 * const conn = new LegConnection(leg, configuration, hooks);
 * conn.sendOn(["audio", "video"]);
 * const sdp = await conn.createOffer();
 * await conn.attach(local.getTracks()); // once the camera is open
 */
export class LegConnection {
  readonly leg: CallLeg;
  readonly pc: RTCPeerConnection;
  readonly #hooks: LegHooks;
  /** The participant's stream: the peer connection's own once a track arrives. */
  #remote = new MediaStream();
  #pendingIce: string[] = [];
  #iceTimer: ReturnType<typeof setTimeout> | undefined;
  #reportedConnected = false;
  #counts: PacketCounts = { lost: 0, received: 0 };
  #videoWatch: MutedVideoWatch | undefined;

  constructor(leg: CallLeg, configuration: RTCConfiguration, hooks: LegHooks) {
    this.leg = leg;
    this.#hooks = hooks;
    const pc = new RTCPeerConnection(configuration);
    this.pc = pc;
    pc.onicecandidate = (e) => {
      if (e.candidate) this.#queueCandidate(JSON.stringify(e.candidate.toJSON()));
    };
    pc.ontrack = (e) => this.#onTrack(e.track);
    pc.onconnectionstatechange = () => {
      if (pc.connectionState === "connected" && !this.#reportedConnected) {
        this.#reportedConnected = true;
        hooks.connected(leg).catch((e: unknown) => hooks.onError(e));
      }
      hooks.onChange();
    };
  }

  /** The participant's media as the call view shows it. */
  get remote(): RemoteMedia {
    const flows = this.#videoWatch?.flows ?? false;
    return {
      peer: this.leg.peer,
      stream: this.#remote,
      video: this.#remote.getVideoTracks().some((t) => t.readyState === "live" && (!t.muted || flows)),
    };
  }

  /**
   * Adds a sending transceiver of each kind, with no track yet: the offer can go before the camera
   * and microphone are open, and {@link attach} puts their tracks on without a new offer.
   */
  sendOn(kinds: readonly ("audio" | "video")[]): void {
    for (const kind of kinds) this.pc.addTransceiver(kind, { direction: "sendrecv" });
  }

  /**
   * Puts the local `tracks` (the microphone and the video being sent) on the leg's sending
   * transceivers of their kinds that have no track yet (replaceTrack: no renegotiation). A track
   * of a kind the leg does not send is left out.
   */
  async attach(tracks: readonly MediaStreamTrack[]): Promise<void> {
    const free = this.pc.getTransceivers().filter((t) => !t.sender.track && sends(t.direction) && t.currentDirection !== "stopped");
    const puts: Promise<void>[] = [];
    for (const track of tracks) {
      const i = free.findIndex((t) => t.receiver.track.kind === track.kind);
      if (i < 0) continue;
      const [transceiver] = free.splice(i, 1);
      if (transceiver) puts.push(transceiver.sender.replaceTrack(track));
    }
    await Promise.all(puts);
  }

  /** A new offer for this leg (its local description). */
  async createOffer(): Promise<string> {
    await this.pc.setLocalDescription(await this.pc.createOffer());
    return this.pc.localDescription?.sdp ?? "";
  }

  /**
   * Answers their offer; on a new leg, `send` names the kinds this side will send (their
   * transceivers answer sendrecv before the tracks are there: {@link attach} puts them on).
   */
  async answerOffer(sdp: string, send: readonly ("audio" | "video")[] = []): Promise<string> {
    // Both sides renegotiated at once (each turned on a camera): in have-local-offer, their offer
    // rolls ours back (implicit rollback); the SDK drops the answer to ours and settles the leg
    // with one more offer (spec/calls.md §4.1).
    await this.pc.setRemoteDescription({ type: "offer", sdp });
    for (const kind of send) {
      const transceiver = this.pc.getTransceivers().find((t) => t.receiver.track.kind === kind && t.direction === "recvonly");
      if (transceiver) transceiver.direction = "sendrecv";
    }
    await this.pc.setLocalDescription(await this.pc.createAnswer());
    return this.pc.localDescription?.sdp ?? "";
  }

  /** Applies their answer to our offer. */
  async applyAnswer(sdp: string): Promise<void> {
    // An answer to an offer that was rolled back (their offer crossed it): nothing to apply.
    if (this.pc.signalingState !== "have-local-offer") return;
    await this.pc.setRemoteDescription({ type: "answer", sdp });
  }

  /** Adds their ICE candidates (JSON of RTCIceCandidateInit); a failure goes to `onError`. */
  addRemoteCandidates(candidates: readonly string[]): void {
    for (const candidate of candidates) {
      this.pc.addIceCandidate(JSON.parse(candidate) as RTCIceCandidateInit).catch((e: unknown) => this.#hooks.onError(e));
    }
  }

  /** Closes the connection and stops the participant's tracks. */
  close(): void {
    clearTimeout(this.#iceTimer);
    this.#videoWatch?.stop();
    this.pc.close();
    for (const track of this.#remote.getTracks()) track.stop();
  }

  /** Samples the leg's stats: loss since the last sample, RTT. */
  async sample(): Promise<LegSample> {
    const sample = legSample(await this.pc.getStats(), this.#counts);
    this.#counts = sample.counts;
    return sample;
  }

  /** The senders of `kind` on this leg, also one whose track was replaced by null. */
  senders(kind: "audio" | "video"): RTCRtpSender[] {
    return this.pc.getSenders().filter((s) => s.track?.kind === kind || senderKind(this.pc, s) === kind);
  }

  /**
   * Sends `track` as this leg's video: on its video transceiver (made sending if it only
   * received), or on a new one in `stream`. True when the leg's description changed (needs a new offer).
   */
  async sendVideo(track: MediaStreamTrack, stream: MediaStream | undefined): Promise<boolean> {
    const transceiver = videoTransceiver(this.pc);
    if (!transceiver) {
      this.pc.addTrack(track, ...(stream ? [stream] : []));
      return true;
    }
    await transceiver.sender.replaceTrack(track);
    if (transceiver.direction === "recvonly" || transceiver.direction === "inactive") {
      transceiver.direction = transceiver.direction === "recvonly" ? "sendrecv" : "sendonly";
      return true;
    }
    return false;
  }

  /** Stops sending video on this leg. True when the leg's description changed (needs a new offer). */
  async stopSendingVideo(): Promise<boolean> {
    const transceiver = videoTransceiver(this.pc);
    if (!transceiver) return false;
    await transceiver.sender.replaceTrack(null);
    if (transceiver.direction === "sendrecv" || transceiver.direction === "sendonly") {
      transceiver.direction = transceiver.direction === "sendrecv" ? "recvonly" : "inactive";
      return true;
    }
    return false;
  }

  #onTrack(track: MediaStreamTrack): void {
    // One stream per participant, made anew when a track joins (video added later), so the
    // element showing it re-binds; mute/unmute (video that stops or starts coming) re-render.
    const kept = this.#remote.getTracks().filter((t) => t !== track && t.readyState === "live" && t.kind !== track.kind);
    this.#remote = new MediaStream([...kept, track]);
    track.addEventListener("mute", () => {
      if (track.kind === "video") this.#watchMutedVideo(track);
      this.#hooks.onChange();
    });
    track.addEventListener("unmute", () => this.#hooks.onChange());
    if (track.kind === "video" && track.muted) this.#watchMutedVideo(track);
    this.#hooks.onChange();
  }

  /** While `track` says muted, its decoded frames decide whether the video shows (./muted-video.ts). */
  #watchMutedVideo(track: MediaStreamTrack): void {
    this.#videoWatch?.stop();
    this.#videoWatch = undefined;
    const receiver = this.pc.getReceivers().find((r) => r.track === track);
    if (!receiver) return;
    this.#videoWatch = new MutedVideoWatch(receiver, track, {
      stillWatched: () => this.#remote.getTracks().includes(track) && this.pc.signalingState !== "closed",
      onChange: () => this.#hooks.onChange(),
    });
  }

  #queueCandidate(candidate: string): void {
    this.#pendingIce.push(candidate);
    this.#iceTimer ??= setTimeout(() => {
      this.#iceTimer = undefined;
      const batch = this.#pendingIce;
      this.#pendingIce = [];
      if (batch.length === 0 || this.pc.signalingState === "closed") return;
      this.#hooks.sendCandidates(this.leg, batch).catch((e: unknown) => this.#hooks.onError(e));
    }, ICE_BATCH_MS);
  }
}

/** True for a direction that sends. */
function sends(direction: RTCRtpTransceiverDirection): boolean {
  return direction === "sendrecv" || direction === "sendonly";
}

/** The kind of a sender's transceiver (a sender whose track was replaced by null keeps its kind). */
function senderKind(pc: RTCPeerConnection, sender: RTCRtpSender): string | undefined {
  return pc.getTransceivers().find((t) => t.sender === sender)?.receiver.track.kind;
}

/** The leg's video transceiver that is not stopped, if any. */
function videoTransceiver(pc: RTCPeerConnection): RTCRtpTransceiver | undefined {
  return pc
    .getTransceivers()
    .find((t) => t.receiver.track.kind === "video" && t.currentDirection !== "stopped" && t.direction !== "stopped");
}
