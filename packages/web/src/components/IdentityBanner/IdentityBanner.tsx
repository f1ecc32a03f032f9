/**
 * Above the composer when a contact's identity changed (their handle now names another
 * account): one line of explanation, "Review" (the safety number screen) and "Accept". Nothing
 * can be sent meanwhile (the Conversation disables its composer from the same
 * `identityAlerts` slice). `VerifiedBadge` is the small "Verified" mark headers may show.
 */
import { useState } from "react";
import { conversationPath, navigate } from "../../app/router.js";
import { describeError } from "../../sdk/errors.js";
import { useActions, useParley } from "../../sdk/hooks.js";
import { conversationTitle } from "../../sdk/selectors.js";
import styles from "./IdentityBanner.module.css";

export function IdentityBanner({ conversationId }: { readonly conversationId: string }) {
  const alert = useParley((s) => s.identityAlerts[conversationId] !== undefined);
  const name = useParley((s) => conversationTitle(s, conversationId));
  const actions = useActions();
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string>();
  if (!alert) return null;
  const accept = async () => {
    setBusy(true);
    setError(undefined);
    try {
      await actions.acceptIdentity(conversationId);
    } catch (e) {
      setError(describeError(e));
    } finally {
      setBusy(false);
    }
  };
  return (
    <div className={styles.banner} role="alert" aria-labelledby="identity-banner-text">
      <p id="identity-banner-text" className={styles.text}>
        <span aria-hidden="true">⚠ </span>
        {name}’s safety number has changed: their handle now belongs to a different account. Review it before you send anything.
      </p>
      {error && <p className={styles.error}>{error}</p>}
      <div className={styles.actions}>
        <a
          className={styles.review}
          href={conversationPath(conversationId, "verify")}
          onClick={(e) => {
            e.preventDefault();
            navigate(conversationPath(conversationId, "verify"));
          }}
        >
          Review
        </a>
        <button type="button" className={styles.accept} onClick={accept} disabled={busy}>
          {busy ? "Accepting…" : "Accept"}
        </button>
      </div>
    </div>
  );
}

/** "✓ Verified" for a contact whose safety number the user confirmed; nothing otherwise. */
export function VerifiedBadge({ contactId }: { readonly contactId: string }) {
  const verified = useParley((s) => s.contactsById[contactId]?.verified === true);
  if (!verified) return null;
  return (
    <span className={styles.verified} title="You compared safety numbers with this contact">
      ✓ Verified
    </span>
  );
}
