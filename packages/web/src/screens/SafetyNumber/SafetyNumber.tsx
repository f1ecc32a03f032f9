/**
 * The safety number with a contact (/c/<id>/verify): the 60 digits in groups of five to read
 * aloud, the QR code the other phone scans, and the code as text for pasting. The user marks the
 * contact verified after comparing, or has the app compare their scanned or pasted code: a match
 * verifies, a mismatch is a clear warning and verifies nothing. While the contact's identity
 * change is unaccepted, the old number is not shown: the screen explains and offers to accept.
 */
import type { SafetyNumber as SafetyNumberData } from "@parley/protocol";
import { type FormEvent, lazy, Suspense, useEffect, useState } from "react";
import { conversationPath, navigate } from "../../app/router.js";
import { codeText, parseCodeText } from "../../components/Qr/code-text.js";
import { CodeText, Qr } from "../../components/Qr/Qr.js";
import { describeError, errorCode } from "../../sdk/errors.js";
import { useActions, useParley } from "../../sdk/hooks.js";
import { conversationTitle } from "../../sdk/selectors.js";
import styles from "./page.module.css";

const QrScanner = lazy(() => import("../../components/QrScanner/QrScanner.js").then((m) => ({ default: m.QrScanner })));

/** Bytes in a safety number QR payload: version ‖ two 32-byte fingerprints (spec/safety-numbers.md §3). */
const SAFETY_QR_BYTES = 65;

type Outcome = { readonly kind: "match" | "marked" | "mismatch" | "invalid" | "error"; readonly text?: string };

