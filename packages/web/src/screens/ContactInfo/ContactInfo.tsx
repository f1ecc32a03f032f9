/**
 * A contact's info (/c/<contact>/info): name, handle, presence or last seen, whether the safety
 * number was verified (with the way to the safety number screen), and how many devices the
 * contact's account has.
 */
import { useEffect, useState } from "react";
import { conversationPath, navigate } from "../../app/router.js";
import { useParley } from "../../sdk/hooks.js";
import { conversationTitle, presenceText } from "../../sdk/selectors.js";
import styles from "../SafetyNumber/page.module.css";

export function ContactInfo({ conversationId }: { readonly conversationId: string }) {
  const name = useParley((s) => conversationTitle(s, conversationId));
  const contact = useParley((s) => s.contactsById[conversationId]);
  const presence = useParley((s) => s.presence[conversationId]);
  const changed = useParley((s) => s.identityAlerts[conversationId] !== undefined);
  const now = useMinuteClock();
  const go = (path: string) => (e: { preventDefault: () => void }) => {
    e.preventDefault();
    navigate(path);
  };
  const devices = contact?.deviceIds.length ?? 0;
  return (
    <section className={styles.page} aria-labelledby="contact-title">
      <header className={styles.header}>
        <a
          className={styles.back}
          href={conversationPath(conversationId)}
          aria-label={`Back to the conversation with ${name}`}
          onClick={go(conversationPath(conversationId))}
        >
          ←
        </a>
        <h2 id="contact-title">{name}</h2>
      </header>
      <div className={styles.body}>
        {!contact ? (
          <p className={styles.lead}>This contact is not in your list.</p>
        ) : (
          <>
            <dl className={styles.facts}>
              <dt>Name</dt>
              <dd>{contact.displayName || "—"}</dd>
              <dt>Handle</dt>
              <dd>{contact.handle ? `@${contact.handle}` : "—"}</dd>
              <dt>Status</dt>
              <dd>{presenceText(presence, now)}</dd>
              <dt>Devices</dt>
              <dd>
                {devices} {devices === 1 ? "device" : "devices"}
              </dd>
              <dt>Safety number</dt>
              <dd>
                {changed ? (
                  <strong>Changed — review it</strong>
                ) : contact.verified ? (
                  <span className={`${styles.badge} ${styles.verified}`}>✓ Verified</span>
                ) : (
                  <span className={styles.badge}>Not verified</span>
                )}
              </dd>
            </dl>
            <div className={styles.actions}>
              <a
                className={styles.secondary}
                href={conversationPath(conversationId, "verify")}
                onClick={go(conversationPath(conversationId, "verify"))}
              >
                {contact.verified ? "View safety number" : "Verify safety number"}
              </a>
            </div>
          </>
        )}
      </div>
    </section>
  );
}

/** The current time, refreshed each minute (for "last seen 5 minutes ago"). */
function useMinuteClock(): number {
  const [now, setNow] = useState(() => Date.now());
  useEffect(() => {
    const timer = setInterval(() => setNow(Date.now()), 60_000);
    return () => clearInterval(timer);
  }, []);
  return now;
}
