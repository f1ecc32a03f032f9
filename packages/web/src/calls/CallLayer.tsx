/**
 * The call UI above every screen: the incoming-call banner (Accept / Decline), the in-call view
 * (remote videos, local preview, mute, camera, device choice, screen share, hang up, timer,
 * network hint) and a short notice of how a call placed here ended ("Call declined"). The in-call
 * view is a modal dialog: Tab stays inside, Escape never hangs up, and focus goes back to where
 * it was when the call UI closes. The ended notice sits in the banner row above the app (it
 * pushes the screens down rather than covering the newest message or the composer).
 */
import type { CallInfo } from "@parley/protocol/client";
import { type KeyboardEvent, useEffect, useRef, useState, useSyncExternalStore } from "react";
import { createPortal } from "react-dom";
import { useParley } from "../sdk/hooks.js";
import { conversationTitle, isGroupId, personName } from "../sdk/selectors.js";
import styles from "./Calls.module.css";
import { useCalls, useCallsController } from "./context.js";
import { DeviceMenu } from "./controls-devices.js";
import { isTypingTarget, useFocusTrap, useReturnFocus } from "./controls-focus.js";
import { endedText, formatDuration } from "./format.js";
import type { CallQuality } from "./media.js";

/** The element of the app's banner row the ended notice goes into (App.tsx); fixed at the bottom without it. */
export const BANNER_SLOT_ID = "app-banners";

/** How long after a ringing call took focus from a text field Enter and Space do not answer it (ms). */
export const TYPING_GUARD_MS = 1_000;

export function CallLayer() {
  const incoming = useCalls((s) => s?.incoming);
  const current = useCalls((s) => s?.current);
  const ended = useCalls((s) => s?.ended);
  const error = useCalls((s) => s?.error);
  useReturnFocus(Boolean(current || incoming));
  return (
    <>
      {incoming && !current && <IncomingCall call={incoming} />}
      {current && <CallView call={current} />}
      {ended && !current && <EndedNotice call={ended} />}
      {error && !current && !ended && <FailedNotice error={error} />}
    </>
  );
}

/** A call that could not start or be answered here (e.g. relay-only calls without a TURN server): why, until dismissed. */
function FailedNotice({ error }: { readonly error: string }) {
  const controller = useCallsController();
  const slot = useBannerSlot();
  const notice = (
    <p className={slot ? styles.ended : `${styles.ended} ${styles.endedFloating} ${styles.failed}`} role="alert" data-call-ui="">
      {error}{" "}
      <button type="button" className={styles.dismiss} onClick={() => controller?.dismissEnded()}>
        Dismiss
      </button>
    </p>
  );
  return slot ? createPortal(notice, slot) : notice;
}

/** "Alice" for a 1:1 call, "Alice in Team" for a group call. */
function useCallerText(call: CallInfo): string {
  return useParley((s) => {
    const who = personName(s, call.caller, call.conversationId);
    return isGroupId(call.conversationId) ? `${who} in ${conversationTitle(s, call.conversationId)}` : who;
  });
}

function IncomingCall({ call }: { readonly call: CallInfo }) {
  const controller = useCallsController();
  const from = useCallerText(call);
  const accept = useRef<HTMLButtonElement>(null);
  const before = useRef<HTMLElement | null>(null);
  // A call that takes focus from a text field must not be answered by the user's next keystroke.
  const guardUntil = useRef(0);
  useEffect(() => {
    const active = document.activeElement;
    before.current = active instanceof HTMLElement && active !== document.body ? active : null;
    if (isTypingTarget(active)) guardUntil.current = Date.now() + TYPING_GUARD_MS;
    accept.current?.focus();
  }, []);
  const guardKeys = (e: KeyboardEvent<HTMLElement>) => {
    if ((e.key === "Enter" || e.key === " ") && Date.now() < guardUntil.current) e.preventDefault();
  };
  const kind = call.video ? "Video call" : "Voice call";
  return (
    <section
      className={styles.incoming}
      role="alertdialog"
      aria-labelledby="incoming-call-title"
      aria-describedby="incoming-call-kind"
      data-call-ui=""
      onKeyDown={(e) => {
        guardKeys(e);
        // Escape leaves the call ringing and goes back to what the user was doing (never declines).
        if (e.key === "Escape" && before.current?.isConnected) {
          e.preventDefault();
          e.stopPropagation();
          before.current.focus();
        }
      }}
      onKeyUp={guardKeys}
    >
      <p id="incoming-call-kind" className={styles.kind}>
        Incoming {kind.toLowerCase()}
      </p>
      <h2 id="incoming-call-title" className={styles.caller}>
        {from}
      </h2>
      <div className={styles.actions}>
        <button type="button" className={styles.decline} onClick={() => controller?.decline(call.id)}>
          Decline
        </button>
        <button type="button" ref={accept} className={styles.accept} onClick={() => controller?.accept(call.id)}>
          Accept
        </button>
      </div>
    </section>
  );
}

