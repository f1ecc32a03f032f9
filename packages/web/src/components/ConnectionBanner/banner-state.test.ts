import { describe, expect, it } from "vitest";
import { bannerState, bannerText } from "./ConnectionBanner.js";

describe("connection banner", () => {
  it("says nothing while the relay connection is open, even when the browser claims to be offline", () => {
    expect(bannerState(true, false, true, false)).toBe("hidden");
    expect(bannerState(true, true, true, false)).toBe("hidden");
  });

  it("says offline only when the connection is down and the browser has no network", () => {
    expect(bannerState(false, false, false, false)).toBe("offline");
    expect(bannerState(false, false, true, false)).toBe("offline");
    expect(bannerText("offline")).toMatch(/offline/);
  });

  it("says reconnecting after the connection was up once, not on the first connect", () => {
    expect(bannerState(false, true, true, false)).toBe("reconnecting");
    expect(bannerState(false, true, false, false)).toBe("hidden");
  });

  it("says connected again for a while after coming back", () => {
    expect(bannerState(true, true, true, true)).toBe("reconnected");
    expect(bannerState(true, false, true, true)).toBe("reconnected");
  });
});
