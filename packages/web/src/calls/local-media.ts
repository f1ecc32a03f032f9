/**
 * This device's media in a call: the microphone and camera tracks (opened once for the call, the
 * devices chosen in this browser), the preview stream, mute and camera off, turning the camera on
 * in a voice call, a change of camera or microphone (a new track replaces the old one on every
 * leg), screen sharing instead of the camera, and a device that is unplugged (the default device
 * of its kind takes over). What reaches the legs goes through {@link LegSenders}.
 */
import { BROWSER_DEFAULT_ID, type DeviceKind, saveDevice, savedDevice } from "./devices.js";
import { acquireCallMedia, openDeviceTrack } from "./user-media.js";

/** How local tracks reach the call's legs. */
export interface LegSenders {
  /** Puts `track` on the sender of its kind on every leg (a sender that sends nothing yet is left alone). */
  replace(kind: "audio" | "video", track: MediaStreamTrack | null): Promise<void>;
  /** Sends `track` as every leg's video (in `stream` where a sender is added). True when a leg needs a new offer. */
  sendVideo(track: MediaStreamTrack, stream: MediaStream | undefined): Promise<boolean>;
  /** Stops sending video on every leg. True when a leg needs a new offer. */
  stopSendingVideo(): Promise<boolean>;
}

/** Callbacks of the call around the local media. */
export interface LocalMediaHooks {
  readonly onChange: () => void;
  readonly onError: (error: unknown) => void;
  readonly onNotice: (text: string) => void;
  readonly onDevicesChanged: () => void;
  /** The browser's own "Stop sharing" ended the screen share. */
  readonly onScreenShareEnded: () => void;
}

/**
 * The local tracks of one call and the controls on them.
 *
 * @example
 * const local = new LocalMedia(legs, hooks);
 * const stream = await local.acquire(true);
 * local.setMuted(true);
 */
export class LocalMedia {
  readonly #legs: LegSenders;
  readonly #hooks: LocalMediaHooks;
  #stream: MediaStream | undefined;
  #pending: Promise<MediaStream> | undefined;
  /** Whether the pending getUserMedia asked for a camera. */
  #pendingVideo = false;
  /** Why getUserMedia failed for this call (until `stop`). */
  #failure: { readonly error: unknown } | undefined;
  /** Mute and camera off as the user set them, also before the tracks exist (applied when they come). */
  #muted = false;
  #cameraOff = false;
  #screen: MediaStreamTrack | undefined;
  /** What the preview shows: the audio and the video being sent (the screen while sharing). */
  #view: MediaStream | undefined;
  #listening = false;
  readonly #lost = new Set<MediaStreamTrack>();

  constructor(legs: LegSenders, hooks: LocalMediaHooks) {
    this.#legs = legs;
    this.#hooks = hooks;
  }

  /** The microphone and camera tracks of the call (undefined before media). */
  get stream(): MediaStream | undefined {
    return this.#stream;
  }

  /** The preview: the microphone and the video being sent; a new stream object whenever that changes. */
  get view(): MediaStream | undefined {
    return this.#view;
  }

  /** The screen track while the screen is shared. */
  get screen(): MediaStreamTrack | undefined {
    return this.#screen;
  }

  /** True while getUserMedia for the call runs (the legs are up, the tracks not yet). */
  get opening(): boolean {
    return this.#pending !== undefined && this.#stream === undefined && this.#failure === undefined;
  }