function CallView({ call }: { readonly call: CallInfo }) {
  const controller = useCallsController();
  const local = useCalls((s) => s?.local);
  const remotes = useCalls((s) => s?.remotes);
  const muted = useCalls((s) => s?.muted ?? false);
  const cameraOff = useCalls((s) => s?.cameraOff ?? false);
  const hasCamera = useCalls((s) => s?.hasCamera ?? false);
  const sharing = useCalls((s) => s?.sharing ?? false);
  const quality = useCalls((s) => s?.quality);
  const notice = useCalls((s) => s?.notice);
  const error = useCalls((s) => s?.error);
  const title = useParley((s) => conversationTitle(s, call.conversationId));
  const names = useParley((s) => Object.fromEntries(call.participants.map((p) => [p, personName(s, p, call.conversationId)])));
  const dialog = useRef<HTMLElement>(null);
  const hangup = useRef<HTMLButtonElement>(null);
  useEffect(() => hangup.current?.focus(), []);
  useFocusTrap(dialog);
  const shown = (remotes ?? []).slice(0, 3);
  const active = call.state === "active";
  const showsVideo = Boolean(local && local.getVideoTracks().length > 0);
  // The others turned on video and ours is off: offered, never forced.
  const seenBy = shown.filter((r) => r.video).map((r) => names[r.peer] ?? "Someone");
  const hint =
    call.video && !hasCamera && !sharing && seenBy.length > 0
      ? `${seenBy.join(", ")} turned on video. Your camera stays off until you turn it on.`
      : undefined;
  return (
    <section
      ref={dialog}
      className={styles.callView}
      role="dialog"
      aria-modal="true"
      aria-labelledby="call-title"
      data-state={call.state}
      data-call-ui=""
      tabIndex={-1}
      onKeyDown={(e) => {
        // Nothing behind the dialog reacts to keys (list shortcuts, the composer); Escape does not hang up.
        e.stopPropagation();
        if (e.key === "Escape") e.preventDefault();
      }}
    >
      <header className={styles.callHeader}>
        <h2 id="call-title" className={styles.callTitle}>
          {title}
        </h2>
        <p className={styles.callStatus} role="status">
          {statusText(call)}
          {call.state === "active" && call.connectedAt !== undefined && (
            <>
              {" · "}
              <CallTimer since={call.connectedAt} />
            </>
          )}
        </p>
        {quality && <QualityHint quality={quality} />}
      </header>
      <div className={styles.stage} data-count={shown.length}>
        {shown.map((r) => (
          <figure key={r.peer} className={styles.tile} data-video={r.video}>
            <Video stream={r.stream} label={`Video of ${names[r.peer] ?? "participant"}`} />
            {!r.video && (
              <span className={styles.avatar} aria-hidden="true">
                {initialOf(names[r.peer])}
              </span>
            )}
            <figcaption className={styles.tileName}>
              {names[r.peer]}
              {!r.video && <span className={styles.visuallyHidden}> (no video)</span>}
            </figcaption>
          </figure>
        ))}
        {shown.length === 0 && <p className={styles.waiting}>Calling…</p>}
        {showsVideo && local && (
          <div className={styles.preview}>
            <Video stream={local} label={sharing ? "Your screen" : "Your camera"} muted mirrored={!sharing} />
          </div>
        )}
      </div>
      {/* A polite live region that stays in the page, so each new sentence is read once. */}
      <p className={styles.notice} aria-live="polite" data-testid="call-notice">
        {notice ?? hint}
      </p>
      {error && (
        <p role="alert" className={styles.error}>
          {error}
        </p>
      )}
      <div className={styles.controls} role="toolbar" aria-label="Call controls">
        <button type="button" className={styles.control} aria-pressed={muted} onClick={() => controller?.setMuted(!muted)}>
          {muted ? "Unmute" : "Mute"}
        </button>
        {hasCamera ? (
          <button type="button" className={styles.control} aria-pressed={cameraOff} onClick={() => controller?.setCameraOff(!cameraOff)}>
            {cameraOff ? "Camera on" : "Camera off"}
          </button>
        ) : (
          // A voice call gets video once it is connected (a renegotiation: spec/calls.md §4.1).
          active && (
            <button type="button" className={styles.control} onClick={() => controller?.turnOnCamera()}>
              Turn on camera
            </button>
          )
        )}
        {(call.video || active) && (
          <button type="button" className={styles.control} aria-pressed={sharing} onClick={() => controller?.toggleScreenShare()}>
            {sharing ? "Stop sharing" : "Share screen"}
          </button>
        )}
        <DeviceMenu />
        <button type="button" ref={hangup} className={styles.hangup} onClick={() => controller?.hangup()}>
          Hang up
        </button>
      </div>
    </section>
  );
}

