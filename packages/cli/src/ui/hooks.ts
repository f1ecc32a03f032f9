/** Small hooks of the terminal view: the store's snapshot and the terminal's size. */
import { useStdout } from "ink";
import { useCallback, useEffect, useRef, useState, useSyncExternalStore } from "react";
import { emptyLine, type LineState } from "./line-editor.js";
import type { ChatStore, Snapshot } from "./store.js";

export function useSnapshot(store: ChatStore): Snapshot {
  return useSyncExternalStore(store.subscribe, store.getSnapshot, store.getSnapshot);
}

/** Columns and rows of the terminal, updated on resize. */
export function useTerminalSize(): { columns: number; rows: number } {
  const { stdout } = useStdout();
  const [size, setSize] = useState(() => ({ columns: stdout.columns || 80, rows: stdout.rows || 24 }));
  useEffect(() => {
    const onResize = () => setSize({ columns: stdout.columns || 80, rows: stdout.rows || 24 });
    stdout.on("resize", onResize);
    return () => {
      stdout.off("resize", onResize);
    };
  }, [stdout]);
  return size;
}

/**
 * The composer's line as state plus a ref read by key handlers: a key handler may run before
 * React re-renders with the previous key's result, so it must never read a stale line.
 */
export function useLine(): { line: LineState; current: () => LineState; set: (next: LineState | ((l: LineState) => LineState)) => void } {
  const [line, setLine] = useState<LineState>(emptyLine);
  const ref = useRef<LineState>(emptyLine);
  const set = useCallback((next: LineState | ((l: LineState) => LineState)) => {
    ref.current = typeof next === "function" ? next(ref.current) : next;
    setLine(ref.current);
  }, []);
  return { line, current: () => ref.current, set };
}
