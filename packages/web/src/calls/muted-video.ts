/**
 * The watch on a remote video track that says it is muted but may still be playing. After their
 * offer rolled ours back (both turned on a camera at once, spec/calls.md §4.1), Chromium (seen in
 * 156) never unmutes the remote video track that arrives with their offer, although its frames
 * are decoded and play. So while the track says muted, its receiver's decoded frames decide
 * whether the video shows: they must grow between two checks.
 */

/** How often a remote video track that says it is muted is checked for decoded frames (ms). */
export const MUTED_VIDEO_CHECK_MS = 500;

/** What the watch asks of the leg it runs for. */
export interface MutedVideoHooks {
  /** False once the track is no longer the leg's video or the leg's connection closed: the checks stop. */
  readonly stillWatched: () => boolean;
  /** Called when `flows` changed after a check. */
  readonly onChange: () => void;
}

/**
 * Checks the decoded frames of one muted remote video track every {@link MUTED_VIDEO_CHECK_MS}.
 * The checks stop by themselves once the track unmutes, ends, or `stillWatched()` says no.
 *
 * @example
 * const watch = new MutedVideoWatch(receiver, track, { stillWatched: () => open, onChange: render });
 * // …later: watch.flows tells whether the video plays; watch.stop() when the leg closes.
 */
export class MutedVideoWatch {
  /** Frames decoded at the last check (undefined before the first). */
  #frames: number | undefined;
  #flows = false;
  #timer: ReturnType<typeof setInterval> | undefined;

  constructor(receiver: RTCRtpReceiver, track: MediaStreamTrack, hooks: MutedVideoHooks) {
    this.#timer = setInterval(() => {
      if (!track.muted || track.readyState !== "live" || !hooks.stillWatched()) {
        this.stop();
        return;
      }
      receiver.getStats().then(
        (report) => {
          if (this.#timer === undefined) return;
          const frames = decodedFrames(report);
          const flows = this.#frames !== undefined && frames > this.#frames;
          this.#frames = frames;
          if (flows !== this.#flows) {
            this.#flows = flows;
            hooks.onChange();
          }
        },
        () => {},
      );
    }, MUTED_VIDEO_CHECK_MS);
  }

  /** True while frames of the track that says muted are still being decoded. */
  get flows(): boolean {
    return this.#flows;
  }

  /** Ends the checks; `flows` is false from now on. */
  stop(): void {
    clearInterval(this.#timer);
    this.#timer = undefined;
    this.#flows = false;
  }
}

/** Frames decoded so far according to a receiver's stats. */
function decodedFrames(report: RTCStatsReport): number {
  let frames = 0;
  report.forEach((s: Record<string, unknown>) => {
    if (s.type === "inbound-rtp") frames += Number(s.framesDecoded ?? 0);
  });
  return frames;
}
