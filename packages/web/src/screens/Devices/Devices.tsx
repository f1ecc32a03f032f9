/**
 * This account's devices (/settings/devices): the list from the account's signed device list,
 * this one marked, kept live from the snapshot (a device linked or removed here, or one this
 * browser learns of from the relay, shows without a reload); removing another device (after a
 * confirmation dialog); and linking a new
 * one: paste or scan its link request, compare the check code with the new device's screen,
 * confirm, then hand the approval back (QR code or text). Only the primary device (the one that
 * created the account, which holds the account key) can link or remove devices.
 */
import type { ParleyClient } from "@parley/protocol/client";
import { type FormEvent, lazy, Suspense, useEffect, useRef, useState } from "react";
import { navigate } from "../../app/router.js";
import { parseCodeText } from "../../components/Qr/code-text.js";
import { CodeText, Qr } from "../../components/Qr/Qr.js";
import { describeError, errorCode } from "../../sdk/errors.js";
import { useActions, useParley } from "../../sdk/hooks.js";
import { CodeGroups } from "../Link/CodeGroups.js";
import styles from "../SafetyNumber/page.module.css";

const QrScanner = lazy(() => import("../../components/QrScanner/QrScanner.js").then((m) => ({ default: m.QrScanner })));

/** The reference client gives the device that creates an account id 1 (spec/keys.md §1); linked devices get random ids ≥ 2. */
const PRIMARY_DEVICE_ID = 1;

/** A short name for a device: people see ids only to tell devices apart. */
export function deviceName(id: number): string {
  return id === PRIMARY_DEVICE_ID ? "Primary device" : `Linked device ${String(id).slice(-4).padStart(4, "0")}`;
}

/** What `approveLink` returns: the approval, certifying nothing until confirmed. */
type PendingLinkApproval = Awaited<ReturnType<ParleyClient["approveLink"]>>;

const NOT_A_REQUEST = "That is not a link request. Copy the whole text the new device shows.";

type LinkStep =
  | { readonly step: "idle" }
  | { readonly step: "request" }
  | { readonly step: "compare"; readonly pending: PendingLinkApproval }
  | { readonly step: "approval"; readonly approval: string; readonly deviceId: number };

export function Devices() {
  const actions = useActions();
  const me = useParley((s) => s.me);
  const devices = useParley((s) => s.devices);
  useEffect(() => {
    // Devices linked or removed from another device since this one logged in: ask the relay once.
    actions.refreshDevices().catch(() => {});
  }, [actions]);
  const [removing, setRemoving] = useState<number>();
  const [error, setError] = useState<string>();
  const [notice, setNotice] = useState<string>();
  // Whether this browser holds the account key (created the account, or restored it from a backup).
  const primary = actions.isPrimary();

  const remove = async (id: number) => {
    setError(undefined);
    try {
      await actions.removeDevice(id);
      setNotice(`${deviceName(id)} was removed. It can no longer read or send your messages.`);
    } catch (e) {
      setError(describeError(e));
    } finally {
      setRemoving(undefined);
    }
  };

  return (
    <section className={styles.page} aria-labelledby="devices-title">
      <header className={styles.header}>
        <a
          className={styles.back}
          href="/settings"
          aria-label="Back to settings"
          onClick={(e) => {
            e.preventDefault();
            navigate("/settings");
          }}
        >
          ←
        </a>
        <h2 id="devices-title">Devices</h2>
      </header>
      <div className={styles.body}>
        <p className={styles.lead}>Every device here can read and send your messages. Remove any you do not recognise.</p>
        {notice && (
          <p className={styles.success} role="status">
            {notice}
          </p>
        )}
        {error && (
          <p className={styles.error} role="alert">
            {error}
          </p>
        )}
        <ul className={styles.list} aria-label="Your devices">
          {devices.map((id) => {
            const self = id === me?.deviceId;
            return (
              <li key={id} className={styles.item}>
                <span className={styles.itemText}>
                  <span>
                    {deviceName(id)}
                    {self && <strong> · this browser</strong>}
                  </span>
                  <span className={styles.muted}>
                    {(self ? primary : id === PRIMARY_DEVICE_ID)
                      ? "Holds your account key; links and removes devices"
                      : "Linked to your account"}
                  </span>
                </span>
                {primary && !self && (
                  <button type="button" className={styles.danger} onClick={() => setRemoving(id)} aria-label={`Remove ${deviceName(id)}`}>
                    Remove
                  </button>
                )}
              </li>
            );
          })}
        </ul>
        {primary ? (
          <LinkDevice
            onLinked={(id) => {
              setNotice(`${deviceName(id)} is linked.`);
            }}
          />
        ) : (
          <p className={styles.lead}>Only your primary device (the one that created your account) can link or remove devices.</p>
        )}
      </div>
      {removing !== undefined && (
        <ConfirmRemove name={deviceName(removing)} onCancel={() => setRemoving(undefined)} onConfirm={() => remove(removing)} />
      )}
    </section>
  );
}

