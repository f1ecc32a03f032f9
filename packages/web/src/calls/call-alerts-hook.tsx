/**
 * `useCallAlerts()`: everything that tells the user about a call besides the call UI itself,
 * driven by the calls snapshot (context.tsx) — the ringtone while a call rings here, ringback
 * while our call rings at the callee, a busy or ended cue, and a system notification
 * "Incoming video call — Alice" while the page is hidden or unfocused (closed as soon as the call
 * stops ringing or the user comes back). Returns who is calling, for the tab title. The ringer's
 * state is mirrored on `<html data-call-sound>` ("ringtone", "ringback", "busy", "ended", or
 * "blocked" while the browser waits for a first click before it allows sound).
 */
import { useEffect, useRef, useState } from "react";
import { pageUnattended } from "../sdk/attention.js";
import { useParley } from "../sdk/hooks.js";
import { conversationTitle, isGroupId, personName } from "../sdk/selectors.js";
import type { Snapshot } from "../sdk/store.js";
import { onAttentionChange } from "../sdk/visibility.js";
import { callAlert, incomingCallNotification } from "./call-alerts.js";
import { type ShownNotification, showCallNotification } from "./call-alerts-notify.js";
import { useCalls } from "./context.js";
import { browserRingerDeps, Ringer, type RingerState } from "./ringer.js";
import { callSoundsEnabled, onCallSoundsChange } from "./ringer-settings.js";
import { endSound } from "./ringer-tones.js";

/** "Alice" for a 1:1 call, "Alice in Team" for a group call (as the ringing banner says). */
export function callerText(s: Snapshot, caller: string, conversationId: string): string {
  const who = personName(s, caller, conversationId);
  return isGroupId(conversationId) ? `${who} in ${conversationTitle(s, conversationId)}` : who;
}

/** Plays and shows the call alerts while mounted (inside CallsProvider); returns the caller of the call ringing here. */
export function useCallAlerts(): string | undefined {
  const incoming = useCalls((s) => s?.incoming);
  const current = useCalls((s) => s?.current);
  const ended = useCalls((s) => s?.ended);
  const { ringing, ringback } = callAlert({ incoming, current, ended });
  const from = useParley((s) => (ringing ? callerText(s, ringing.caller, ringing.conversationId) : undefined));
  const ringer = useRinger();

  // The repeating sounds follow the snapshot.
  useEffect(() => {
    ringer?.loop(ringing ? "ringtone" : ringback ? "ringback" : undefined);
  }, [ringer, ringing, ringback]);

  // A call placed or answered here ended: a busy tone or the ended cue, once per call.
  const cued = useRef<string | undefined>(undefined);
  useEffect(() => {
    if (!ringer || !ended || cued.current === ended.id) return;
    cued.current = ended.id;
    const sound = endSound(ended.endReason);
    if (sound === "busy" || sound === "ended") ringer.once(sound);
  }, [ringer, ended]);

  // The system notification while the user is elsewhere.
  const ringingId = ringing?.id;
  const video = ringing?.video ?? false;
  useEffect(() => {
    if (!ringingId || !from) return;
    let shown: ShownNotification | undefined;
    const follow = () => {
      if (pageUnattended()) {
        shown ??= showCallNotification(`parley:call:${ringingId}`, incomingCallNotification(from, video), { requireInteraction: true });
      } else {
        shown?.close();
        shown = undefined;
      }
    };
    follow();
    const off = onAttentionChange(follow);
    return () => {
      off();
      shown?.close();
    };
  }, [ringingId, from, video]);

  return from;
}

/** One ringer while mounted, following the call-sounds setting; its state goes on `<html data-call-sound>`. */
function useRinger(): Ringer | undefined {
  const [ringer, setRinger] = useState<Ringer>();
  useEffect(() => {
    const next = new Ringer(browserRingerDeps());
    next.onChange = showRingerState;
    next.setEnabled(callSoundsEnabled());
    const off = onCallSoundsChange((enabled) => next.setEnabled(enabled));
    setRinger(next);
    return () => {
      off();
      next.dispose();
      setRinger(undefined);
    };
  }, []);
  return ringer;
}

function showRingerState(state: RingerState): void {
  const root = document.documentElement;
  if (state.status === "playing" && state.sound) root.dataset.callSound = state.sound;
  else if (state.status === "waiting") root.dataset.callSound = "blocked";
  else delete root.dataset.callSound;
}
