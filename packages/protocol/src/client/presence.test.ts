import { describe, expect, test } from "vitest";
import { LAST_SEEN_RESOLUTION_MS, presenceUpdate } from "./presence.js";
import type { Contact } from "./records.js";
import { checkSettingsPatch } from "./settings.js";

const contact: Contact = {
  id: "@bob",
  userId: new Uint8Array(32),
  accountKey: new Uint8Array(32),
  deviceIds: [1],
  deviceListSequence: 1,
  verified: false,
  profileSent: true,
};

describe("presence and last seen", () => {
  test("the first presence and every change are written with lastSeen", () => {
    const online = presenceUpdate(contact, "online", 1_000);
    expect(online).toMatchObject({ presence: "online", lastSeen: 1_000 });
    expect(presenceUpdate(online as Contact, "away", 1_001)).toMatchObject({ presence: "away", lastSeen: 1_001 });
    expect(presenceUpdate(online as Contact, "offline", 1_002)).toMatchObject({ presence: "offline", lastSeen: 1_002 });
  });

  test("a repeat is written again only once lastSeen is LAST_SEEN_RESOLUTION_MS old (N-1 skipped, N written)", () => {
    const online = presenceUpdate(contact, "online", 1_000) as Contact;
    expect(presenceUpdate(online, "online", 1_000 + LAST_SEEN_RESOLUTION_MS - 1)).toBeUndefined();
    expect(presenceUpdate(online, "online", 1_000 + LAST_SEEN_RESOLUTION_MS)).toMatchObject({
      lastSeen: 1_000 + LAST_SEEN_RESOLUTION_MS,
    });
  });

  test("a contact stored before lastSeen existed gets one on its next presence, even a repeat", () => {
    expect(presenceUpdate({ ...contact, presence: "online" }, "online", 5)).toMatchObject({ lastSeen: 5 });
  });
});

describe("settings patches", () => {
  test("known boolean fields only", () => {
    expect(checkSettingsPatch({ presence: false })).toEqual({ presence: false });
    expect(checkSettingsPatch({ presence: undefined })).toEqual({});
    expect(() => checkSettingsPatch({ presence: 0 })).toThrow(TypeError);
    expect(() => checkSettingsPatch({ lastSeen: true })).toThrow(TypeError);
    expect(() => checkSettingsPatch(null)).toThrow(TypeError);
    expect(() => checkSettingsPatch([true])).toThrow(TypeError);
  });
});
