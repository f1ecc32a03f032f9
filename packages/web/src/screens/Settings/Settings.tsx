/**
 * Settings (/settings): profile (the display name, editable in place on the primary device),
 * appearance (theme, a UI pref in localStorage), privacy (the
 * SDK's read receipts, typing indicators and presence, kept in the encrypted store; and relaying
 * calls through the server's TURN relay, a preference of this browser: ../../calls/ice-servers), notification
 * permission, push notifications for this device (../../push), linked devices, encrypted backup export and import, and about.
 * Privacy and backup need the SDK's settings/backup API; until this build has it, they say so.
 */
import type { ParleyClient } from "@parley/protocol/client";
import { type FormEvent, useEffect, useId, useRef, useState, useSyncExternalStore } from "react";
import { setTheme, storedTheme, type Theme } from "../../app/profile.js";
import { navigate } from "../../app/router.js";
import { CallSoundSetting } from "../../components/Attention/CallSoundSetting.js";
import {
  currentSubscription,
  describePushError,
  disablePush,
  enablePush,
  pushSupported,
  refreshPushSubscription,
} from "../../push/push-subscription.js";
import { describeDisplayNameError, describeError } from "../../sdk/errors.js";
import { useActions, useParley, useViewStore } from "../../sdk/hooks.js";
import { RelayCallsToggle } from "./RelayCallsToggle.js";
import styles from "./Settings.module.css";

/** The SDK's privacy settings. */
export interface PrivacySettings {
  readonly readReceipts: boolean;
  readonly typingIndicators: boolean;
  readonly presence: boolean;
}

interface SettingsCapable {
  readonly settings: PrivacySettings;
  updateSettings(patch: Partial<PrivacySettings>): Promise<void>;
}

interface BackupCapable {
  exportBackup(passphrase: string): Promise<Uint8Array>;
  importBackup(backup: Uint8Array, passphrase: string): Promise<unknown>;
}

function settingsApi(client: ParleyClient | undefined): SettingsCapable | undefined {
  const c = client as unknown as Partial<SettingsCapable> | undefined;
  return c && typeof c.updateSettings === "function" && c.settings ? (c as SettingsCapable) : undefined;
}

function backupApi(client: ParleyClient | undefined): BackupCapable | undefined {
  return client && "exportBackup" in client && "importBackup" in client ? (client as unknown as BackupCapable) : undefined;
}

export function Settings() {
  const client = useViewStore().client;
  return (
    <div className={styles.page}>
      <header className={styles.header}>
        <button type="button" className={styles.back} onClick={() => navigate("/")} aria-label="Back to conversations">
          ←
        </button>
        <h1>Settings</h1>
      </header>
      <div className={styles.sections}>
        <ProfileSection />
        <ThemeSection />
        <PrivacySection api={settingsApi(client)} client={client} />
        <NotificationSection />
        <PushSection client={client} />
        <section className={styles.section} aria-labelledby="settings-devices">
          <h2 id="settings-devices">Devices</h2>
          <p className={styles.hint}>The browsers and computers that use your account, and linking a new one.</p>
          <a
            href="/settings/devices"
            className={styles.button}
            onClick={(e) => {
              e.preventDefault();
              navigate("/settings/devices");
            }}
          >
            Manage devices
          </a>
        </section>
        <BackupSection api={backupApi(client)} />
        <AboutSection />
      </div>
    </div>
  );
}

function ProfileSection() {
  const me = useParley((s) => s.me);
  const actions = useActions();
  // The account's name is the primary device's to change (it owns the account's profile).
  const primary = actions.isPrimary();
  const [editing, setEditing] = useState(false);
  const [saved, setSaved] = useState(false);
  const editButton = useRef<HTMLButtonElement>(null);
  const returnFocus = useRef(false);
  useEffect(() => {
    if (editing || !returnFocus.current) return;
    returnFocus.current = false;
    editButton.current?.focus();
  }, [editing]);
  const close = (didSave: boolean) => {
    returnFocus.current = true;
    setSaved(didSave);
    setEditing(false);
  };
  return (
    <section className={styles.section} aria-labelledby="settings-profile">
      <h2 id="settings-profile">Profile</h2>
      {editing && <DisplayNameForm current={me?.displayName ?? ""} onDone={close} />}
      <dl className={styles.facts}>
        {!editing && (
          <>
            <dt>Display name</dt>
            <dd className={styles.nameRow}>
              <span data-testid="display-name">{me?.displayName ?? "—"}</span>
              {primary && (
                <button
                  ref={editButton}
                  type="button"
                  className={styles.secondary}
                  aria-label="Edit display name"
                  onClick={() => {
                    setSaved(false);
                    setEditing(true);
                  }}
                >
                  Edit
                </button>
              )}
            </dd>
          </>
        )}
        <dt>Handle</dt>
        <dd>{me?.handle ? `@${me.handle}` : "none yet"}</dd>
      </dl>
      {saved && !editing && (
        <p role="status" className={styles.ok}>
          Name saved. Your contacts see it now.
        </p>
      )}
      <p className={styles.hint}>
        {primary
          ? "Your contacts, and groups you write in, see this name with your messages."
          : "Your contacts see this name with your messages. Change it on your primary device (the one that created your account)."}
      </p>
    </section>
  );
}

