// Placeholder (H6 owns): says when the relay connection is not open.
import { useParley } from "../../sdk/hooks.js";

export function ConnectionBanner() {
  const state = useParley((s) => s.connection.state);
  if (state === "ready") return null;
  return (
    <div role="status" style={{ gridArea: "banner" }}>
      {state === "connecting" || state === "authenticating" ? "Connecting…" : "Offline — reconnecting…"}
    </div>
  );
}
