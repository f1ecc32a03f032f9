/**
 * Cameras and microphones for calls: the list the browser offers (enumerateDevices: labels are
 * there once the page may use the camera or microphone), the choice this browser remembers
 * (localStorage, used for the next call), and the getUserMedia constraints for a choice. A saved
 * device that is gone is not an error: the call falls back to the browser's default. Each list
 * opens with a "Default" entry: no saved choice, the browser's (system) default device.
 */

/** The two kinds of input a call uses. */
export type DeviceKind = "videoinput" | "audioinput";

/** One camera or microphone as the device menu shows it. */
export interface DeviceOption {
  readonly deviceId: string;
  /** The browser's label, or "Camera 2" while labels are hidden (no permission yet). */
  readonly label: string;
}

/** The cameras and microphones this browser offers, each list led by the "Default" entry (empty without devices). */
export interface DeviceLists {
  readonly cameras: readonly DeviceOption[];
  readonly microphones: readonly DeviceOption[];
}

/** Where the choice is kept (per browser profile, not per account: it is about this machine's hardware). */
export const DEVICE_STORAGE_KEY = "parley.calls.devices";

type Saved = Partial<Record<DeviceKind, string>>;

/** The value of the "Default" entry in a device list: no saved choice, the browser's default device. */
export const DEFAULT_DEVICE = "";

/**
 * The id under which Chromium lists its default microphone itself ("Default - <name>"). The list's
 * own "Default" entry stands for it, so it is not shown twice.
 */
export const BROWSER_DEFAULT_ID = "default";

/** Longest device id kept (browsers use 64 hex digits; anything far longer is not one). */
export const MAX_DEVICE_ID_LENGTH = 512;

/** The saved choice from its stored text: only string ids of sane length survive; anything else is no choice. */
export function parseSavedDevices(raw: string | null): Partial<Record<DeviceKind, string>> {
  let value: unknown;
  try {
    value = raw ? JSON.parse(raw) : {};
  } catch {
    return {};
  }
  if (typeof value !== "object" || value === null || Array.isArray(value)) return {};
  const out: Saved = {};
  for (const kind of ["videoinput", "audioinput"] as const) {
    const id = (value as Record<string, unknown>)[kind];
    if (typeof id === "string" && id.length > 0 && id.length <= MAX_DEVICE_ID_LENGTH) out[kind] = id;
  }
  return out;
}

function readSaved(): Saved {
  try {
    return parseSavedDevices(localStorage.getItem(DEVICE_STORAGE_KEY));
  } catch {
    // Storage blocked: no saved choice.
    return {};
  }
}

/** The device ids this browser chose, by kind (none: the default). */
export function savedDevices(): Partial<Record<DeviceKind, string>> {
  return readSaved();
}

/** The device id this browser chose for `kind`, if any. */
export function savedDevice(kind: DeviceKind): string | undefined {
  return readSaved()[kind];
}

/** Remembers `deviceId` for `kind` for the next calls (undefined forgets it: the default again). */
export function saveDevice(kind: DeviceKind, deviceId: string | undefined): void {
  const saved = readSaved();
  if (deviceId) saved[kind] = deviceId;
  else delete saved[kind];
  try {
    localStorage.setItem(DEVICE_STORAGE_KEY, JSON.stringify(saved));
  } catch {
    // Storage full or blocked: the choice holds for this call only.
  }
}

/** getUserMedia constraints for one kind: the device `deviceId` exactly, or the default. */
export function constraintFor(deviceId: string | undefined): MediaTrackConstraints | true {
  return deviceId ? { deviceId: { exact: deviceId } } : true;
}

/** The cameras and microphones the browser lists now (no duplicates, readable names). */
export async function listDevices(): Promise<DeviceLists> {
  const all = (await navigator.mediaDevices?.enumerateDevices?.()) ?? [];
  return { cameras: deviceChoices(all, "videoinput"), microphones: deviceChoices(all, "audioinput") };
}

/**
 * The device list as the menu shows it: the "Default" entry first, then the devices of `kind`
 * without the browser's own default entry (its device is named in ours: "Default (Built-in
 * Microphone)"). Empty when the browser lists no device of `kind`.
 *
 * @example
 * deviceChoices([{ kind: "audioinput", deviceId: "default", label: "Default - Mic" }, …], "audioinput");
 * // [{ deviceId: "", label: "Default (Mic)" }, …]
 */
export function deviceChoices(all: readonly Pick<MediaDeviceInfo, "kind" | "deviceId" | "label">[], kind: DeviceKind): DeviceOption[] {
  const isBrowserDefault = (d: Pick<MediaDeviceInfo, "kind" | "deviceId">) => d.kind === kind && d.deviceId === BROWSER_DEFAULT_ID;
  const browserDefault = all.find(isBrowserDefault);
  const options = deviceOptions(
    all.filter((d) => !isBrowserDefault(d)),
    kind,
  );
  if (options.length === 0 && !browserDefault) return [];
  const named = browserDefault && /^Default\s+[-\u2013\u2014]\s+(.+)$/.exec(browserDefault.label)?.[1]?.trim();
  return [{ deviceId: DEFAULT_DEVICE, label: named ? `Default (${named})` : "Default" }, ...options];
}

/**
 * The entry a device list shows as selected: "Default" without a saved choice or when the saved
 * device is not listed (gone: the default is in use); else the device in use (`inUse`, when
 * listed) or the saved one (nothing of that kind in use yet, as the camera in a voice call).
 */
export function selectedDevice(choices: readonly DeviceOption[], saved: string | undefined, inUse: string | undefined): string {
  const listed = (id: string | undefined): id is string =>
    id !== undefined && id !== DEFAULT_DEVICE && choices.some((o) => o.deviceId === id);
  if (!listed(saved)) return DEFAULT_DEVICE;
  return listed(inUse) ? inUse : saved;
}

/** The choosable devices of `kind` in a device list: no empty ids (no permission yet), no duplicates, a name for each. */
export function deviceOptions(all: readonly Pick<MediaDeviceInfo, "kind" | "deviceId" | "label">[], kind: DeviceKind): DeviceOption[] {
  const noun = kind === "videoinput" ? "Camera" : "Microphone";
  const seen = new Set<string>();
  const out: DeviceOption[] = [];
  for (const device of all) {
    // Without permission the browser lists one entry per kind with an empty id: nothing to choose.
    if (device.kind !== kind || device.deviceId === "" || seen.has(device.deviceId)) continue;
    seen.add(device.deviceId);
    out.push({ deviceId: device.deviceId, label: device.label || `${noun} ${out.length + 1}` });
  }
  return out;
}

/** True when `error` says the requested device is not there (unplugged, or an id from another day). */
export function isMissingDevice(error: unknown): boolean {
  // OverconstrainedError is not an Error subclass in every browser: read its name only.
  const name = typeof error === "object" && error !== null ? (error as { name?: unknown }).name : undefined;
  return name === "OverconstrainedError" || name === "NotFoundError";
}
