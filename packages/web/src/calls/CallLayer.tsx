/**
 * The call UI above every screen: the incoming-call banner (Accept / Decline), the in-call view
 * (remote videos, local preview, mute, camera, screen share, hang up, timer, network hint) and a
 * short notice of how a call placed here ended ("Call declined").
 */
import type { CallInfo } from "@parley/protocol/client";
import { useEffect, useRef, useState } from "react";
import { useParley } from "../sdk/hooks.js";
import { conversationTitle, isGroupId, personName } from "../sdk/selectors.js";
import styles from "./Calls.module.css";
import { useCalls, useCallsController } from "./context.js";
import { endedText, formatDuration } from "./format.js";
import type { CallQuality } from "./media.js";

export function CallLayer() {
  const incoming = useCalls((s) => s?.incoming);
  const current = useCalls((s) => s?.current);
  const ended = useCalls((s) => s?.ended);
  const error = useCalls((s) => s?.error);
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
  return (
    <p className={`${styles.ended} ${styles.failed}`} role="alert">
      {error}{" "}
      <button type="button" className={styles.dismiss} onClick={() => controller?.dismissEnded()}>
        Dismiss
      </button>
    </p>
  );
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
  useEffect(() => accept.current?.focus(), []);
  const kind = call.video ? "Video call" : "Voice call";
  return (
    <section className={styles.incoming} role="alertdialog" aria-labelledby="incoming-call-title" aria-describedby="incoming-call-kind">
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
  const sharing = useCalls((s) => s?.sharing ?? false);
  const quality = useCalls((s) => s?.quality);
  const error = useCalls((s) => s?.error);
  const title = useParley((s) => conversationTitle(s, call.conversationId));
  const names = useParley((s) => Object.fromEntries(call.participants.map((p) => [p, personName(s, p, call.conversationId)])));
  const hangup = useRef<HTMLButtonElement>(null);
  useEffect(() => hangup.current?.focus(), []);
  const shown = (remotes ?? []).slice(0, 3);
  return (
    <section className={styles.callView} role="dialog" aria-modal="true" aria-labelledby="call-title" data-state={call.state}>
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
          <figure key={r.peer} className={styles.tile}>
            <Video stream={r.stream} label={`Video of ${names[r.peer] ?? "participant"}`} />
            <figcaption className={styles.tileName}>{names[r.peer]}</figcaption>
          </figure>
        ))}
        {shown.length === 0 && <p className={styles.waiting}>Calling…</p>}
        {call.video && local && (
          <div className={styles.preview}>
            <Video stream={local} label="Your camera" muted mirrored={!sharing} />
          </div>
        )}
      </div>
      {error && (
        <p role="alert" className={styles.error}>
          {error}
        </p>
      )}
      <div className={styles.controls} role="toolbar" aria-label="Call controls">
        <button type="button" className={styles.control} aria-pressed={muted} onClick={() => controller?.setMuted(!muted)}>
          {muted ? "Unmute" : "Mute"}
        </button>
        {call.video && (
          <>
            <button type="button" className={styles.control} aria-pressed={cameraOff} onClick={() => controller?.setCameraOff(!cameraOff)}>
              {cameraOff ? "Camera on" : "Camera off"}
            </button>
            <button type="button" className={styles.control} aria-pressed={sharing} onClick={() => controller?.toggleScreenShare()}>
              {sharing ? "Stop sharing" : "Share screen"}
            </button>
          </>
        )}
        <button type="button" ref={hangup} className={styles.hangup} onClick={() => controller?.hangup()}>
          Hang up
        </button>
      </div>
    </section>
  );
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

function EndedNotice({ call }: { readonly call: CallInfo }) {
  const controller = useCallsController();
  useEffect(() => {
    const timer = setTimeout(() => controller?.dismissEnded(), 6_000);
    return () => clearTimeout(timer);
  }, [controller]);
  return (
    <p className={styles.ended} role="status">
      {endedText(call.endReason)}{" "}
      <button type="button" className={styles.dismiss} onClick={() => controller?.dismissEnded()}>
        Dismiss
      </button>
    </p>
  );
}
