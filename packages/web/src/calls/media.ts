/**
 * The web client's WebRTC layer for `client.calls` (spec/calls.md §8): one RTCPeerConnection per
 * leg with the relay's STUN/TURN servers, the local camera and microphone from getUserMedia,
 * ICE candidates batched to `sendCandidates`, `connected()` once a leg's connection is up, and
 * cleanup when a leg closes (the local tracks stop with the last leg). Mute, camera off and
 * screen sharing act on the local tracks and the video senders (`replaceTrack`, no renegotiation).
 */
import type { CallLeg, CallMediaHandler, ParleyClient } from "@parley/protocol/client";
import { qualityLevel } from "./format.js";
import { applyIceServers, IceServerSource, relayCallsEnabled } from "./ice-servers.js";

/** How long gathered ICE candidates wait to go out together (ms). */
export const ICE_BATCH_MS = 40;

/** A remote participant's media, by user id. */
export interface RemoteMedia {
  readonly peer: string;
  readonly stream: MediaStream;
}

/** Network quality of the call from getStats: worst packet loss and round-trip time over the legs. */
export interface CallQuality {
  /** Inbound packets lost as a share of those expected since the previous sample (0..1). */
  readonly loss: number;
  /** Round-trip time of the selected candidate pair, ms (undefined before it is known). */
  readonly rttMs: number | undefined;
  readonly level: "good" | "fair" | "poor";
}

interface Peer {
  readonly leg: CallLeg;
  readonly pc: RTCPeerConnection;
  /** The remote participant's stream: the peer connection's own once a track arrives. */
  remote: MediaStream;
  pendingIce: string[];
  iceTimer: ReturnType<typeof setTimeout> | undefined;
  reportedConnected: boolean;
  lastLost: number;
  lastReceived: number;
}

/** The media handler plugged into `client.calls`, plus the controls the call view uses. */
export class WebCallMedia implements CallMediaHandler {
  readonly #client: ParleyClient;
  readonly #peers = new Map<string, Peer>();
  #local: MediaStream | undefined;
  #localPending: Promise<MediaStream> | undefined;
  #screen: MediaStreamTrack | undefined;
  readonly #ice: IceServerSource;
  /** Called on any change of the local stream, the remote streams or the controls. */
  onChange: () => void = () => {};
  /** Called when a media step fails (no camera, a refused permission). */
  onError: (error: unknown) => void = () => {};

