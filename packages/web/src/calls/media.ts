/**
 * The web client's WebRTC layer for `client.calls` (spec/calls.md §8), put together: one
 * RTCPeerConnection per leg (./call-leg.ts) with the relay's STUN/TURN servers (./ice-servers.ts),
 * the local camera and microphone (./local-media.ts), `connected()` once a leg's connection is up,
 * and cleanup when a leg closes (the local tracks stop with the last leg). A new leg does not wait
 * for the camera: its offer (or answer) goes with sending transceivers that have no track yet, and
 * the tracks go on them (`replaceTrack`) once getUserMedia resolves (if it fails after the offer
 * or answer went: `onMediaFailed`). Mute, camera off, a change of camera or microphone, and
 * screen sharing in a video call act on the local tracks and the senders (`replaceTrack`, no
 * renegotiation); turning the camera on in a voice call, or sharing the screen there, adds a
 * video sender, and the caller renegotiates (`needsOffer`).
 */
import type { CallLeg, CallMediaHandler, ParleyClient } from "@parley/protocol/client";
import { LegConnection, legKey, type RemoteMedia } from "./call-leg.js";
import { type CallQuality, callQuality, type LegSample } from "./call-quality.js";
import type { DeviceKind } from "./devices.js";
import { applyIceServers, IceServerSource, relayCallsEnabled } from "./ice-servers.js";
import { type LegSenders, LocalMedia } from "./local-media.js";

export { ICE_BATCH_MS, type RemoteMedia } from "./call-leg.js";
export type { CallQuality } from "./call-quality.js";
export { MUTED_VIDEO_CHECK_MS } from "./muted-video.js";

/** The media handler plugged into `client.calls`, plus the controls the call view uses. */
export class WebCallMedia implements CallMediaHandler {
  readonly #client: ParleyClient;
  readonly #legs = new Map<string, LegConnection>();
  readonly #local: LocalMedia;
  readonly #ice: IceServerSource;
  /** New legs whose first offer or answer went to the SDK (a media failure after that ends the call). */
  readonly #handedOut = new WeakSet<LegConnection>();
  /** Called on any change of the local stream, the remote streams or the controls. */
  onChange: () => void = () => {};
  /** Called when a media step fails (a refused permission while the call runs, a failed action). */
  onError: (error: unknown) => void = () => {};
  /**
   * Called for each leg whose camera and microphone could not be opened after its offer or answer
   * went (a refused permission, no device): the call cannot go on (the controller hangs it up).
   */
  onMediaFailed: (leg: CallLeg, error: unknown) => void = (_leg, error) => this.onError(error);
  /** Called with a sentence for the user when the media changed by itself (a device unplugged, a saved device gone). */
  onNotice: (text: string) => void = () => {};
  /** Called when the browser's list of cameras and microphones changed (`devicechange`). */
  onDevicesChanged: () => void = () => {};
  /** Called when the browser's own "Stop sharing" ended the share (the controller stops it and renegotiates if needed). */
  onScreenShareEnded: () => void = () => {
    this.stopScreenShare().catch((e: unknown) => this.onError(e));
  };

