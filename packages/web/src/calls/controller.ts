/**
 * The calls view model: follows `client.calls` (incoming, state, error) and the WebRTC layer,
 * and keeps one snapshot the call UI reads with useSyncExternalStore — the call ringing here,
 * the call running here, the local and remote streams, the controls and the cameras and
 * microphones to choose from. Actions (start, accept, decline, hang up, mute, camera, device
 * choice, screen share) go through it; where the media layer added video to a call it asks the
 * SDK to renegotiate (spec/calls.md §4.1). It holds no protocol logic.
 */
import type { CallInfo, ParleyClient } from "@parley/protocol/client";
import { type DeviceKind, type DeviceLists, listDevices, savedDevices } from "./devices.js";
import { type CallQuality, type RemoteMedia, WebCallMedia } from "./media.js";

/** What the call UI shows. */
export interface CallsSnapshot {
  /** A call ringing on this device (every device rings; it goes when answered elsewhere). */
  readonly incoming: CallInfo | undefined;
  /** The call placed or answered on this device, until it ends. */
  readonly current: CallInfo | undefined;
  /** How the last call here ended (shown briefly), e.g. "declined". */
  readonly ended: CallInfo | undefined;
  readonly local: MediaStream | undefined;
  readonly remotes: readonly RemoteMedia[];
  readonly muted: boolean;
  readonly cameraOff: boolean;
  /** True when a camera is on hand (a voice call has none until "Turn on camera"). */
  readonly hasCamera: boolean;
  readonly sharing: boolean;
  readonly quality: CallQuality | undefined;
  /** The cameras and microphones to choose from (filled while a call runs here). */
  readonly devices: DeviceLists;
  /** The device ids in use (undefined without such a track). */
  readonly cameraId: string | undefined;
  readonly microphoneId: string | undefined;
  /** The devices chosen in this browser, by kind (none: the browser's default). */
  readonly savedDevices: Partial<Record<DeviceKind, string>>;
  /** What changed by itself and the user should know ("Your camera was disconnected…"). */
  readonly notice: string | undefined;
  /** The last problem (a refused camera, a failed action), for the call view's alert. */
  readonly error: string | undefined;
}

const EMPTY: CallsSnapshot = {
  incoming: undefined,
  current: undefined,
  ended: undefined,
  local: undefined,
  remotes: [],
  muted: false,
  cameraOff: false,
  hasCamera: false,
  sharing: false,
  quality: undefined,
  devices: { cameras: [], microphones: [] },
  cameraId: undefined,
  microphoneId: undefined,
  savedDevices: {},
  notice: undefined,
  error: undefined,
};

/** How often the network quality is sampled during a call (ms). */
export const QUALITY_INTERVAL_MS = 2_000;

/** The calls view model of one client. `dispose()` unplugs it. */
export class CallsController {
  readonly #client: ParleyClient;
  readonly #media: WebCallMedia;
  readonly #listeners = new Set<() => void>();
  readonly #off: (() => void)[] = [];
  /** Calls being hung up here because their camera or microphone could not be opened (one hang-up each). */
  readonly #failedCalls = new Set<string>();
  #snapshot: CallsSnapshot = EMPTY;
  #qualityTimer: ReturnType<typeof setInterval> | undefined;

