/**
 * The one polite announcer for screen readers: a visually hidden log region, never the timeline
 * itself. `announce(text)` queues a line; lines arriving within a short burst are summarised by
 * the caller (see Timeline), and the region clears itself so old lines are not re-read.
 */
import { useEffect, useState } from "react";

type Listener = (text: string) => void;
const listeners = new Set<Listener>();

/** Says `text` politely once (no-op when no Announcer is mounted). */
export function announce(text: string): void {
  for (const listener of [...listeners]) listener(text);
}

/** Mount once (the conversation screen does). */
export function Announcer() {
  const [text, setText] = useState("");
  useEffect(() => {
    let timer: ReturnType<typeof setTimeout> | undefined;
    const listener: Listener = (next) => {
      setText(next);
      clearTimeout(timer);
      timer = setTimeout(() => setText(""), 5_000);
    };
    listeners.add(listener);
    return () => {
      listeners.delete(listener);
      clearTimeout(timer);
    };
  }, []);
  return (
    <div className="visually-hidden" role="log" aria-live="polite" aria-atomic="true" data-testid="announcer">
      {text}
    </div>
  );
}
