/**
 * getUserMedia for calls: the call's first microphone (and camera) from the devices chosen in this
 * browser, and one new track of a kind. A chosen device that is gone is not an error: the
 * browser's default is used and the user is told (`notice`).
 */
import { constraintFor, type DeviceKind, isMissingDevice, savedDevice } from "./devices.js";

/**
 * The call's microphone (and camera): the devices chosen in this browser, or the defaults when
 * those are gone.
 *
 * @example
 * const stream = await acquireCallMedia(true, (text) => showNotice(text));
 */
export async function acquireCallMedia(video: boolean, notice: (text: string) => void): Promise<MediaStream> {
  const mic = savedDevice("audioinput");
  const cam = video ? savedDevice("videoinput") : undefined;
  try {
    return await navigator.mediaDevices.getUserMedia({ audio: constraintFor(mic), video: video ? constraintFor(cam) : false });
  } catch (e) {
    if ((!mic && !cam) || !isMissingDevice(e)) throw e;
    const stream = await navigator.mediaDevices.getUserMedia({ audio: true, video });
    notice("A camera or microphone you chose is not connected: using the default.");
    return stream;
  }
}

/**
 * A track from the device `deviceId` of `kind` (undefined: the browser's default); with
 * `fallback`, the default when that device is gone (and `notice` says so).
 *
 * @example
 * const camera = await openDeviceTrack("videoinput", savedDevice("videoinput"), true, showNotice);
 */
export async function openDeviceTrack(
  kind: DeviceKind,
  deviceId: string | undefined,
  fallback: boolean,
  notice: (text: string) => void,
): Promise<MediaStreamTrack> {
  const key = kind === "videoinput" ? "video" : "audio";
  let stream: MediaStream;
  try {
    stream = await navigator.mediaDevices.getUserMedia({ [key]: constraintFor(deviceId) });
  } catch (e) {
    if (!deviceId || !fallback || !isMissingDevice(e)) throw e;
    stream = await navigator.mediaDevices.getUserMedia({ [key]: true });
    notice(`The ${kind === "videoinput" ? "camera" : "microphone"} you chose is not connected: using the default one.`);
  }
  const track = kind === "videoinput" ? stream.getVideoTracks()[0] : stream.getAudioTracks()[0];
  if (!track) throw new Error(`the browser gave no ${key} track`);
  return track;
}