  constructor(client: ParleyClient) {
    this.#client = client;
    this.#media = new WebCallMedia(client);
    this.#media.onChange = () => this.#syncMedia();
    this.#media.onError = (e) => this.#fail(e);
    this.#media.onMediaFailed = (leg, e) => this.#mediaFailed(leg.callId, e);
    this.#media.onNotice = (text) => this.#set({ notice: text });
    this.#media.onDevicesChanged = () => void this.refreshDevices();
    this.#media.onScreenShareEnded = () => void this.#stopSharing();
    client.calls.setMedia(this.#media);
    this.#off.push(
      client.calls.on("incoming", (call) => this.#onCall(call)),
      client.calls.on("state", (call) => this.#onCall(call)),
      client.calls.on("error", (e) => this.#fail(e)),
    );
    this.#media.prepare();
  }

  /** Gets ready for a call from the UI (a conversation with call buttons opened): the ICE servers are fetched ahead. */
  prepare(): void {
    this.#media.prepare();
  }

  readonly subscribe = (listener: () => void): (() => void) => {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  };

  readonly getSnapshot = (): CallsSnapshot => this.#snapshot;

  /** Calls a contact or a group (its conversation id). */
  async start(conversationId: string, video: boolean): Promise<void> {
    this.#set({ ended: undefined, error: undefined, notice: undefined });
    try {
      const call = await this.#client.calls.start(conversationId, { video });
      this.#onCall(call);
    } catch (e) {
      this.#media.stopLocal();
      this.#fail(e);
    }
  }

  /** Answers the call ringing here. */
  async accept(callId: string): Promise<void> {
    this.#set({ error: undefined, notice: undefined });
    try {
      this.#onCall(await this.#client.calls.accept(callId));
    } catch (e) {
      this.#fail(e);
    }
  }

  /** Declines the call ringing here (every device of ours stops ringing). */
  async decline(callId: string): Promise<void> {
    try {
      this.#onCall(await this.#client.calls.decline(callId));
    } catch (e) {
      this.#fail(e);
    }
  }

  /** Hangs up (or cancels) the current call. */
  async hangup(): Promise<void> {
    const call = this.#snapshot.current;
    if (!call) return;
    try {
      this.#onCall(await this.#client.calls.hangup(call.id));
    } catch (e) {
      this.#fail(e);
    }
  }

  setMuted(muted: boolean): void {
    this.#media.setMuted(muted);
  }

  setCameraOff(off: boolean): void {
    this.#media.setCameraOff(off);
  }

  /**
   * Turns the camera on. In a voice call this adds video: the call becomes a video call on both
   * sides (the SDK renegotiates every leg with `video: true`); the others are not forced to send theirs.
   */
  async turnOnCamera(): Promise<void> {
    const call = this.#snapshot.current;
    if (!call) return;
    try {
      if (await this.#media.turnOnCamera()) await this.#client.calls.renegotiate(call.id, { video: true });
    } catch (e) {
      this.#fail(e);
    }
  }

  /** Uses another camera or microphone, or the browser's default (`undefined`), now and in later calls in this browser. */
  async setDevice(kind: DeviceKind, deviceId: string | undefined): Promise<void> {
    try {
      await this.#media.setDevice(kind, deviceId);
      this.#set({ notice: undefined, savedDevices: savedDevices() });
    } catch (e) {
      this.#set({ savedDevices: savedDevices() });
      this.#fail(e);
    }
  }

  /** Reads the browser's cameras and microphones again (labels come once media is allowed), and the choice saved here. */
  async refreshDevices(): Promise<void> {
    this.#set({ savedDevices: savedDevices() });
    try {
      this.#set({ devices: await listDevices() });
    } catch {
      // enumerateDevices failing leaves the last list.
    }
  }

  /** Shares the screen instead of the camera, or goes back. */
  async toggleScreenShare(): Promise<void> {
    if (this.#media.sharing) {
      await this.#stopSharing();
      return;
    }
    const call = this.#snapshot.current;
    try {
      if ((await this.#media.startScreenShare()) && call) await this.#client.calls.renegotiate(call.id, { video: true });
    } catch (e) {
      this.#fail(e);
    }
  }

  async #stopSharing(): Promise<void> {
    const call = this.#snapshot.current;
    try {
      if ((await this.#media.stopScreenShare()) && call) await this.#client.calls.renegotiate(call.id);
    } catch (e) {
      this.#fail(e);
    }
  }

  /** Forgets the device notice. */
  dismissNotice(): void {
    this.#set({ notice: undefined });
  }

  /** Forgets the "call ended" notice. */
  dismissEnded(): void {
    this.#set({ ended: undefined, error: undefined });
  }

  dispose(): void {
    for (const off of this.#off.splice(0)) off();
    clearInterval(this.#qualityTimer);
    this.#media.stopLocal();
    this.#listeners.clear();
  }

  #onCall(call: CallInfo): void {
    const s = this.#snapshot;
    if (call.state === "ended") {
      this.#set({
        incoming: s.incoming?.id === call.id ? undefined : s.incoming,
        current: s.current?.id === call.id ? undefined : s.current,
        ended: s.current?.id === call.id ? call : s.ended,
        ...(s.current?.id === call.id ? { notice: undefined } : {}),
      });
      if (s.current?.id === call.id) {
        this.#stopQuality();
        this.#media.closeAll();
      }
      return;
    }
    if (!call.onThisDevice) return;
    if (call.state === "ringing") {
      // Answering should not wait for the ICE servers either.
      this.#media.prepare();
      this.#set({ incoming: call });
      return;
    }
    this.#set({ current: call, incoming: s.incoming?.id === call.id ? undefined : s.incoming, ended: undefined });
    if (call.state === "active") this.#startQuality();
  }

  #startQuality(): void {
    if (this.#qualityTimer) return;
    this.#qualityTimer = setInterval(() => {
      this.#media.quality().then(
        (quality) => this.#set({ quality }),
        () => {},
      );
    }, QUALITY_INTERVAL_MS);
  }

  #stopQuality(): void {
    clearInterval(this.#qualityTimer);
    this.#qualityTimer = undefined;
    this.#set({ quality: undefined });
  }

  #syncMedia(): void {
    const m = this.#media;
    const hadLocal = this.#snapshot.local !== undefined;
    this.#set({
      local: m.localStream,
      remotes: m.remotes,
      muted: m.muted,
      cameraOff: m.cameraOff,
      hasCamera: m.hasCamera,
      sharing: m.sharing,
      cameraId: m.cameraId,
      microphoneId: m.microphoneId,
    });
    // Labels are readable once the camera or microphone is allowed: list the devices then.
    if (!hadLocal && m.localStream) void this.refreshDevices();
  }

  /**
   * The camera or microphone of a call whose offer or answer went could not be opened: the call is
   * hung up (the other side stops ringing or sees it end) and the error shows as when the call
   * could not start.
   */
  #mediaFailed(callId: string, e: unknown): void {
    this.#fail(e);
    if (this.#failedCalls.has(callId)) return;
    this.#failedCalls.add(callId);
    this.#client.calls
      .hangup(callId)
      .then(
        (call) => {
          this.#onCall(call);
          // The error says what happened, rather than "Call cancelled".
          if (this.#snapshot.ended?.id === callId) this.#set({ ended: undefined });
        },
        // Already ended, or never placed (the SDK's step failed and said so).
        () => {},
      )
      .finally(() => this.#failedCalls.delete(callId));
  }

  #fail(e: unknown): void {
    const text = e instanceof Error ? mediaErrorText(e) : String(e);
    this.#set({ error: text });
  }

  #set(patch: Partial<CallsSnapshot>): void {
    this.#snapshot = { ...this.#snapshot, ...patch };
    for (const listener of [...this.#listeners]) listener();
  }
}

/** A readable sentence for a media or call error. */
export function mediaErrorText(e: Error): string {
  if (e.name === "NotAllowedError") return "Parley may not use the camera or microphone. Allow it in the browser's site settings.";
  if (e.name === "NotFoundError") return "No camera or microphone was found.";
  if (e.name === "NotReadableError") return "The camera or microphone is in use by another app.";
  return e.message;
}
