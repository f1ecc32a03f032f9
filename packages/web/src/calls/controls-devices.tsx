/**
 * The in-call device menu: a "Devices" button that opens a small panel with two labelled lists,
 * Camera and Microphone (the browser's devices; a choice applies at once and is remembered for
 * the next calls in this browser). Each list starts with "Default": it forgets the choice and
 * follows the browser's default device, and is selected while nothing is chosen. Escape or the
 * button closes it and focus goes back to the button.
 */
import { useId, useRef, useState } from "react";
import styles from "./Calls.module.css";
import { useCalls, useCallsController } from "./context.js";
import { DEFAULT_DEVICE, type DeviceKind, type DeviceOption, selectedDevice } from "./devices.js";

export function DeviceMenu() {
  const controller = useCallsController();
  const devices = useCalls((s) => s?.devices);
  const cameraId = useCalls((s) => s?.cameraId);
  const microphoneId = useCalls((s) => s?.microphoneId);
  const hasCamera = useCalls((s) => s?.hasCamera ?? false);
  const savedCamera = useCalls((s) => s?.savedDevices.videoinput);
  const savedMicrophone = useCalls((s) => s?.savedDevices.audioinput);
  const [open, setOpen] = useState(false);
  const button = useRef<HTMLButtonElement>(null);
  const panelId = useId();
  const close = () => {
    setOpen(false);
    button.current?.focus();
  };
  return (
    <div className={styles.deviceMenu}>
      <button
        type="button"
        ref={button}
        className={styles.control}
        aria-expanded={open}
        aria-controls={open ? panelId : undefined}
        onClick={() => {
          if (!open) void controller?.refreshDevices();
          setOpen(!open);
        }}
      >
        Devices
      </button>
      {open && (
        <fieldset
          id={panelId}
          className={styles.devicePanel}
          onBlur={(e) => {
            // Focus moving elsewhere in the call (not to the Devices button) closes the menu.
            const to = e.relatedTarget;
            if (!(to instanceof Node && e.currentTarget.parentElement?.contains(to))) setOpen(false);
          }}
          onKeyDown={(e) => {
            if (e.key === "Escape") {
              e.preventDefault();
              e.stopPropagation();
              close();
            }
          }}
        >
          <legend className={styles.deviceLegend}>Camera and microphone</legend>
          <DeviceSelect
            label="Camera"
            kind="videoinput"
            options={devices?.cameras ?? []}
            saved={savedCamera}
            // Without a camera on (a voice call) the list shows the choice that will be used.
            inUse={hasCamera ? cameraId : undefined}
            empty="Cameras are listed once a camera has been used here."
            onPick={(id) => controller?.setDevice("videoinput", id)}
          />
          <DeviceSelect
            label="Microphone"
            kind="audioinput"
            options={devices?.microphones ?? []}
            saved={savedMicrophone}
            inUse={microphoneId}
            empty="No microphone found."
            onPick={(id) => controller?.setDevice("audioinput", id)}
          />
        </fieldset>
      )}
    </div>
  );
}

function DeviceSelect({
  label,
  kind,
  options,
  saved,
  inUse,
  empty,
  onPick,
}: {
  readonly label: string;
  readonly kind: DeviceKind;
  /** The "Default" entry first, then the devices. */
  readonly options: readonly DeviceOption[];
  /** The device chosen in this browser (none: the default). */
  readonly saved: string | undefined;
  /** The device in use now, if any. */
  readonly inUse: string | undefined;
  readonly empty: string;
  /** A device id, or undefined for "Default". */
  readonly onPick: (deviceId: string | undefined) => void;
}) {
  const id = useId();
  if (options.length === 0) {
    return (
      <p className={styles.deviceEmpty} data-kind={kind}>
        {label}: {empty}
      </p>
    );
  }
  const value = selectedDevice(options, saved, inUse);
  return (
    <div className={styles.deviceField}>
      <label htmlFor={id}>{label}</label>
      <select
        id={id}
        className={styles.deviceSelect}
        value={value}
        onChange={(e) => onPick(e.target.value === DEFAULT_DEVICE ? undefined : e.target.value)}
      >
        {options.map((o) => (
          <option key={o.deviceId} value={o.deviceId}>
            {o.label}
          </option>
        ))}
      </select>
    </div>
  );
}