export function SafetyNumber({ conversationId }: { readonly conversationId: string }) {
  const actions = useActions();
  const name = useParley((s) => conversationTitle(s, conversationId));
  const known = useParley((s) => s.contactsById[conversationId] !== undefined);
  const verified = useParley((s) => s.contactsById[conversationId]?.verified === true);
  const changed = useParley((s) => s.identityAlerts[conversationId] !== undefined);
  const [number, setNumber] = useState<SafetyNumberData>();
  const [loadError, setLoadError] = useState<string>();
  const [outcome, setOutcome] = useState<Outcome>();
  const [pasting, setPasting] = useState(false);
  const [pasted, setPasted] = useState("");
  const [scanning, setScanning] = useState(false);
  const [busy, setBusy] = useState(false);

  useEffect(() => {
    if (!known || changed) return;
    let live = true;
    actions.safetyNumber(conversationId).then(
      (n) => live && setNumber(n),
      (e) => live && setLoadError(describeError(e)),
    );
    return () => {
      live = false;
    };
  }, [actions, conversationId, known, changed]);

  const check = async (text: string) => {
    const bytes = parseCodeText(text);
    if (!bytes || bytes.length !== SAFETY_QR_BYTES) {
      setOutcome({ kind: "invalid" });
      return;
    }
    setBusy(true);
    try {
      const ok = await actions.markVerified(conversationId, bytes);
      setOutcome({ kind: ok ? "match" : "mismatch" });
      if (ok) {
        setPasting(false);
        setPasted("");
      }
    } catch (e) {
      setOutcome(errorCode(e) === "ERR_INVALID_ENCODING" ? { kind: "invalid" } : { kind: "error", text: describeError(e) });
    } finally {
      setBusy(false);
    }
  };

  const markVerified = async () => {
    setBusy(true);
    try {
      await actions.markVerified(conversationId);
      setOutcome({ kind: "marked" });
    } catch (e) {
      setOutcome({ kind: "error", text: describeError(e) });
    } finally {
      setBusy(false);
    }
  };

  const accept = async () => {
    setBusy(true);
    try {
      await actions.acceptIdentity(conversationId);
      setNumber(undefined);
      setOutcome(undefined);
    } catch (e) {
      setOutcome({ kind: "error", text: describeError(e) });
    } finally {
      setBusy(false);
    }
  };

  const submitPaste = (event: FormEvent) => {
    event.preventDefault();
    void check(pasted);
  };

  const groups = number ? (number.digits.match(/.{5}/g) ?? []) : [];
  const text = number ? codeText(number.qrPayload) : "";

  return (
    <section className={styles.page} aria-labelledby="safety-title">
      <header className={styles.header}>
        <a
          className={styles.back}
          href={conversationPath(conversationId)}
          aria-label={`Back to the conversation with ${name}`}
          onClick={(e) => {
            e.preventDefault();
            navigate(conversationPath(conversationId));
          }}
        >
          ←
        </a>
        <h2 id="safety-title">Safety number with {name}</h2>
      </header>
      <div className={styles.body}>
        {!known && <p className={styles.lead}>This conversation has no contact to verify.</p>}
        {known && changed && (
          <div className={styles.warning} role="alert">
            <p>
              <strong>{name}’s safety number has changed.</strong> Their handle now belongs to a different account: they may have
              reinstalled Parley, or someone else may have taken it. Nothing is sent to them until you accept the new one.
            </p>
            <div className={styles.actions}>
              <button type="button" className={styles.primary} onClick={accept} disabled={busy}>
                Accept the new safety number
              </button>
            </div>
          </div>
        )}
        {known && !changed && (
          <>
            <p className={verified ? `${styles.badge} ${styles.verified}` : styles.badge}>{verified ? "✓ Verified" : "Not verified"}</p>
            <p className={styles.lead}>
              Compare these numbers with the ones on {name}’s screen, in person or on a call you trust. If they match, no one is reading
              along between you.
            </p>
            {loadError && (
              <p role="alert" className={styles.error}>
                {loadError}
              </p>
            )}
            {number && (
              <>
                <ol className={styles.digits} aria-label="Safety number">
                  {groups.map((g, i) => (
                    // biome-ignore lint/suspicious/noArrayIndexKey: the groups are positions in a fixed number
                    <li key={i} aria-label={g.split("").join(" ")}>
                      {g}
                    </li>
                  ))}
                </ol>
                <div className={styles.qrRow}>
                  <Qr value={text} label={`QR code of your safety number with ${name}`} />
                  <div className={styles.section}>
                    <h3>Your code</h3>
                    <p className={styles.lead}>{name} can scan this QR code, or paste this text into Parley:</p>
                    <CodeText value={text} label="Your safety number code" />
                  </div>
                </div>
              </>
            )}
            <Result outcome={outcome} name={name} />
            <div className={styles.actions}>
              <button type="button" className={styles.primary} onClick={markVerified} disabled={busy || !number || verified}>
                {verified ? "Verified" : "Mark as verified"}
              </button>
              <button type="button" className={styles.secondary} onClick={() => setScanning(true)} disabled={!number}>
                Scan their code
              </button>
              <button
                type="button"
                className={styles.secondary}
                aria-expanded={pasting}
                aria-controls="paste-code"
                onClick={() => setPasting((p) => !p)}
                disabled={!number}
              >
                Paste their code
              </button>
            </div>
            {pasting && (
              <form id="paste-code" className={styles.section} onSubmit={submitPaste} aria-label="Check their code">
                <label className={styles.field}>
                  <span>Their code (from {name}’s safety number screen)</span>
                  <textarea rows={3} value={pasted} onChange={(e) => setPasted(e.target.value)} required spellCheck={false} />
                </label>
                <div className={styles.actions}>
                  <button type="submit" className={styles.primary} disabled={busy}>
                    Check code
                  </button>
                </div>
              </form>
            )}
          </>
        )}
      </div>
      {scanning && (
        <Suspense fallback={null}>
          <QrScanner
            title={`Scan ${name}’s safety number`}
            onClose={() => setScanning(false)}
            onResult={(scanned) => {
              setScanning(false);
              void check(scanned);
            }}
          />
        </Suspense>
      )}
    </section>
  );
}

function Result({ outcome, name }: { readonly outcome: Outcome | undefined; readonly name: string }) {
  if (!outcome) return null;
  switch (outcome.kind) {
    case "match":
      return (
        <p className={styles.success} role="status">
          ✓ The codes match. {name} is now verified.
        </p>
      );
    case "marked":
      return (
        <p className={styles.success} role="status">
          ✓ {name} is marked as verified.
        </p>
      );
    case "mismatch":
      return (
        <p className={styles.error} role="alert">
          <strong>The codes do not match.</strong> This is not the code of your conversation with {name}. {name} was not verified. Make sure
          you have their code for this conversation; if it still differs, someone may be intercepting your messages.
        </p>
      );
    case "invalid":
      return (
        <p className={styles.error} role="alert">
          That is not a safety number code. Copy the whole code from {name}’s safety number screen.
        </p>
      );
    default:
      return (
        <p className={styles.error} role="alert">
          {outcome.text}
        </p>
      );
  }
}
