// Placeholder (H5 owns): in-page toasts from the view store.
import { useActions, useParley } from "../../sdk/hooks.js";

export function Toasts() {
  const toasts = useParley((s) => s.toasts);
  const actions = useActions();
  if (toasts.length === 0) return null;
  return (
    <ul aria-label="Notifications">
      {toasts.map((t) => (
        <li key={t.id} role={t.kind === "error" ? "alert" : "status"}>
          {t.text}{" "}
          <button type="button" onClick={() => actions.dismissToast(t.id)}>
            Dismiss
          </button>
        </li>
      ))}
    </ul>
  );
}