/** Inline edit of the display name: Enter or Save saves, Escape or Cancel leaves it as it was. */
function DisplayNameForm({ current, onDone }: { readonly current: string; readonly onDone: (saved: boolean) => void }) {
  const actions = useActions();
  const id = useId();
  const [value, setValue] = useState(current);
  const [error, setError] = useState<string>();
  const [busy, setBusy] = useState(false);
  const save = async (event: FormEvent) => {
    event.preventDefault();
    if (busy) return;
    if (value.trim() === current) return onDone(false);
    setBusy(true);
    setError(undefined);
    try {
      await actions.setDisplayName(value);
      onDone(true);
    } catch (e) {
      setError(describeDisplayNameError(e));
      setBusy(false);
    }
  };
  return (
    <form className={styles.inlineForm} onSubmit={save} aria-label="Change display name" noValidate>
      <label htmlFor={`${id}-name`}>Display name</label>
      <input
        id={`${id}-name`}
        name="displayName"
        autoComplete="nickname"
        // biome-ignore lint/a11y/noAutofocus: the field was opened by the Edit button for typing
        autoFocus
        value={value}
        aria-invalid={error ? true : undefined}
        aria-describedby={`${id}-hint${error ? ` ${id}-error` : ""}`}
        onChange={(e) => setValue(e.target.value)}
        onKeyDown={(e) => {
          if (e.key !== "Escape") return;
          e.preventDefault();
          onDone(false);
        }}
      />
      <small id={`${id}-hint`} className={styles.hint}>
        Enter saves, Escape cancels.
      </small>
      {error && (
        <p id={`${id}-error`} role="alert" className={styles.error}>
          {error}
        </p>
      )}
      <div className={styles.actions}>
        <button type="submit" className={styles.button} disabled={busy}>
          {busy ? "Saving…" : "Save"}
        </button>
        <button type="button" className={styles.secondary} onClick={() => onDone(false)} disabled={busy}>
          Cancel
        </button>
      </div>
    </form>
  );
}

function ThemeSection() {
  const id = useId();
  const [theme, choose] = useState<Theme>(storedTheme);
  const options: readonly [Theme, string][] = [
    ["system", "Same as the system"],
    ["light", "Light"],
    ["dark", "Dark"],
  ];
  return (
    <section className={styles.section} aria-labelledby={`${id}-h`}>
      <h2 id={`${id}-h`}>Appearance</h2>
      <fieldset className={styles.choices}>
        <legend>Theme</legend>
        {options.map(([value, label]) => (
          <label key={value} className={styles.choice}>
            <input
              type="radio"
              name="theme"
              value={value}
              checked={theme === value}
              onChange={() => {
                choose(value);
                setTheme(value);
              }}
            />
            {label}
          </label>
        ))}
      </fieldset>
    </section>
  );
}

function PrivacySection({ api, client }: { readonly api: SettingsCapable | undefined; readonly client: ParleyClient | undefined }) {
  const [values, setValues] = useState<PrivacySettings | undefined>(() => api?.settings);
  const [error, setError] = useState<string>();
  const toggles: readonly [keyof PrivacySettings, string, string][] = [
    ["readReceipts", "Send read receipts", "Others see when you have read their messages. Off: you still see what you have read."],
    ["typingIndicators", "Show when I am typing", ""],
    ["presence", "Share when I am online", "Your contacts see whether you are online and when you were last seen."],
  ];
  const change = async (key: keyof PrivacySettings, value: boolean) => {
    if (!api || !values) return;
    const before = values;
    setValues({ ...values, [key]: value });
    setError(undefined);
    try {
      await api.updateSettings({ [key]: value });
    } catch (e) {
      setValues(before);
      setError(describeError(e));
    }
  };
  return (
    <section className={styles.section} aria-labelledby="settings-privacy">
      <h2 id="settings-privacy">Privacy</h2>
      {values ? (
        toggles.map(([key, label, hint]) => (
          <div key={key} className={styles.toggle}>
            <input
              id={`privacy-${key}`}
              type="checkbox"
              checked={values[key]}
              onChange={(e) => void change(key, e.target.checked)}
              {...(hint ? { "aria-describedby": `privacy-${key}-hint` } : {})}
            />
            <label htmlFor={`privacy-${key}`}>{label}</label>
            {hint && (
              <small id={`privacy-${key}-hint`} className={styles.hint}>
                {hint}
              </small>
            )}
          </div>
        ))
      ) : (
        <p className={styles.hint}>Read receipts, typing and online status are always shared in this version.</p>
      )}
      {values && (
        <p className={styles.hint}>
          When you turn one off, you still see others' (unlike some apps, nothing is hidden from you in return).
        </p>
      )}
      {error && (
        <p role="alert" className={styles.error}>
          {error}
        </p>
      )}
      <RelayCallsToggle client={client} />
    </section>
  );
}

