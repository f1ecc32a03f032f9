import { describe, expect, test } from "vitest";
import { DEFAULT_DEVICE, deviceChoices, deviceOptions, MAX_DEVICE_ID_LENGTH, parseSavedDevices, selectedDevice } from "./devices.js";

describe("call devices", () => {
  test("options: one per device id of the kind, none without an id, a name when the browser hides labels", () => {
    const list = [
      { kind: "audioinput", deviceId: "default", label: "Default" },
      { kind: "videoinput", deviceId: "cam-a", label: "Front camera" },
      { kind: "videoinput", deviceId: "cam-a", label: "Front camera" },
      { kind: "videoinput", deviceId: "", label: "" },
      { kind: "videoinput", deviceId: "cam-b", label: "" },
      { kind: "audiooutput", deviceId: "speaker", label: "Speaker" },
    ] as const;
    expect(deviceOptions(list, "videoinput")).toEqual([
      { deviceId: "cam-a", label: "Front camera" },
      { deviceId: "cam-b", label: "Camera 2" },
    ]);
    expect(deviceOptions(list, "audioinput")).toEqual([{ deviceId: "default", label: "Default" }]);
    expect(deviceOptions([], "audioinput")).toEqual([]);
  });

  test("the saved choice: string ids up to the limit survive, anything else is no choice", () => {
    expect(parseSavedDevices(null)).toEqual({});
    expect(parseSavedDevices("not json")).toEqual({});
    expect(parseSavedDevices("[1]")).toEqual({});
    expect(parseSavedDevices("null")).toEqual({});
    expect(parseSavedDevices(JSON.stringify({ videoinput: "cam", audioinput: 7, other: "x" }))).toEqual({ videoinput: "cam" });
    expect(parseSavedDevices(JSON.stringify({ audioinput: "" }))).toEqual({});
    const atLimit = "a".repeat(MAX_DEVICE_ID_LENGTH);
    expect(parseSavedDevices(JSON.stringify({ audioinput: atLimit }))).toEqual({ audioinput: atLimit });
    expect(parseSavedDevices(JSON.stringify({ audioinput: `${atLimit}a` }))).toEqual({});
  });

  test("choices: a Default entry first; the browser's own default microphone is not listed twice but named in it", () => {
    const chromium = [
      { kind: "audioinput", deviceId: "default", label: "Default - Built-in Microphone" },
      { kind: "audioinput", deviceId: "mic-a", label: "Built-in Microphone" },
      { kind: "audioinput", deviceId: "mic-b", label: "USB Headset" },
      { kind: "videoinput", deviceId: "cam-a", label: "Front camera" },
    ] as const;
    expect(deviceChoices(chromium, "audioinput")).toEqual([
      { deviceId: DEFAULT_DEVICE, label: "Default (Built-in Microphone)" },
      { deviceId: "mic-a", label: "Built-in Microphone" },
      { deviceId: "mic-b", label: "USB Headset" },
    ]);
    expect(deviceChoices(chromium, "videoinput")).toEqual([
      { deviceId: DEFAULT_DEVICE, label: "Default" },
      { deviceId: "cam-a", label: "Front camera" },
    ]);
    // A browser default that names no device (Linux, fake devices): plain "Default"; unnamed devices are numbered without it.
    const unnamed = [
      { kind: "audioinput", deviceId: "default", label: "Fake Default Audio Input" },
      { kind: "audioinput", deviceId: "mic-a", label: "" },
    ] as const;
    expect(deviceChoices(unnamed, "audioinput")).toEqual([
      { deviceId: DEFAULT_DEVICE, label: "Default" },
      { deviceId: "mic-a", label: "Microphone 1" },
    ]);
    expect(deviceChoices([{ kind: "audioinput", deviceId: "default", label: "Default" }], "audioinput")).toEqual([
      { deviceId: DEFAULT_DEVICE, label: "Default" },
    ]);
    // Nothing of the kind (or no permission yet: empty ids): no list at all, not a lone "Default".
    expect(deviceChoices([{ kind: "videoinput", deviceId: "", label: "" }], "videoinput")).toEqual([]);
    expect(deviceChoices(chromium.slice(0, 3), "videoinput")).toEqual([]);
  });

  test("selected entry: Default without a saved choice or when the saved device is gone; else the device in use, or the saved one", () => {
    const choices = [
      { deviceId: DEFAULT_DEVICE, label: "Default" },
      { deviceId: "cam-a", label: "A" },
      { deviceId: "cam-b", label: "B" },
    ];
    expect(selectedDevice(choices, undefined, "cam-a")).toBe(DEFAULT_DEVICE);
    expect(selectedDevice(choices, undefined, undefined)).toBe(DEFAULT_DEVICE);
    expect(selectedDevice(choices, "gone", "cam-a")).toBe(DEFAULT_DEVICE);
    expect(selectedDevice(choices, "default", "default")).toBe(DEFAULT_DEVICE);
    expect(selectedDevice(choices, "cam-b", "cam-b")).toBe("cam-b");
    // Unplugged mid-call: the default took over, the choice stays saved.
    expect(selectedDevice(choices, "cam-b", "cam-a")).toBe("cam-a");
    // A voice call (no camera yet) or a track of the browser's own default: the saved choice.
    expect(selectedDevice(choices, "cam-b", undefined)).toBe("cam-b");
    expect(selectedDevice(choices, "cam-b", "default")).toBe("cam-b");
  });
});
