/**
 * React access to the view store: `useParley(selector)` re-renders only when the selected value
 * changes (shallow equality, the previous reference kept when equal), `useActions()` gives the
 * stable action object, `useViewStore()` the store itself (for toasts and transfers).
 */
import { createContext, useContext, useRef, useSyncExternalStore } from "react";
import type { Actions } from "./actions.js";
import type { ParleyStore, Snapshot } from "./store.js";

export const StoreContext = createContext<ParleyStore | null>(null);
export const ActionsContext = createContext<Actions | null>(null);

export function useViewStore(): ParleyStore {
  const store = useContext(StoreContext);
  if (!store) throw new Error("useViewStore outside <StoreContext>");
  return store;
}

export function useActions(): Actions {
  const actions = useContext(ActionsContext);
  if (!actions) throw new Error("useActions outside <ActionsContext>");
  return actions;
}

/** Objects and arrays equal key by key (one level); everything else by Object.is. */
export function shallowEqual<T>(a: T, b: T): boolean {
  if (Object.is(a, b)) return true;
  if (typeof a !== "object" || typeof b !== "object" || a === null || b === null) return false;
  if (Array.isArray(a) !== Array.isArray(b)) return false;
  const ka = Object.keys(a);
  if (ka.length !== Object.keys(b).length) return false;
  return ka.every((k) => Object.is((a as Record<string, unknown>)[k], (b as Record<string, unknown>)[k]));
}

export function useParley<T>(select: (s: Snapshot) => T, eq: (a: T, b: T) => boolean = shallowEqual): T {
  const store = useViewStore();
  const memo = useRef<{ s: Snapshot; select: (s: Snapshot) => T; value: T } | null>(null);
  const get = (): T => {
    const s = store.getSnapshot();
    const m = memo.current;
    if (m && m.s === s && m.select === select) return m.value;
    const value = select(s);
    memo.current = { s, select, value: m && eq(m.value, value) ? m.value : value };
    return memo.current.value;
  };
  return useSyncExternalStore(store.subscribe, get, get);
}