type Permission = NotificationPermission | "unsupported";

const permissionListeners = new Set<() => void>();
function currentPermission(): Permission {
  return typeof Notification === "undefined" ? "unsupported" : Notification.permission;
}

function NotificationSection() {
  const permission = useSyncExternalStore(
    (l) => {
      permissionListeners.add(l);
      return () => permissionListeners.delete(l);
    },
    currentPermission,
    currentPermission,
  );
  useEffect(() => {
    // The permission can change in the browser's own UI: re-read it when the page gets focus.
    const refresh = () => {
      for (const l of permissionListeners) l();
    };
    window.addEventListener("focus", refresh);
    return () => window.removeEventListener("focus", refresh);
  }, []);
  const text: Record<Permission, string> = {
    granted: "On: Parley shows a notification for new messages while this tab is in the background.",
    denied: "Blocked in this browser. To get notifications, allow them for this site in the browser's settings.",
    default: "Off. Turn them on to hear about new messages while this tab is in the background.",
    unsupported: "This browser cannot show notifications.",
  };
  const ask = async () => {
    await Notification.requestPermission();
    for (const l of permissionListeners) l();
  };
  return (
    <section className={styles.section} aria-labelledby="settings-notifications">
      <h2 id="settings-notifications">Notifications</h2>
      <p data-testid="notification-permission">{text[permission]}</p>
      {permission === "default" && (
        <button type="button" className={styles.button} onClick={() => void ask()}>
          Turn on notifications
        </button>
      )}
      <CallSoundSetting />
    </section>
  );
}

type PushState = "checking" | "on" | "off";

/** The per-device Web Push switch: on subscribes this browser and tells the relay; off undoes both. */
function PushSection({ client }: { readonly client: ParleyClient | undefined }) {
  const [state, setState] = useState<PushState>("checking");
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string>();
  useEffect(() => {
    let live = true;
    currentSubscription()
      .then(async (subscription) => {
        if (!live) return;
        setState(subscription ? "on" : "off");
        // A subscription made with an older relay key no longer works: replace it.
        if (subscription && client) await refreshPushSubscription(client);
      })
      .catch((e) => {
        if (live) setError(describePushError(e));
      });
    return () => {
      live = false;
    };
  }, [client]);
  const change = async (on: boolean) => {
    if (!client || busy) return;
    setBusy(true);
    setError(undefined);
    try {
      if (on) await enablePush(client);
      else await disablePush(client);
    } catch (e) {
      setError(describePushError(e));
    }
    setState((await currentSubscription().catch(() => null)) ? "on" : "off");
    for (const l of permissionListeners) l();
    setBusy(false);
  };
  const supported = pushSupported();
  return (
    <section className={styles.section} aria-labelledby="settings-push">
      <h2 id="settings-push">Push notifications</h2>
      <div className={styles.toggle}>
        <input
          id="settings-push-toggle"
          type="checkbox"
          checked={state === "on"}
          disabled={!supported || !client || busy || state === "checking"}
          aria-describedby="settings-push-hint"
          onChange={(e) => void change(e.target.checked)}
        />
        <label htmlFor="settings-push-toggle">Push notifications on this device</label>
        <small id="settings-push-hint" className={styles.hint}>
          {supported
            ? "When this device is offline, the relay wakes it to say “New message”: never who wrote or what. Other devices keep their own setting."
            : "Push notifications are not available in this browser."}
        </small>
      </div>
      {busy && <p role="status">{state === "on" ? "Turning push off…" : "Turning push on…"}</p>}
      {!busy && !error && state === "on" && (
        <p role="status" className={styles.ok}>
          On for this device.
        </p>
      )}
      {error && (
        <p role="alert" className={styles.error} data-testid="push-error">
          {error}
        </p>
      )}
    </section>
  );
}

function saveFile(bytes: Uint8Array, name: string): void {
  const url = URL.createObjectURL(new Blob([bytes as BlobPart], { type: "application/octet-stream" }));
  const a = document.createElement("a");
  a.href = url;
  a.download = name;
  document.body.append(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 10_000);
}

