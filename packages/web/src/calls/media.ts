/**
 * The web client's WebRTC layer for `client.calls` (spec/calls.md §8): one RTCPeerConnection per
 * leg with the relay's STUN/TURN servers, the local camera and microphone from getUserMedia,
 * ICE candidates batched to `sendCandidates`, `connected()` once a leg's connection is up, and
 * cleanup when a leg closes (the local tracks stop with the last leg). Mute, camera off, a
 * change of camera or microphone, and screen sharing in a video call act on the local tracks and
 * the senders (`replaceTrack`, no renegotiation); turning the camera on in a voice call, or
 * sharing the screen there, adds a video sender, and the caller renegotiates (`needsOffer`).
 * Whether a participant's video arrives comes from their track's mute state, and from decoded
 * frames where the browser leaves that state stuck (#checkMutedVideo).
 */
import type { CallLeg, CallMediaHandler, ParleyClient } from "@parley/protocol/client";
import { constraintFor, type DeviceKind, isMissingDevice, saveDevice, savedDevice } from "./devices.js";
import { qualityLevel } from "./format.js";
import { applyIceServers, IceServerSource, relayCallsEnabled } from "./ice-servers.js";

/** How long gathered ICE candidates wait to go out together (ms). */
export const ICE_BATCH_MS = 40;

/** How often a remote video track that says it is muted is checked for decoded frames (ms). */
export const MUTED_VIDEO_CHECK_MS = 500;

/** A remote participant's media, by user id. */
export interface RemoteMedia {
  readonly peer: string;
  readonly stream: MediaStream;
  /** True while their video arrives (a live, unmuted video track); false in a voice call or once they stop sending. */
  readonly video: boolean;
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
  /** Frames of the remote video decoded at the last check, while its track says muted. */
  videoFrames: number | undefined;
  /** True while frames of a remote video track that says muted are still being decoded. */
  mutedVideoFlows: boolean;
  videoTimer: ReturnType<typeof setInterval> | undefined;
}

/** The media handler plugged into `client.calls`, plus the controls the call view uses. */
export class WebCallMedia implements CallMediaHandler {
  readonly #client: ParleyClient;
  readonly #peers = new Map<string, Peer>();
  #local: MediaStream | undefined;
  #localPending: Promise<MediaStream> | undefined;
  #screen: MediaStreamTrack | undefined;
  readonly #ice: IceServerSource;
  /** What the preview shows: the audio and the video being sent (the screen while sharing). */
  #view: MediaStream | undefined;
  #listening = false;
  /** Called on any change of the local stream, the remote streams or the controls. */
  onChange: () => void = () => {};
  /** Called when a media step fails (no camera, a refused permission). */
  onError: (error: unknown) => void = () => {};
  /** Called with a sentence for the user when the media changed by itself (a device unplugged, a saved device gone). */
  onNotice: (text: string) => void = () => {};
  /** Called when the browser's list of cameras and microphones changed (`devicechange`). */
  onDevicesChanged: () => void = () => {};

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

  /**
   * What the local preview shows: the microphone and the video being sent (the camera, or the
   * screen while sharing); a new stream object whenever that changes. Undefined before media.
   */
  get localStream(): MediaStream | undefined {
    return this.#view;
  }

