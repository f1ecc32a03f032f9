// The call-sounds preference. Node has no localStorage, like a browser whose storage is refused
// (private mode): the choice still holds for the page's life and reaches the listeners.
import { expect, test } from "vitest";
import { callSoundsEnabled, onCallSoundsChange, setCallSoundsEnabled } from "./ringer-settings.js";

test("call sounds are on by default; turning them off and on reaches every listener until it unsubscribes", () => {
  expect(callSoundsEnabled()).toBe(true);
  const seen: boolean[] = [];
  const off = onCallSoundsChange((enabled) => seen.push(enabled));
  setCallSoundsEnabled(false);
  expect(callSoundsEnabled()).toBe(false);
  setCallSoundsEnabled(true);
  expect(callSoundsEnabled()).toBe(true);
  off();
  setCallSoundsEnabled(false);
  expect(seen).toEqual([false, true]);
  setCallSoundsEnabled(true);
});
