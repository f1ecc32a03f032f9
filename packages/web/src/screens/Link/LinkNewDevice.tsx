// Placeholder (H5 owns): onboarding's "link this browser to my existing account": shows the link
// request as a QR code and text, waits for the other device's approval, then opens the account.
import type { Store } from "@parley/protocol/client";

export function LinkNewDevice(_props: { readonly store: Store; readonly onCancel: () => void }) {
  return <p>Linking is not available yet.</p>;
}
