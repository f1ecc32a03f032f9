/**
 * Keyboard focus for the call UI: the in-call dialog keeps Tab and Shift+Tab inside itself and
 * pulls focus back if something else takes it (it is aria-modal: what is behind is not there for
 * the user), and the call UI as a whole gives focus back to where it was when it closes. Elements
 * of the call UI carry `data-call-ui`, so "focus is still in the call UI" can be told apart.
 */
import { type RefObject, useEffect, useLayoutEffect } from "react";

const FOCUSABLE = [
  "a[href]",
  "button:not([disabled])",
  "input:not([disabled])",
  "select:not([disabled])",
  "textarea:not([disabled])",
  '[tabindex]:not([tabindex="-1"])',
].join(",");

/** The elements Tab reaches inside `root`, in document order (hidden ones left out). */
export function focusablesIn(root: HTMLElement): HTMLElement[] {
  return [...root.querySelectorAll<HTMLElement>(FOCUSABLE)].filter((el) => el.getClientRects().length > 0);
}

/**
 * Keeps focus inside `ref` while mounted: Tab after the last control goes to the first, Shift+Tab
 * before the first goes to the last, and focus that lands outside (a click on nothing, a script
 * focusing the composer behind) comes back to the first control.
 */
export function useFocusTrap(ref: RefObject<HTMLElement | null>): void {
  useEffect(() => {
    const root = ref.current;
    if (!root) return;
    const onKey = (e: KeyboardEvent) => {
      if (e.key !== "Tab" || e.altKey || e.ctrlKey || e.metaKey) return;
      const items = focusablesIn(root);
      const first = items[0];
      const last = items[items.length - 1];
      if (!first || !last) {
        e.preventDefault();
        return;
      }
      const active = document.activeElement;
      const inside = active instanceof Node && root.contains(active);
      if (e.shiftKey && (!inside || active === first || active === root)) {
        e.preventDefault();
        last.focus();
      } else if (!e.shiftKey && (!inside || active === last)) {
        e.preventDefault();
        first.focus();
      }
    };
    const onFocusIn = (e: FocusEvent) => {
      const target = e.target;
      if (target instanceof Node && !root.contains(target)) {
        // Another part of the call UI (the ended notice) is not behind the dialog: leave it.
        if (target instanceof Element && target.closest("[data-call-ui]")) return;
        (focusablesIn(root)[0] ?? root).focus();
      }
    };
    document.addEventListener("keydown", onKey, true);
    document.addEventListener("focusin", onFocusIn);
    return () => {
      document.removeEventListener("keydown", onKey, true);
      document.removeEventListener("focusin", onFocusIn);
    };
  }, [ref]);
}

/**
 * While `open`, remembers what had focus before the call UI took it; when `open` turns false,
 * gives focus back there if it is still in the page and focus is in the call UI or lost (on body).
 */
export function useReturnFocus(open: boolean): void {
  useLayoutEffect(() => {
    if (!open) return;
    const before = document.activeElement;
    const saved = before instanceof HTMLElement && before !== document.body && !before.closest("[data-call-ui]") ? before : null;
    return () => {
      // After the call UI is removed from the page (this runs in the same commit).
      queueMicrotask(() => {
        const now = document.activeElement;
        const lost = now === null || now === document.body || (now instanceof Element && now.closest("[data-call-ui]") !== null);
        if (saved?.isConnected && lost) saved.focus();
      });
    };
  }, [open]);
}

/** True when `el` is a place the user types into (focus there must not jump to a button they could press by typing). */
export function isTypingTarget(el: Element | null): boolean {
  if (!(el instanceof HTMLElement)) return false;
  if (el.isContentEditable) return true;
  if (el instanceof HTMLTextAreaElement) return true;
  if (el instanceof HTMLInputElement)
    return !["button", "checkbox", "radio", "submit", "reset", "range", "color", "file"].includes(el.type);
  return el instanceof HTMLSelectElement;
}