  constructor(client: ParleyClient) {
    this.#client = client;
    this.#ice = new IceServerSource({
      fetch: () => client.iceServers(),
      active: () => this.#peers.size > 0,
      apply: (iceServers) => {
        for (const peer of this.#peers.values()) applyIceServers(peer.pc, iceServers);
      },
      relayOnly: () => relayCallsEnabled(),
    });
  }

  /** The local camera/microphone stream, once acquired. */
  get localStream(): MediaStream | undefined {
    return this.#local;
  }

  /** The remote participants' streams, one per leg. */
  get remotes(): RemoteMedia[] {
    return [...this.#peers.values()].map((p) => ({ peer: p.leg.peer, stream: p.remote }));
  }

  /** True while the screen is shared instead of the camera. */
  get sharing(): boolean {
    return this.#screen !== undefined;
  }

  /** True when the microphone is muted (or there is none). */
  get muted(): boolean {
    const track = this.#local?.getAudioTracks()[0];
    return !track?.enabled;
  }

  /** True when the camera is off (or there is none). */
  get cameraOff(): boolean {
    const track = this.#local?.getVideoTracks()[0];
    return !track?.enabled;
  }

  async createOffer(leg: CallLeg, options: { readonly video: boolean }): Promise<string> {
    const pc = (await this.#peerFor(leg, options.video)).pc;
    await pc.setLocalDescription(await pc.createOffer());
    return pc.localDescription?.sdp ?? "";
  }

  async answerOffer(leg: CallLeg, sdp: string): Promise<string> {
    const video = /\nm=video /.test(sdp);
    const pc = (await this.#peerFor(leg, video)).pc;
    await pc.setRemoteDescription({ type: "offer", sdp });
    await pc.setLocalDescription(await pc.createAnswer());
    return pc.localDescription?.sdp ?? "";
  }

  async applyAnswer(leg: CallLeg, sdp: string): Promise<void> {
    const peer = this.#peers.get(keyOf(leg));
    if (!peer) throw new Error("an answer for a leg this device has no connection for");
    await peer.pc.setRemoteDescription({ type: "answer", sdp });
  }

  addRemoteCandidates(leg: CallLeg, candidates: readonly string[]): void {
    const peer = this.#peers.get(keyOf(leg));
    if (!peer) return;
    for (const candidate of candidates) {
      peer.pc.addIceCandidate(JSON.parse(candidate) as RTCIceCandidateInit).catch((e: unknown) => this.onError(e));
    }
  }

  closeLeg(leg: CallLeg): void {
    const peer = this.#peers.get(keyOf(leg));
    if (!peer) return;
    clearTimeout(peer.iceTimer);
    peer.pc.close();
    for (const track of peer.remote.getTracks()) track.stop();
    this.#peers.delete(keyOf(leg));
    if (this.#peers.size === 0) this.stopLocal();
    this.onChange();
  }

  /** Closes every leg still open and stops the local media (the call ended here). */
  closeAll(): void {
    for (const peer of [...this.#peers.values()]) this.closeLeg(peer.leg);
    this.stopLocal();
  }

  /** Stops the camera, microphone and any screen share (the call is over here). */
  stopLocal(): void {
    this.#screen?.stop();
    this.#screen = undefined;
    for (const track of this.#local?.getTracks() ?? []) track.stop();
    this.#local = undefined;
    this.#localPending = undefined;
    this.onChange();
  }

  /** Mutes or unmutes the microphone. */
  setMuted(muted: boolean): void {
    for (const track of this.#local?.getAudioTracks() ?? []) track.enabled = !muted;
    this.onChange();
  }

  /** Turns the camera off or on (the remote side sees black frames while off). */
  setCameraOff(off: boolean): void {
    for (const track of this.#local?.getVideoTracks() ?? []) track.enabled = !off;
    this.onChange();
  }

  /** Sends the screen instead of the camera on every leg (replaceTrack: no renegotiation). */
  async startScreenShare(): Promise<void> {
    if (this.#screen) return;
    const display = await navigator.mediaDevices.getDisplayMedia({ video: true, audio: false });
    const track = display.getVideoTracks()[0];
    if (!track) throw new Error("the screen capture has no video");
    // Screen content: keep the resolution (text stays sharp), drop frames first when bandwidth is short.
    track.contentHint = "detail";
    this.#screen = track;
    // The browser's own "Stop sharing" ends the track: go back to the camera.
    track.addEventListener("ended", () => {
      if (this.#screen === track) this.stopScreenShare().catch((e: unknown) => this.onError(e));
    });
    await this.#replaceVideo(track);
    this.onChange();
  }

  /** Goes back from the screen to the camera. */
  async stopScreenShare(): Promise<void> {
    const screen = this.#screen;
    if (!screen) return;
    this.#screen = undefined;
    await this.#replaceVideo(this.#local?.getVideoTracks()[0] ?? null);
    screen.stop();
    this.onChange();
  }

  /** Samples every leg's stats: the worst inbound packet loss since the last sample and RTT. */
  async quality(): Promise<CallQuality | undefined> {
    let loss = 0;
    let rttMs: number | undefined;
    let any = false;
    for (const peer of this.#peers.values()) {
      const report = await peer.pc.getStats();
      let lost = 0;
      let received = 0;
      report.forEach((s: Record<string, unknown>) => {
        if (s.type === "inbound-rtp") {
          lost += Number(s.packetsLost ?? 0);
          received += Number(s.packetsReceived ?? 0);
        } else if (s.type === "candidate-pair" && s.nominated && s.state === "succeeded" && typeof s.currentRoundTripTime === "number") {
          rttMs = Math.max(rttMs ?? 0, s.currentRoundTripTime * 1000);
        }
      });
      const dLost = lost - peer.lastLost;
      const dReceived = received - peer.lastReceived;
      peer.lastLost = lost;
      peer.lastReceived = received;
      if (dLost + dReceived > 0) loss = Math.max(loss, Math.max(0, dLost) / (dLost + dReceived));
      any = true;
    }
    if (!any) return undefined;
    return { loss, rttMs, level: qualityLevel(loss, rttMs) };
  }

  async #replaceVideo(track: MediaStreamTrack | null): Promise<void> {
    const senders = [...this.#peers.values()].flatMap((p) =>
      p.pc.getSenders().filter((s) => s.track?.kind === "video" || isVideoSender(p.pc, s)),
    );
    await Promise.all(senders.map((s) => s.replaceTrack(track)));
  }

  async #localMedia(video: boolean): Promise<MediaStream> {
    if (this.#local) return this.#local;
    this.#localPending ??= navigator.mediaDevices.getUserMedia({ audio: true, video }).then((stream) => {
      this.#local = stream;
      this.onChange();
      return stream;
    });
    return this.#localPending;
  }

  /** Fresh servers for each new leg (./ice-servers.ts); open legs get new credentials before theirs expire. */
  async #servers(): Promise<RTCConfiguration> {
    return this.#ice.configuration();
  }

  async #peerFor(leg: CallLeg, video: boolean): Promise<Peer> {
    const existing = this.#peers.get(keyOf(leg));
    if (existing) return existing;
    // Servers first: a call that cannot connect (relay-only without TURN) never turns the camera on.
    const configuration = await this.#servers();
    const local = await this.#localMedia(video);
    const again = this.#peers.get(keyOf(leg));
    if (again) return again;
    const pc = new RTCPeerConnection(configuration);
    const peer: Peer = {
      leg,
      pc,
      remote: new MediaStream(),
      pendingIce: [],
      iceTimer: undefined,
      reportedConnected: false,
      lastLost: 0,
      lastReceived: 0,
    };
    this.#peers.set(keyOf(leg), peer);
    for (const track of local.getTracks()) pc.addTrack(this.#screen && track.kind === "video" ? this.#screen : track, local);
    pc.onicecandidate = (e) => {
      if (e.candidate) this.#queueCandidate(peer, JSON.stringify(e.candidate.toJSON()));
    };
    pc.ontrack = (e) => {
      const stream = e.streams[0];
      if (stream) peer.remote = stream;
      else peer.remote.addTrack(e.track);
      this.onChange();
    };
    pc.onconnectionstatechange = () => {
      if (pc.connectionState === "connected" && !peer.reportedConnected) {
        peer.reportedConnected = true;
        this.#client.calls.connected(leg.callId, leg.peer).catch((e: unknown) => this.onError(e));
      }
      this.onChange();
    };
    this.onChange();
    return peer;
  }

  #queueCandidate(peer: Peer, candidate: string): void {
    peer.pendingIce.push(candidate);
    peer.iceTimer ??= setTimeout(() => {
      peer.iceTimer = undefined;
      const batch = peer.pendingIce;
      peer.pendingIce = [];
      if (batch.length === 0 || peer.pc.signalingState === "closed") return;
      this.#client.calls.sendCandidates(peer.leg.callId, peer.leg.peer, batch).catch((e: unknown) => this.onError(e));
    }, ICE_BATCH_MS);
  }
}

function keyOf(leg: CallLeg): string {
  return `${leg.callId}/${leg.peer}`;
}

/** A sender whose track was replaced by null is still the video sender of its transceiver. */
function isVideoSender(pc: RTCPeerConnection, sender: RTCRtpSender): boolean {
  return pc.getTransceivers().some((t) => t.sender === sender && t.receiver.track.kind === "video");
}
