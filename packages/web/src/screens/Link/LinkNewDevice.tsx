/**
 * Onboarding's "link this browser to my existing account": this browser makes its device keys
 * and shows the link request (QR code and text) and its check code; the user approves it on the
 * account's primary device, checks the codes match there, and brings the approval back (scan or
 * paste); then this browser opens the account.
 */
import { ParleyClient, type Store } from "@parley/protocol/client";
import { type FormEvent, lazy, Suspense, useEffect, useState } from "react";
import { CodeText, Qr } from "../../components/Qr/Qr.js";
import { describeError, errorCode } from "../../sdk/errors.js";
import { useViewStore } from "../../sdk/hooks.js";
import { linkSession } from "../../sdk/session.js";
import styles from "../SafetyNumber/page.module.css";
import { CodeGroups } from "./CodeGroups.js";
import link from "./Link.module.css";

const QrScanner = lazy(() => import("../../components/QrScanner/QrScanner.js").then((m) => ({ default: m.QrScanner })));

// One request per store, outside React's lifecycle: StrictMode's double effects must not make
// two (the second would replace the pending keys the first one showed).
const requests = new WeakMap<Store, Promise<{ request: string; code: string }>>();

function requestOnce(store: Store): Promise<{ request: string; code: string }> {
  let pending = requests.get(store);
  if (!pending) {
    pending = ParleyClient.requestLink({ store });
    requests.set(store, pending);
  }
  return pending;
}

export function LinkNewDevice({ store, onCancel }: { readonly store: Store; readonly onCancel: () => void }) {
  const view = useViewStore();
  const [link0, setLink] = useState<{ request: string; code: string }>();
  const [approval, setApproval] = useState("");
  const [error, setError] = useState<string>();
  const [busy, setBusy] = useState(false);
  const [scanning, setScanning] = useState(false);

  useEffect(() => {
    let live = true;
    requestOnce(store).then(
      (r) => live && setLink(r),
      (e) => live && setError(describeError(e)),
    );
    return () => {
      live = false;
    };
  }, [store]);

  const finish = async (text: string) => {
    const value = text.replace(/\s+/g, "");
    if (!value) return;
    setBusy(true);
    setError(undefined);
    try {
      await linkSession(store, view, value);
    } catch (e) {
      setError(
        // An approval that does not decode, or one for another request (the SDK: invalid encoding, record, or keys).
        ["ERR_INVALID_ENCODING", "ERR_INVALID_STATE", "ERR_IDENTITY_MISMATCH", "ERR_INVALID_SIGNATURE"].includes(errorCode(e) ?? "") ||
          e instanceof TypeError ||
          (e instanceof Error && e.name === "InvalidCharacterError")
          ? "That is not an approval for this browser. Copy the whole code your other device shows after you confirmed."
          : describeError(e),
      );
      setBusy(false);
    }
  };

  const submit = (event: FormEvent) => {
    event.preventDefault();
    void finish(approval);
  };

  return (
    <section className={link.page} aria-labelledby="link-title">
      <div className={link.card}>
        <h1 id="link-title" className={link.title}>
          Link this browser to your account
        </h1>
        <ol className={link.steps}>
          <li>
            On the device where you created your Parley account, open <strong>Settings → Devices → Link a new device</strong>.
          </li>
          <li>Scan this QR code with it, or copy the text below and paste it there.</li>
          <li>Check that it shows the same code as this screen, then confirm there.</li>
          <li>Bring back the approval it shows: scan it or paste it below.</li>
        </ol>
        {link0 ? (
          <>
            <div className={styles.qrRow}>
              <Qr value={link0.request} label="QR code of this browser's link request" />
              <div className={styles.section}>
                <h2 className={link.h2}>Link request</h2>
                <CodeText value={link0.request} label="This browser's link request" />
              </div>
            </div>
            <div className={styles.section}>
              <h2 className={link.h2}>Code to compare</h2>
              <CodeGroups code={link0.code} label="Link check code" />
            </div>
            <form className={styles.section} onSubmit={submit} aria-label="Finish linking">
              <label className={styles.field}>
                <span>Approval from your other device</span>
                <textarea rows={4} value={approval} onChange={(e) => setApproval(e.target.value)} required spellCheck={false} />
              </label>
              {error && (
                <p role="alert" className={styles.error}>
                  {error}
                </p>
              )}
              <div className={styles.actions}>
                <button type="submit" className={styles.primary} disabled={busy}>
                  {busy ? "Linking…" : "Finish linking"}
                </button>
                <button type="button" className={styles.secondary} onClick={() => setScanning(true)} disabled={busy}>
                  Scan the approval
                </button>
                <button type="button" className={styles.secondary} onClick={onCancel} disabled={busy}>
                  Cancel
                </button>
              </div>
            </form>
          </>
        ) : error ? (
          <>
            <p role="alert" className={styles.error}>
              {error}
            </p>
            <button type="button" className={styles.secondary} onClick={onCancel}>
              Back
            </button>
          </>
        ) : (
          <p role="status">Making this browser's keys…</p>
        )}
      </div>
      {scanning && (
        <Suspense fallback={null}>
          <QrScanner
            title="Scan the approval"
            onClose={() => setScanning(false)}
            onResult={(text) => {
              setScanning(false);
              setApproval(text);
              void finish(text);
            }}
          />
        </Suspense>
      )}
    </section>
  );
}
