/**
 * React access to the calls view model: `<CallsProvider>` creates one CallsController for the
 * session's client (and disposes it), `useCalls(selector)` reads its snapshot, `useCallsController()`
 * gives the actions. Outside a provider (no client yet) the hooks see "no call".
 */
import { createContext, type ReactNode, useContext, useEffect, useState, useSyncExternalStore } from "react";
import { useParley, useViewStore } from "../sdk/hooks.js";
import { CallsController, type CallsSnapshot } from "./controller.js";

const CallsContext = createContext<CallsController | null>(null);

/** Plugs the web client's WebRTC layer into the session's client while mounted. */
export function CallsProvider({ children }: { readonly children: ReactNode }) {
  const view = useViewStore();
  const phase = useParley((s) => s.phase);
  const [controller, setController] = useState<CallsController | null>(null);
  useEffect(() => {
    const client = view.client;
    if (phase !== "ready" || !client) return;
    const next = new CallsController(client);
    setController(next);
    return () => {
      next.dispose();
      setController(null);
    };
  }, [view, phase]);
  return <CallsContext.Provider value={controller}>{children}</CallsContext.Provider>;
}

/** The calls controller, or null before the client is ready. */
export function useCallsController(): CallsController | null {
  return useContext(CallsContext);
}

const noSubscribe = () => () => {};

/** A value selected from the calls snapshot (re-renders when it changes by identity). */
export function useCalls<T>(select: (s: CallsSnapshot | undefined) => T): T {
  const controller = useContext(CallsContext);
  return useSyncExternalStore(controller?.subscribe ?? noSubscribe, () => select(controller?.getSnapshot()));
}