  constructor(client: ParleyClient) {
    this.#client = client;
    this.#ice = new IceServerSource({
      fetch: () => client.iceServers(),
      active: () => this.#legs.size > 0,
      apply: (iceServers) => {
        for (const leg of this.#legs.values()) applyIceServers(leg.pc, iceServers);
      },
      relayOnly: () => relayCallsEnabled(),
    });
    // The callbacks are read at each call: the controller sets them after construction.
    this.#local = new LocalMedia(this.#senders, {
      onChange: () => this.onChange(),
      onError: (e) => this.onError(e),
      onNotice: (text) => this.onNotice(text),
      onDevicesChanged: () => this.onDevicesChanged(),
      onScreenShareEnded: () => this.onScreenShareEnded(),
    });
  }

  /**
   * What the local preview shows: the microphone and the video being sent (the camera, or the
   * screen while sharing); a new stream object whenever that changes. Undefined before media.
   */
  get localStream(): MediaStream | undefined {
    return this.#local.view;
  }

  /** The remote participants' streams, one per leg. */
  get remotes(): RemoteMedia[] {
    return [...this.#legs.values()].map((leg) => leg.remote);
  }

  /**
   * True when a camera track is on hand (it may be turned off) or being opened for the call; false
   * in a voice call until the camera is turned on.
   */
  get hasCamera(): boolean {
    return this.#local.hasCamera;
  }

  /** The device id of the camera in use (undefined without one). */
  get cameraId(): string | undefined {
    return this.#local.camera()?.getSettings().deviceId;
  }

  /** The device id of the microphone in use. */
  get microphoneId(): string | undefined {
    return this.#local.microphone()?.getSettings().deviceId;
  }

  /** True while the screen is shared instead of the camera. */
  get sharing(): boolean {
    return this.#local.screen !== undefined;
  }

  /** True when the microphone is muted (or there is none). Before it is open: as the user set it. */
  get muted(): boolean {
    return this.#local.muted;
  }

  /** True when the camera is off (or there is none). Before it is open: as the user set it. */
  get cameraOff(): boolean {
    return this.#local.cameraOff;
  }

  /**
   * Asks for the relay's STUN/TURN servers ahead of a call (the SDK caches them until their
   * refresh time), so the first call's offer does not wait for that round trip. Errors are left
   * to the call that needs the servers.
   */
  prepare(): void {
    this.#client.iceServers().catch(() => undefined);
  }

  async createOffer(leg: CallLeg, options: { readonly video: boolean }): Promise<string> {
    const existing = this.#legs.get(legKey(leg));
    if (existing) return existing.createOffer();
    const connection = await this.#newLeg(leg);
    if (connection !== this.#legs.get(legKey(leg))) return connection.createOffer();
    const video = options.video || this.#local.sendsVideo();
    connection.sendOn(video ? ["audio", "video"] : ["audio"]);
    this.#attachLocal(connection, video);
    const sdp = await connection.createOffer();
    this.#handOut(connection);
    return sdp;
  }

  async answerOffer(leg: CallLeg, sdp: string): Promise<string> {
    const existing = this.#legs.get(legKey(leg));
    if (existing) return existing.answerOffer(sdp);
    const connection = await this.#newLeg(leg);
    if (connection !== this.#legs.get(legKey(leg))) return connection.answerOffer(sdp);
    const video = /\nm=video /.test(sdp);
    const answer = await connection.answerOffer(sdp, video ? ["audio", "video"] : ["audio"]);
    this.#attachLocal(connection, video);
    this.#handOut(connection);
    return answer;
  }

  async applyAnswer(leg: CallLeg, sdp: string): Promise<void> {
    const connection = this.#legs.get(legKey(leg));
    if (!connection) throw new Error("an answer for a leg this device has no connection for");
    await connection.applyAnswer(sdp);
  }

  addRemoteCandidates(leg: CallLeg, candidates: readonly string[]): void {
    this.#legs.get(legKey(leg))?.addRemoteCandidates(candidates);
  }

  closeLeg(leg: CallLeg): void {
    const connection = this.#legs.get(legKey(leg));
    if (!connection) return;
    connection.close();
    this.#legs.delete(legKey(leg));
    if (this.#legs.size === 0) this.stopLocal();
    this.onChange();
  }

  /** Closes every leg still open and stops the local media (the call ended here). */
  closeAll(): void {
    for (const connection of [...this.#legs.values()]) this.closeLeg(connection.leg);
    this.stopLocal();
  }

  /** Stops the camera, microphone and any screen share (the call is over here). */
  stopLocal(): void {
    this.#local.stop();
  }

  /** Mutes or unmutes the microphone. */
  setMuted(muted: boolean): void {
    this.#local.setMuted(muted);
  }

  /** Turns the camera off or on (the remote side sees black frames while off). */
  setCameraOff(off: boolean): void {
    this.#local.setCameraOff(off);
  }

  /**
   * Turns the camera on: in a voice call (no camera yet) it opens the chosen camera and sends it on
   * every leg, unless the screen is shared (then the camera waits for the share to stop). Resolves
   * true when a leg needs a new offer (a video sender was added or started sending): the caller
   * renegotiates. With a camera already on hand it only enables it (false).
   */
  turnOnCamera(): Promise<boolean> {
    return this.#local.turnOnCamera();
  }

  /**
   * Uses another camera or microphone: remembered for the next calls, and in a call a new track
   * from that device replaces the old one on every leg (replaceTrack: no renegotiation) with the
   * same mute / camera-off state; the old track stops. While the screen is shared the new camera
   * waits for the share to stop. Without a camera on (a voice call) only the choice is saved.
   * `undefined` forgets the choice: the browser's default device, now and in the next calls.
   */
  setDevice(kind: DeviceKind, deviceId: string | undefined): Promise<void> {
    return this.#local.setDevice(kind, deviceId);
  }

  /** Sends the screen instead of the camera on every leg. Resolves true when a leg needs a new offer (it had no video sender). */
  startScreenShare(): Promise<boolean> {
    return this.#local.startScreenShare();
  }

  /**
   * Goes back from the screen to the camera. Without a camera (a voice call) the video senders stop
   * sending: resolves true, as the legs need a new offer to tell the other side no video comes.
   */
  stopScreenShare(): Promise<boolean> {
    return this.#local.stopScreenShare();
  }

  /** Samples every leg's stats: the worst inbound packet loss since the last sample and RTT. */
  async quality(): Promise<CallQuality | undefined> {
    const samples: LegSample[] = [];
    for (const connection of this.#legs.values()) samples.push(await connection.sample());
    return callQuality(samples);
  }

  /** The local media's way to the legs' senders. */
  readonly #senders: LegSenders = {
    replace: async (kind, track) => {
      const senders = [...this.#legs.values()].flatMap((leg) => leg.senders(kind));
      await Promise.all(senders.map((s) => s.replaceTrack(track)));
    },
    sendVideo: (track, stream) => this.#onEveryLeg((leg) => leg.sendVideo(track, stream)),
    stopSendingVideo: () => this.#onEveryLeg((leg) => leg.stopSendingVideo()),
  };

  /** Runs `step` on each leg in turn; true when it returned true for any (that leg needs a new offer). */
  async #onEveryLeg(step: (leg: LegConnection) => Promise<boolean>): Promise<boolean> {
    let needsOffer = false;
    for (const leg of this.#legs.values()) if (await step(leg)) needsOffer = true;
    return needsOffer;
  }

  /**
   * A new leg's connection, without local tracks yet (the caller adds its transceivers, then
   * {@link #attachLocal}); the leg's connection made meanwhile if there is one.
   */
  async #newLeg(leg: CallLeg): Promise<LegConnection> {
    // Servers first: a call that cannot connect (relay-only without TURN) never turns the camera on.
    // Fresh servers for each new leg (./ice-servers.ts); open legs get new credentials before theirs expire.
    const configuration = await this.#ice.configuration();
    const again = this.#legs.get(legKey(leg));
    if (again) return again;
    const connection = new LegConnection(leg, configuration, {
      onChange: () => this.onChange(),
      onError: (e) => this.onError(e),
      connected: async (l) => {
        await this.#client.calls.connected(l.callId, l.peer);
      },
      sendCandidates: (l, batch) => this.#client.calls.sendCandidates(l.callId, l.peer, batch),
    });
    this.#legs.set(legKey(leg), connection);
    this.onChange();
    return connection;
  }

  /**
   * Opens the call's camera and microphone (or uses them if open) and puts them on `connection`'s
   * sending transceivers when they are there; a failure goes to `onMediaFailed` while the leg is open.
   */
  #attachLocal(connection: LegConnection, video: boolean): void {
    const open = () => this.#legs.get(legKey(connection.leg)) === connection;
    this.#local
      .acquire(video)
      .then(
        async (stream) => {
          if (!open()) return;
          await connection.attach(this.#local.sentTracks(stream));
          this.onChange();
        },
        (error: unknown) => {
          // Before its offer or answer went, the SDK's step fails instead (#handOut).
          if (open() && this.#handedOut.has(connection)) this.onMediaFailed(connection.leg, error);
        },
      )
      .catch((e: unknown) => this.onError(e));
  }

  /**
   * A new leg's first offer or answer goes to the SDK, unless getUserMedia failed already: then the
   * leg closes and the SDK's step fails with that error, as nothing was sent yet (the call does not
   * start, or keeps ringing here).
   */
  #handOut(connection: LegConnection): void {
    const failure = this.#local.failure;
    if (failure) {
      this.closeLeg(connection.leg);
      throw failure.error;
    }
    this.#handedOut.add(connection);
  }
}