function ConfirmRemove(props: { readonly name: string; readonly onCancel: () => void; readonly onConfirm: () => Promise<void> }) {
  const dialog = useRef<HTMLDialogElement>(null);
  const cancel = useRef<HTMLButtonElement>(null);
  const [busy, setBusy] = useState(false);
  useEffect(() => {
    const d = dialog.current;
    if (d && !d.open) d.showModal();
    cancel.current?.focus();
  }, []);
  return (
    <dialog
      ref={dialog}
      className={styles.dialog}
      aria-labelledby="remove-title"
      aria-describedby="remove-text"
      onCancel={(e) => {
        e.preventDefault();
        if (!busy) props.onCancel();
      }}
    >
      <h2 id="remove-title">Remove {props.name}?</h2>
      <p id="remove-text">
        It will be signed out of your account at once: it can no longer read or send your messages, and what waits for it on the relay is
        deleted. To use it again, link it again.
      </p>
      <div className={styles.actions}>
        <button ref={cancel} type="button" className={styles.secondary} onClick={props.onCancel} disabled={busy}>
          Cancel
        </button>
        <button
          type="button"
          className={styles.danger}
          disabled={busy}
          onClick={async () => {
            setBusy(true);
            await props.onConfirm();
          }}
        >
          {busy ? "Removing…" : "Remove device"}
        </button>
      </div>
    </dialog>
  );
}

function LinkDevice({ onLinked }: { readonly onLinked: (deviceId: number) => void }) {
  const actions = useActions();
  const [state, setState] = useState<LinkStep>({ step: "idle" });
  const [request, setRequest] = useState("");
  const [error, setError] = useState<string>();
  const [busy, setBusy] = useState(false);
  const [scanning, setScanning] = useState(false);

  // An abandoned approval certifies nothing; say so to the SDK too.
  useEffect(() => () => (state.step === "compare" ? state.pending.cancel() : undefined), [state]);

  const read = async (text: string) => {
    const value = text.replace(/\s+/g, "");
    if (!value) return;
    setError(undefined);
    if (!parseCodeText(value)) {
      setError(NOT_A_REQUEST);
      return;
    }
    setBusy(true);
    try {
      const pending = await actions.approveLink(value);
      setState({ step: "compare", pending });
    } catch (e) {
      setError(
        // A request that does not decode (the SDK reports it as an invalid encoding or record).
        errorCode(e) === "ERR_INVALID_ENCODING" || errorCode(e) === "ERR_INVALID_STATE"
          ? NOT_A_REQUEST
          : errorCode(e) === "ERR_IDENTITY_MISMATCH"
            ? "Only your primary device can link devices."
            : describeError(e),
      );
    } finally {
      setBusy(false);
    }
  };

  const confirm = async (pending: PendingLinkApproval) => {
    setBusy(true);
    setError(undefined);
    try {
      const approval = await pending.confirm();
      setState({ step: "approval", approval, deviceId: pending.deviceId });
      onLinked(pending.deviceId);
    } catch (e) {
      setError(describeError(e));
    } finally {
      setBusy(false);
    }
  };

  const submit = (event: FormEvent) => {
    event.preventDefault();
    void read(request);
  };

  const reset = () => {
    setState({ step: "idle" });
    setRequest("");
    setError(undefined);
  };

  return (
    <section className={styles.section} aria-labelledby="link-device-title">
      <h3 id="link-device-title">Link a new device</h3>
      {state.step === "idle" && (
        <>
          <p className={styles.lead}>
            On the new device, open Parley and choose to link it to an existing account. It shows a QR code and a text code.
          </p>
          <div className={styles.actions}>
            <button type="button" className={styles.primary} onClick={() => setState({ step: "request" })}>
              Link a new device
            </button>
          </div>
        </>
      )}
      {state.step === "request" && (
        <form onSubmit={submit} className={styles.field} aria-label="Link request">
          <label className={styles.field}>
            <span>The new device’s link request</span>
            <textarea rows={3} value={request} onChange={(e) => setRequest(e.target.value)} required spellCheck={false} />
          </label>
          {error && (
            <p className={styles.error} role="alert">
              {error}
            </p>
          )}
          <div className={styles.actions}>
            <button type="submit" className={styles.primary} disabled={busy}>
              Continue
            </button>
            <button type="button" className={styles.secondary} onClick={() => setScanning(true)} disabled={busy}>
              Scan its code
            </button>
            <button type="button" className={styles.secondary} onClick={reset} disabled={busy}>
              Cancel
            </button>
          </div>
        </form>
      )}
      {state.step === "compare" && (
        <>
          <p>
            <strong>Does the new device show exactly this code?</strong> Link it only if every digit matches: otherwise someone else’s
            device would get your messages.
          </p>
          <CodeGroups code={state.pending.code} label="Check code" />
          {error && (
            <p className={styles.error} role="alert">
              {error}
            </p>
          )}
          <div className={styles.actions}>
            <button type="button" className={styles.primary} onClick={() => confirm(state.pending)} disabled={busy}>
              {busy ? "Linking…" : "The codes match: link it"}
            </button>
            <button type="button" className={styles.secondary} onClick={reset} disabled={busy}>
              They differ: cancel
            </button>
          </div>
        </>
      )}
      {state.step === "approval" && (
        <>
          <p className={styles.success} role="status">
            Linked. Now scan this code with the new device, or copy the text and paste it there, to finish.
          </p>
          <div className={styles.qrRow}>
            <Qr value={state.approval} label="QR code of the approval for the new device" />
            <div>
              <CodeText value={state.approval} label="Approval for the new device" />
            </div>
          </div>
          <div className={styles.actions}>
            <button type="button" className={styles.secondary} onClick={reset}>
              Done
            </button>
          </div>
        </>
      )}
      {scanning && (
        <Suspense fallback={null}>
          <QrScanner
            title="Scan the new device’s code"
            onClose={() => setScanning(false)}
            onResult={(text) => {
              setScanning(false);
              setRequest(text);
              void read(text);
            }}
          />
        </Suspense>
      )}
    </section>
  );
}
