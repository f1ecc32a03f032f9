import { describe, expect, test } from "vitest";
import { deviceOptions, MAX_DEVICE_ID_LENGTH, parseSavedDevices } from "./devices.js";

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
});