  /** True when the camera is open, or being opened for the call. */
  get hasCamera(): boolean {
    return this.camera() !== undefined || (this.opening && this.#pendingVideo);
  }

  /** True when the microphone is muted (or there is none, and none is being opened). */
  get muted(): boolean {
    const track = this.#stream?.getAudioTracks()[0];
    if (track) return !track.enabled;
    return this.opening ? this.#muted : true;
  }

  /** True when the camera is off (or there is none, and none is being opened). */
  get cameraOff(): boolean {
    const camera = this.camera();
    if (camera) return !camera.enabled;
    return this.opening && this.#pendingVideo ? this.#cameraOff : true;
  }

  /** The error getUserMedia failed with for this call, if it did. */
  get failure(): { readonly error: unknown } | undefined {
    return this.#failure;
  }

  /** True when a new leg should send video: the camera is open (or being opened) or the screen is shared. */
  sendsVideo(): boolean {
    return this.#screen !== undefined || this.hasCamera;
  }

  /** The live camera track, if any. */
  camera(): MediaStreamTrack | undefined {
    return this.#stream?.getVideoTracks().find((t) => t.readyState === "live");
  }

  /** The live microphone track, if any. */
  microphone(): MediaStreamTrack | undefined {
    return this.#stream?.getAudioTracks().find((t) => t.readyState === "live");
  }

  /** The tracks of `stream` a new leg sends: the microphone, and as video the screen while it is shared (also in a voice call), else the camera. */
  sentTracks(stream: MediaStream): MediaStreamTrack[] {
    const video = this.#screen ?? stream.getVideoTracks()[0];
    return [...stream.getAudioTracks(), ...(video ? [video] : [])];
  }

  /**
   * The call's local stream, opened once (with a camera when `video`); later calls get the same
   * one. Mute and camera off set while it opened apply to its tracks.
   */
  async acquire(video: boolean): Promise<MediaStream> {
    if (this.#stream) return this.#stream;
    if (!this.#pending) {
      this.#pendingVideo = video;
      const pending = acquireCallMedia(video, this.#hooks.onNotice).then(
        (stream) => {
          // The call ended while the camera opened.
          if (this.#pending !== pending) {
            for (const track of stream.getTracks()) track.stop();
            return stream;
          }
          this.#stream = stream;
          for (const track of stream.getAudioTracks()) track.enabled = !this.#muted;
          for (const track of stream.getVideoTracks()) track.enabled = !this.#cameraOff;
          for (const track of stream.getTracks()) this.#watch(track);
          if (!this.#listening && navigator.mediaDevices?.addEventListener) {
            navigator.mediaDevices.addEventListener("devicechange", this.#onDeviceChange);
            this.#listening = true;
          }
          this.#refreshView();
          return stream;
        },
        (error: unknown) => {
          if (this.#pending === pending) {
            this.#failure = { error };
            this.#hooks.onChange();
          }
          throw error;
        },
      );
      this.#pending = pending;
      this.#hooks.onChange();
    }
    return this.#pending;
  }

  /** Waits for the call's getUserMedia, if it runs (its failure is the call's, not the caller's). */
  async #opened(): Promise<void> {
    if (this.opening) await this.#pending?.catch(() => undefined);
  }

  /** Stops the camera, microphone and any screen share (the call is over here). */
  stop(): void {
    this.#screen?.stop();
    this.#screen = undefined;
    for (const track of this.#stream?.getTracks() ?? []) track.stop();
    this.#stream = undefined;
    this.#pending = undefined;
    this.#failure = undefined;
    this.#muted = false;
    this.#cameraOff = false;
    this.#view = undefined;
    if (this.#listening) {
      navigator.mediaDevices?.removeEventListener?.("devicechange", this.#onDeviceChange);
      this.#listening = false;
    }
    this.#hooks.onChange();
  }

  /** Mutes or unmutes the microphone. */
  setMuted(muted: boolean): void {
    this.#muted = muted;
    for (const track of this.#stream?.getAudioTracks() ?? []) track.enabled = !muted;
    this.#hooks.onChange();
  }

  /** Turns the camera off or on (the remote side sees black frames while off). */
  setCameraOff(off: boolean): void {
    this.#cameraOff = off;
    for (const track of this.#stream?.getVideoTracks() ?? []) track.enabled = !off;
    this.#hooks.onChange();
  }

  /** Turns the camera on (see WebCallMedia.turnOnCamera). True when a leg needs a new offer. */
  async turnOnCamera(): Promise<boolean> {
    await this.#opened();
    this.#cameraOff = false;
    const local = this.#stream;
    if (!local) throw new Error("the call has no local media yet");
    const camera = this.camera();
    if (camera) {
      camera.enabled = true;
      this.#hooks.onChange();
      return false;
    }
    const track = await this.#open("videoinput", savedDevice("videoinput"));
    if (this.#stream !== local) {
      track.stop();
      return false;
    }
    local.addTrack(track);
    this.#watch(track);
    const needsOffer = this.#screen ? false : await this.#legs.sendVideo(track, this.#stream);
    this.#refreshView();
    return needsOffer;
  }

  /** Uses another camera or microphone, or the browser's default (`undefined`); see WebCallMedia.setDevice. */
  async setDevice(kind: DeviceKind, deviceId: string | undefined): Promise<void> {
    saveDevice(kind, deviceId);
    await this.#opened();
    const local = this.#stream;
    const old = kind === "videoinput" ? this.camera() : this.microphone();
    if (!local || !old) {
      this.#hooks.onChange();
      return;
    }
    // A track of the browser's own default entry already follows the default.
    if (old.readyState === "live" && old.getSettings().deviceId === (deviceId ?? BROWSER_DEFAULT_ID)) return;
    const track = await this.#open(kind, deviceId, false);
    if (this.#stream !== local) {
      track.stop();
      return;
    }
    await this.#swap(old, track);
  }

  /** Sends the screen instead of the camera on every leg. True when a leg needs a new offer. */
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
      if (this.#screen === track) this.#hooks.onScreenShareEnded();
    });
    const needsOffer = await this.#legs.sendVideo(track, this.#stream);
    this.#refreshView();
    return needsOffer;
  }

  /** Goes back from the screen to the camera, or stops sending video without one. True when a leg needs a new offer. */
  async stopScreenShare(): Promise<boolean> {
    const screen = this.#screen;
    if (!screen) return false;
    this.#screen = undefined;
    const camera = this.camera();
    let needsOffer = false;
    if (camera) await this.#legs.replace("video", camera);
    else needsOffer = await this.#legs.stopSendingVideo();
    screen.stop();
    this.#refreshView();
    return needsOffer;
  }

  #open(kind: DeviceKind, deviceId: string | undefined, fallback = true): Promise<MediaStreamTrack> {
    return openDeviceTrack(kind, deviceId, fallback, this.#hooks.onNotice);
  }

  /** Replaces the local track `old` by `track` (same kind) on the local stream and every leg; `old` stops. */
  async #swap(old: MediaStreamTrack, track: MediaStreamTrack): Promise<void> {
    const local = this.#stream;
    if (!local) return;
    track.enabled = old.enabled;
    local.removeTrack(old);
    local.addTrack(track);
    this.#watch(track);
    // While the screen is shared the senders keep the screen; the camera goes out when the share stops.
    if (!(track.kind === "video" && this.#screen)) await this.#legs.replace(track.kind === "audio" ? "audio" : "video", track);
    old.stop();
    this.#refreshView();
  }

  /** A new preview stream (the video element re-binds): microphone plus what is sent as video. */
  #refreshView(): void {
    const local = this.#stream;
    this.#view = local ? new MediaStream(this.sentTracks(local)) : undefined;
    this.#hooks.onChange();
  }

  /** A device unplugged ends its track: the call goes on with the default device of that kind. */
  #watch(track: MediaStreamTrack): void {
    track.addEventListener("ended", () => {
      if (this.#stream?.getTracks().includes(track)) this.#deviceLost(track).catch((e: unknown) => this.#hooks.onError(e));
    });
  }

  readonly #onDeviceChange = (): void => {
    this.#hooks.onDevicesChanged();
    // Some browsers leave an unplugged device's track "live" and only fire devicechange: check.
    for (const track of this.#stream?.getTracks() ?? []) {
      if (track.readyState === "ended") this.#deviceLost(track).catch((e: unknown) => this.#hooks.onError(e));
    }
    navigator.mediaDevices
      .enumerateDevices()
      .then((devices) => {
        for (const track of this.#stream?.getTracks() ?? []) {
          const id = track.getSettings().deviceId;
          const kind = track.kind === "video" ? "videoinput" : "audioinput";
          if (id && !devices.some((d) => d.kind === kind && d.deviceId === id))
            this.#deviceLost(track).catch((e: unknown) => this.#hooks.onError(e));
        }
      })
      .catch(() => {});
  };

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
      this.#stream?.removeTrack(track);
      if (kind === "videoinput" && !this.#screen) await this.#legs.replace("video", null);
      else if (kind === "audioinput") await this.#legs.replace("audio", null);
      track.stop();
      this.#hooks.onNotice(`Your ${noun} was disconnected.`);
      this.#refreshView();
      return;
    }
    if (!this.#stream?.getTracks().includes(track)) {
      next.stop();
      return;
    }
    await this.#swap(track, next);
    this.#hooks.onNotice(`Your ${noun} was disconnected: now using ${next.label || `the default ${noun}`}.`);
    this.#hooks.onDevicesChanged();
  }
}
