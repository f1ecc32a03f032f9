/**
 * In-page toasts from the view store, in one polite live region: errors stay until dismissed,
 * info and message toasts hide by themselves (not while hovered or focused). A message toast
 * is a button that opens its conversation.
 */
import { useEffect, useState } from "react";
import { conversationPath, navigate } from "../../app/router.js";
import { useActions, useParley } from "../../sdk/hooks.js";
import type { Toast } from "../../sdk/store.js";
import styles from "./Toasts.module.css";

/** How long message and info toasts stay. */
export const TOAST_MS = 8_000;

export function Toasts() {
  const toasts = useParley((s) => s.toasts);
  return (
    <div className={styles.region} role="status" aria-label="Notifications">
      {toasts.map((t) => (
        <ToastItem key={t.id} toast={t} />
      ))}
    </div>
  );
}

function ToastItem({ toast }: { readonly toast: Toast }) {
  const actions = useActions();
  const [held, setHeld] = useState(false);
  const dismiss = () => actions.dismissToast(toast.id);

  useEffect(() => {
    if (toast.kind === "error" || held) return;
    const timer = setTimeout(() => actions.dismissToast(toast.id), TOAST_MS);
    return () => clearTimeout(timer);
  }, [actions, toast, held]);

  const conversationId = toast.conversationId;
  // Pointing at or focusing a toast keeps it.
  const hold = {
    onMouseEnter: () => setHeld(true),
    onMouseLeave: () => setHeld(false),
    onFocus: () => setHeld(true),
    onBlur: () => setHeld(false),
  };
  return (
    <div className={`${styles.toast} ${toast.kind === "error" ? styles.error : ""}`} role={toast.kind === "error" ? "alert" : undefined}>
      {conversationId ? (
        <button
          type="button"
          className={styles.open}
          {...hold}
          onClick={() => {
            dismiss();
            navigate(conversationPath(conversationId));
          }}
        >
          {toast.text}
        </button>
      ) : (
        <span className={styles.text}>{toast.text}</span>
      )}
      <button type="button" className={styles.dismiss} onClick={dismiss} {...hold} aria-label="Dismiss notification">
        ×
      </button>
    </div>
  );
}