function BackupSection({ api }: { readonly api: BackupCapable | undefined }) {
  const id = useId();
  const [pass, setPass] = useState("");
  const [again, setAgain] = useState("");
  const [exportMsg, setExportMsg] = useState<{ ok: boolean; text: string }>();
  const [file, setFile] = useState<File>();
  const [importPass, setImportPass] = useState("");
  const [importMsg, setImportMsg] = useState<{ ok: boolean; text: string }>();
  const [busy, setBusy] = useState(false);

  const doExport = async (event: FormEvent) => {
    event.preventDefault();
    if (!api) return;
    if (pass.length < 8) return setExportMsg({ ok: false, text: "Use at least 8 characters." });
    if (pass !== again) return setExportMsg({ ok: false, text: "The two passphrases are not the same." });
    setBusy(true);
    try {
      const bytes = await api.exportBackup(pass);
      saveFile(bytes, `parley-${new Date().toISOString().slice(0, 10)}.parley-backup`);
      setExportMsg({ ok: true, text: "Backup saved. Keep the file and its passphrase apart." });
      setPass("");
      setAgain("");
    } catch (e) {
      setExportMsg({ ok: false, text: describeError(e) });
    } finally {
      setBusy(false);
    }
  };
  const doImport = async (event: FormEvent) => {
    event.preventDefault();
    if (!api) return;
    if (!file) return setImportMsg({ ok: false, text: "Choose the backup file first." });
    setBusy(true);
    try {
      await api.importBackup(new Uint8Array(await file.arrayBuffer()), importPass);
      setImportMsg({ ok: true, text: "Backup imported." });
    } catch (e) {
      setImportMsg({ ok: false, text: describeError(e) });
    } finally {
      setBusy(false);
    }
  };

  return (
    <section className={styles.section} aria-labelledby={`${id}-h`}>
      <h2 id={`${id}-h`}>Backup</h2>
      <p className={styles.hint}>
        A backup file holds your contacts and message history, encrypted with a passphrase you choose. It never holds this device's keys.
      </p>
      {!api && <p className={styles.hint}>Backups are not available in this version of Parley yet.</p>}
      <form className={styles.form} onSubmit={doExport} aria-label="Export a backup" noValidate>
        <label htmlFor={`${id}-pass`}>Backup passphrase</label>
        <input
          id={`${id}-pass`}
          type="password"
          autoComplete="new-password"
          value={pass}
          onChange={(e) => setPass(e.target.value)}
          disabled={!api}
        />
        <label htmlFor={`${id}-again`}>Backup passphrase again</label>
        <input
          id={`${id}-again`}
          type="password"
          autoComplete="new-password"
          value={again}
          onChange={(e) => setAgain(e.target.value)}
          disabled={!api}
        />
        {exportMsg && (
          <p role={exportMsg.ok ? "status" : "alert"} className={exportMsg.ok ? styles.ok : styles.error}>
            {exportMsg.text}
          </p>
        )}
        <button type="submit" className={styles.button} disabled={!api || busy}>
          Export backup
        </button>
      </form>
      <form className={styles.form} onSubmit={doImport} aria-label="Import a backup" noValidate>
        <label htmlFor={`${id}-file`}>Backup file to import</label>
        <input id={`${id}-file`} type="file" onChange={(e) => setFile(e.target.files?.[0])} disabled={!api} />
        <label htmlFor={`${id}-ipass`}>Its passphrase</label>
        <input
          id={`${id}-ipass`}
          type="password"
          autoComplete="current-password"
          value={importPass}
          onChange={(e) => setImportPass(e.target.value)}
          disabled={!api}
        />
        {importMsg && (
          <p role={importMsg.ok ? "status" : "alert"} className={importMsg.ok ? styles.ok : styles.error}>
            {importMsg.text}
          </p>
        )}
        <button type="submit" className={styles.button} disabled={!api || busy}>
          Import backup
        </button>
      </form>
    </section>
  );
}

function AboutSection() {
  return (
    <section className={styles.section} aria-labelledby="settings-about">
      <h2 id="settings-about">About</h2>
      <dl className={styles.facts}>
        <dt>Version</dt>
        <dd>Parley web {__PARLEY_WEB_VERSION__}</dd>
        <dt>Relay</dt>
        <dd>{window.location.origin}</dd>
      </dl>
      <p className={styles.hint}>
        What the relay can see: your handle, your devices' public keys, when you are connected and how much you send. It cannot read your
        messages, files, names or contacts — those are end-to-end encrypted, and most senders are hidden from it too.
      </p>
    </section>
  );
}