  /** The remote participants' streams, one per leg. */
  get remotes(): RemoteMedia[] {
    return [...this.#peers.values()].map((p) => ({
      peer: p.leg.peer,
      stream: p.remote,
      video: p.remote.getVideoTracks().some((t) => t.readyState === "live" && (!t.muted || p.mutedVideoFlows)),
    }));
  }

  /** True when a camera track is on hand (it may be turned off); false in a voice call until the camera is turned on. */
  get hasCamera(): boolean {
    return this.#camera() !== undefined;
  }

  /** The device id of the camera in use (undefined without one). */
  get cameraId(): string | undefined {
    return this.#camera()?.getSettings().deviceId;
  }

  /** The device id of the microphone in use. */
  get microphoneId(): string | undefined {
    return this.#microphone()?.getSettings().deviceId;
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
    return !this.#camera()?.enabled;
  }

  async createOffer(leg: CallLeg, options: { readonly video: boolean }): Promise<string> {
    const pc = (await this.#peerFor(leg, options.video)).pc;
    await pc.setLocalDescription(await pc.createOffer());
    return pc.localDescription?.sdp ?? "";
  }

  async answerOffer(leg: CallLeg, sdp: string): Promise<string> {
    const video = /\nm=video /.test(sdp);
    const pc = (await this.#peerFor(leg, video)).pc;
    // Both sides renegotiated at once (each turned on a camera): in have-local-offer, their offer
    // rolls ours back (implicit rollback); the SDK drops the answer to ours and settles the leg
    // with one more offer (spec/calls.md §4.1).
    await pc.setRemoteDescription({ type: "offer", sdp });
    await pc.setLocalDescription(await pc.createAnswer());
    return pc.localDescription?.sdp ?? "";
  }

  async applyAnswer(leg: CallLeg, sdp: string): Promise<void> {
    const peer = this.#peers.get(keyOf(leg));
    if (!peer) throw new Error("an answer for a leg this device has no connection for");
    // An answer to an offer that was rolled back (their offer crossed it): nothing to apply.
    if (peer.pc.signalingState !== "have-local-offer") return;
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
    clearInterval(peer.videoTimer);
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
    this.#view = undefined;
    if (this.#listening) {
      navigator.mediaDevices?.removeEventListener?.("devicechange", this.#onDeviceChange);
      this.#listening = false;
    }
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

  /**
   * Turns the camera on: in a voice call (no camera yet) it opens the chosen camera and sends it on
   * every leg, unless the screen is shared (then the camera waits for the share to stop). Resolves
   * true when a leg needs a new offer (a video sender was added or started sending): the caller
   * renegotiates. With a camera already on hand it only enables it (false).
   */
  async turnOnCamera(): Promise<boolean> {
    const local = this.#local;
    if (!local) throw new Error("the call has no local media yet");
    const camera = this.#camera();
    if (camera) {
      camera.enabled = true;
      this.onChange();
      return false;
    }
    const track = await this.#open("videoinput", savedDevice("videoinput"));
    if (this.#local !== local) {
      track.stop();
      return false;
    }
    local.addTrack(track);
    this.#watch(track);
    const needsOffer = this.#screen ? false : await this.#sendVideo(track);
    this.#refreshView();
    return needsOffer;
  }

  /**
   * Uses another camera or microphone: remembered for the next calls, and in a call a new track
   * from that device replaces the old one on every leg (replaceTrack: no renegotiation) with the
   * same mute / camera-off state; the old track stops. While the screen is shared the new camera
   * waits for the share to stop. Without a camera on (a voice call) only the choice is saved.
   */
  async setDevice(kind: DeviceKind, deviceId: string): Promise<void> {
    saveDevice(kind, deviceId);
    const local = this.#local;
    const old = kind === "videoinput" ? this.#camera() : this.#microphone();
    if (!local || !old) {
      this.onChange();
      return;
    }
    if (old.readyState === "live" && old.getSettings().deviceId === deviceId) return;
    const track = await this.#open(kind, deviceId, false);
    if (this.#local !== local) {
      track.stop();
      return;
    }
    await this.#swap(old, track);
  }

  /** Sends the screen instead of the camera on every leg. Resolves true when a leg needs a new offer (it had no video sender). */
  async startScreenShare(): Promise<boolean> {
    if (this.#screen) return false;
    const display = await navigator.mediaDevices.getDisplayMedia({ video: true, audio: false });
    const track = display.getVideoTracks()[0];
    if (!track) throw new Error("the screen capture has no video");
    // Screen content: keep the resolution (text stays sharp), drop frames first when bandwidth is short.
    track.contentHint = "detail";
    this.#screen = track;
    // The browser's own "Stop sharing" ends the track: go back to the camera.
    track.addEventListener("ended", () => {
      if (this.#screen === track) this.onScreenShareEnded();
    });
    const needsOffer = await this.#sendVideo(track);
    this.#refreshView();
    return needsOffer;
  }

  /** Called when the browser's own "Stop sharing" ended the share (the controller stops it and renegotiates if needed). */
  onScreenShareEnded: () => void = () => {
    this.stopScreenShare().catch((e: unknown) => this.onError(e));
  };

  /**
   * Goes back from the screen to the camera. Without a camera (a voice call) the video senders stop
   * sending: resolves true, as the legs need a new offer to tell the other side no video comes.
   */
  async stopScreenShare(): Promise<boolean> {
    const screen = this.#screen;
    if (!screen) return false;
    this.#screen = undefined;
    const camera = this.#camera();
    let needsOffer = false;
    if (camera) await this.#replaceVideo(camera);
    else needsOffer = await this.#stopSendingVideo();
    screen.stop();
    this.#refreshView();
    return needsOffer;
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
    await this.#replaceOn("video", track);
  }

  /** Puts `track` on the sender of its kind on every leg (a sender that sends nothing yet is left alone). */
  async #replaceOn(kind: "audio" | "video", track: MediaStreamTrack | null): Promise<void> {
    const senders = [...this.#peers.values()].flatMap((p) =>
      p.pc.getSenders().filter((s) => s.track?.kind === kind || senderKind(p.pc, s) === kind),
    );
    await Promise.all(senders.map((s) => s.replaceTrack(track)));
  }

  /**
   * Sends `track` as the video of every leg: on the leg's video transceiver (made sending if it
   * only received), or on a new one. True when any leg's description changed (needs a new offer).
   */
  async #sendVideo(track: MediaStreamTrack): Promise<boolean> {
    let needsOffer = false;
    for (const peer of this.#peers.values()) {
      const transceiver = videoTransceiver(peer.pc);
      if (!transceiver) {
        peer.pc.addTrack(track, ...(this.#local ? [this.#local] : []));
        needsOffer = true;
        continue;
      }
      await transceiver.sender.replaceTrack(track);
      if (transceiver.direction === "recvonly" || transceiver.direction === "inactive") {
        transceiver.direction = transceiver.direction === "recvonly" ? "sendrecv" : "sendonly";
        needsOffer = true;
      }
    }
    return needsOffer;
  }

  /** Stops sending video on every leg (no camera to go back to). True when any leg's description changed. */
  async #stopSendingVideo(): Promise<boolean> {
    let needsOffer = false;
    for (const peer of this.#peers.values()) {
      const transceiver = videoTransceiver(peer.pc);
      if (!transceiver) continue;
      await transceiver.sender.replaceTrack(null);
      if (transceiver.direction === "sendrecv" || transceiver.direction === "sendonly") {
        transceiver.direction = transceiver.direction === "sendrecv" ? "recvonly" : "inactive";
        needsOffer = true;
      }
    }
    return needsOffer;
  }

  /** Replaces the local track `old` by `track` (same kind) on the local stream and every leg; `old` stops. */
  async #swap(old: MediaStreamTrack, track: MediaStreamTrack): Promise<void> {
    const local = this.#local;
    if (!local) return;
    track.enabled = old.enabled;
    local.removeTrack(old);
    local.addTrack(track);
    this.#watch(track);
    // While the screen is shared the senders keep the screen; the camera goes out when the share stops.
    if (!(track.kind === "video" && this.#screen)) await this.#replaceOn(track.kind === "audio" ? "audio" : "video", track);
    old.stop();
    this.#refreshView();
  }

  /** A track from the device `deviceId` of `kind` (undefined: the default); with `fallback`, the default when that one is gone. */
  async #open(kind: DeviceKind, deviceId: string | undefined, fallback = true): Promise<MediaStreamTrack> {
    const key = kind === "videoinput" ? "video" : "audio";
    let stream: MediaStream;
    try {
      stream = await navigator.mediaDevices.getUserMedia({ [key]: constraintFor(deviceId) });
    } catch (e) {
      if (!deviceId || !fallback || !isMissingDevice(e)) throw e;
      stream = await navigator.mediaDevices.getUserMedia({ [key]: true });
      this.onNotice(`The ${kind === "videoinput" ? "camera" : "microphone"} you chose is not connected: using the default one.`);
    }
    const track = kind === "videoinput" ? stream.getVideoTracks()[0] : stream.getAudioTracks()[0];
    if (!track) throw new Error(`the browser gave no ${key} track`);
    return track;
  }

  async #localMedia(video: boolean): Promise<MediaStream> {
    if (this.#local) return this.#local;
    this.#localPending ??= this.#acquire(video).then((stream) => {
      this.#local = stream;
      for (const track of stream.getTracks()) this.#watch(track);
      if (!this.#listening && navigator.mediaDevices?.addEventListener) {
        navigator.mediaDevices.addEventListener("devicechange", this.#onDeviceChange);
        this.#listening = true;
      }
      this.#refreshView();
      return stream;
    });
    return this.#localPending;
  }

  /** The call's microphone (and camera): the devices chosen in this browser, or the defaults when those are gone. */
  async #acquire(video: boolean): Promise<MediaStream> {
    const mic = savedDevice("audioinput");
    const cam = video ? savedDevice("videoinput") : undefined;
    try {
      return await navigator.mediaDevices.getUserMedia({ audio: constraintFor(mic), video: video ? constraintFor(cam) : false });
    } catch (e) {
      if ((!mic && !cam) || !isMissingDevice(e)) throw e;
      const stream = await navigator.mediaDevices.getUserMedia({ audio: true, video });
      this.onNotice("A camera or microphone you chose is not connected: using the default.");
      return stream;
    }
  }

  #camera(): MediaStreamTrack | undefined {
    return this.#local?.getVideoTracks().find((t) => t.readyState === "live");
  }

  #microphone(): MediaStreamTrack | undefined {
    return this.#local?.getAudioTracks().find((t) => t.readyState === "live");
  }

  /** A new preview stream (the video element re-binds): microphone plus what is sent as video. */
  #refreshView(): void {
    const local = this.#local;
    if (!local) {
      this.#view = undefined;
    } else {
      const video = this.#screen ?? local.getVideoTracks()[0];
      this.#view = new MediaStream([...local.getAudioTracks(), ...(video ? [video] : [])]);
    }
    this.onChange();
  }

  /** A device unplugged ends its track: the call goes on with the default device of that kind. */
  #watch(track: MediaStreamTrack): void {
    track.addEventListener("ended", () => {
      if (this.#local?.getTracks().includes(track)) this.#deviceLost(track).catch((e: unknown) => this.onError(e));
    });
  }

  readonly #onDeviceChange = (): void => {
    this.onDevicesChanged();
    // Some browsers leave an unplugged device's track "live" and only fire devicechange: check.
    for (const track of this.#local?.getTracks() ?? []) {
      if (track.readyState === "ended") this.#deviceLost(track).catch((e: unknown) => this.onError(e));
    }
    navigator.mediaDevices
      .enumerateDevices()
      .then((devices) => {
        for (const track of this.#local?.getTracks() ?? []) {
          const id = track.getSettings().deviceId;
          const kind = track.kind === "video" ? "videoinput" : "audioinput";
          if (id && !devices.some((d) => d.kind === kind && d.deviceId === id))
            this.#deviceLost(track).catch((e: unknown) => this.onError(e));
        }
      })
      .catch(() => {});
  };

  #lost = new Set<MediaStreamTrack>();

  async #deviceLost(track: MediaStreamTrack): Promise<void> {
    if (this.#lost.has(track)) return;
    this.#lost.add(track);
    const kind: DeviceKind = track.kind === "video" ? "videoinput" : "audioinput";
    const noun = kind === "videoinput" ? "camera" : "microphone";
    let next: MediaStreamTrack;
    try {
      // The browser's default device now (the lost one is not it any more).
      next = await this.#open(kind, undefined);
    } catch {
      // Nothing left of that kind: the call goes on without it.
      this.#local?.removeTrack(track);
      if (kind === "videoinput" && !this.#screen) await this.#replaceVideo(null);
      else if (kind === "audioinput") await this.#replaceOn("audio", null);
      track.stop();
      this.onNotice(`Your ${noun} was disconnected.`);
      this.#refreshView();
      return;
    }
    if (!this.#local?.getTracks().includes(track)) {
      next.stop();
      return;
    }
    await this.#swap(track, next);
    this.onNotice(`Your ${noun} was disconnected: now using ${next.label || `the default ${noun}`}.`);
    this.onDevicesChanged();
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
      videoFrames: undefined,
      mutedVideoFlows: false,
      videoTimer: undefined,
    };
    this.#peers.set(keyOf(leg), peer);
    // The microphone, and as video the screen while it is shared (also in a voice call), else the camera.
    const sent = this.#screen ?? local.getVideoTracks()[0];
    for (const track of [...local.getAudioTracks(), ...(sent ? [sent] : [])]) pc.addTrack(track, local);
    pc.onicecandidate = (e) => {
      if (e.candidate) this.#queueCandidate(peer, JSON.stringify(e.candidate.toJSON()));
    };
    pc.ontrack = (e) => {
      // One stream per participant, made anew when a track joins (video added later), so the
      // element showing it re-binds; mute/unmute (video that stops or starts coming) re-render.
      const track = e.track;
      const kept = peer.remote.getTracks().filter((t) => t !== track && t.readyState === "live" && t.kind !== track.kind);
      peer.remote = new MediaStream([...kept, track]);
      track.addEventListener("mute", () => {
        if (track.kind === "video") this.#checkMutedVideo(peer, track);
        this.onChange();
      });
      track.addEventListener("unmute", () => this.onChange());
      if (track.kind === "video" && track.muted) this.#checkMutedVideo(peer, track);
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

  /**
   * A remote video track that says it is muted may still be playing: after their offer rolled
   * ours back (both turned on a camera at once, spec/calls.md §4.1), Chromium (seen in 156) never
   * unmutes the remote video track that arrives with their offer, although its frames are decoded
   * and play. So while the track says muted, its receiver's decoded frames decide whether the
   * video shows: they must grow between two checks. The checks stop once the track unmutes, ends,
   * or is no longer the leg's video.
   */
  #checkMutedVideo(peer: Peer, track: MediaStreamTrack): void {
    clearInterval(peer.videoTimer);
    peer.videoFrames = undefined;
    peer.mutedVideoFlows = false;
    const receiver = peer.pc.getReceivers().find((r) => r.track === track);
    if (!receiver) return;
    peer.videoTimer = setInterval(() => {
      if (!track.muted || track.readyState !== "live" || !peer.remote.getTracks().includes(track) || peer.pc.signalingState === "closed") {
        clearInterval(peer.videoTimer);
        peer.videoTimer = undefined;
        peer.mutedVideoFlows = false;
        return;
      }
      receiver.getStats().then(
        (report) => {
          let frames = 0;
          report.forEach((s: Record<string, unknown>) => {
            if (s.type === "inbound-rtp") frames += Number(s.framesDecoded ?? 0);
          });
          const flows = peer.videoFrames !== undefined && frames > peer.videoFrames;
          peer.videoFrames = frames;
          if (flows !== peer.mutedVideoFlows) {
            peer.mutedVideoFlows = flows;
            this.onChange();
          }
        },
        () => {},
      );
    }, MUTED_VIDEO_CHECK_MS);
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
