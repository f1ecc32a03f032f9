// Placeholder (H5 owns): the blocking banner when a contact's identity changed.
import { useActions, useParley } from "../../sdk/hooks.js";

export function IdentityBanner({ conversationId }: { readonly conversationId: string }) {
  const alert = useParley((s) => s.identityAlerts[conversationId]);
  const actions = useActions();
  if (!alert) return null;
  return (
    <div role="alert">
      The safety number with this contact changed.{" "}
      <button type="button" onClick={() => void actions.acceptIdentity(conversationId)}>
        Accept
      </button>
    </div>
  );
}