function initialOf(name: string | undefined): string {
  return [...(name?.trim() || "?")][0]?.toUpperCase() ?? "?";
}

function statusText(call: CallInfo): string {
  if (call.state === "outgoing") return call.remoteRinging ? "Ringing…" : "Calling…";
  if (call.state === "connecting") return "Connecting…";
  if (call.state === "active") return call.video ? "Video call" : "Voice call";
  return "";
}

/** Minutes and seconds since `since`, ticking each second. */
function CallTimer({ since }: { readonly since: number }) {
  const [now, setNow] = useState(() => Date.now());
  useEffect(() => {
    const timer = setInterval(() => setNow(Date.now()), 1_000);
    return () => clearInterval(timer);
  }, []);
  return <span data-testid="call-timer">{formatDuration(now - since)}</span>;
}

function QualityHint({ quality }: { readonly quality: CallQuality }) {
  const label = quality.level === "good" ? "Good connection" : quality.level === "fair" ? "Unstable connection" : "Poor connection";
  const detail = `${Math.round(quality.loss * 100)} % loss${quality.rttMs === undefined ? "" : `, ${Math.round(quality.rttMs)} ms`}`;
  return (
    <p className={styles.quality} data-level={quality.level} data-testid="call-quality">
      {label} <span className={styles.qualityDetail}>({detail})</span>
    </p>
  );
}

function Video({
  stream,
  label,
  muted = false,
  mirrored = false,
}: {
  readonly stream: MediaStream;
  readonly label: string;
  readonly muted?: boolean;
  readonly mirrored?: boolean;
}) {
  const ref = useRef<HTMLVideoElement>(null);
  useEffect(() => {
    const video = ref.current;
    if (!video) return;
    video.srcObject = stream;
    video.play().catch(() => {});
    return () => {
      video.srcObject = null;
    };
  }, [stream]);
  return (
    <video ref={ref} className={styles.video} data-mirrored={mirrored || undefined} aria-label={label} autoPlay playsInline muted={muted} />
  );
}

const noSubscribe = () => () => {};

/** The app's banner row (App.tsx), where call notices take a line of their own; null outside the app shell. */
function useBannerSlot(): HTMLElement | null {
  return useSyncExternalStore(
    noSubscribe,
    () => document.getElementById(BANNER_SLOT_ID),
    () => null,
  );
}

function EndedNotice({ call }: { readonly call: CallInfo }) {
  const controller = useCallsController();
  useEffect(() => {
    const timer = setTimeout(() => controller?.dismissEnded(), 6_000);
    return () => clearTimeout(timer);
  }, [controller]);
  const slot = useBannerSlot();
  const notice = (
    <p className={slot ? styles.ended : `${styles.ended} ${styles.endedFloating}`} role="status" data-call-ui="">
      {endedText(call.endReason)}{" "}
      <button type="button" className={styles.dismiss} onClick={() => controller?.dismissEnded()}>
        Dismiss
      </button>
    </p>
  );
  // In the banner row the notice takes its own line: it pushes the screen down and covers nothing.
  return slot ? createPortal(notice, slot) : notice;
}
