// ICE and push flags: repeatable STUN/TURN URLs (flags win over the comma-separated env), TURN
// only with a secret, URL schemes checked, the credential lifetime as a duration, and the
// loopback push switch.
import { describe, expect, it } from "vitest";
import { parseConfig } from "./config.js";
import { DEFAULT_TURN_TTL_MS, MIN_TURN_TTL_MS } from "./push/ice-servers.js";

describe("ICE and push flags", () => {
  it("defaults to no servers and no loopback push", () => {
    const config = parseConfig([], {});
    expect(config.ice).toEqual({ stunUrls: [], turnUrls: [], turnSecret: undefined, turnTtlMs: DEFAULT_TURN_TTL_MS });
    expect(config.allowLoopbackPush).toBe(false);
  });

  it("takes repeated --stun-url and --turn-url with a secret and a lifetime", () => {
    const config = parseConfig(
      [
        "--stun-url",
        "stun:a.example:3478",
        "--stun-url=stun:b.example",
        "--turn-url",
        "turns:t.example:5349",
        "--turn-secret",
        "s3",
        "--turn-ttl",
        "90m",
      ],
      { PARLEY_STUN_URLS: "stun:ignored.example" },
    );
    expect(config.ice).toEqual({
      stunUrls: ["stun:a.example:3478", "stun:b.example"],
      turnUrls: ["turns:t.example:5349"],
      turnSecret: "s3",
      turnTtlMs: 90 * 60_000,
    });
  });

  it("reads the environment when no flag is given", () => {
    const config = parseConfig(["--allow-loopback-push"], {
      PARLEY_STUN_URLS: "stun:a.example, stun:b.example",
      PARLEY_TURN_URLS: "turn:t.example",
      PARLEY_TURN_SECRET: "env-secret",
      PARLEY_TURN_TTL: "1h",
    });
    expect(config.ice).toEqual({
      stunUrls: ["stun:a.example", "stun:b.example"],
      turnUrls: ["turn:t.example"],
      turnSecret: "env-secret",
      turnTtlMs: 3_600_000,
    });
    expect(config.allowLoopbackPush).toBe(true);
    expect(parseConfig([], { PARLEY_ALLOW_LOOPBACK_PUSH: "1" }).allowLoopbackPush).toBe(true);
  });

  it("takes a mailto: or https: push subject and refuses anything else", () => {
    expect(parseConfig([], {}).pushSubject).toBeUndefined();
    expect(parseConfig(["--push-subject", "mailto:ops@relay.example"], {}).pushSubject).toBe("mailto:ops@relay.example");
    expect(parseConfig([], { PARLEY_PUSH_SUBJECT: "https://relay.example/contact" }).pushSubject).toBe("https://relay.example/contact");
    for (const bad of ["ops@relay.example", "http://relay.example", "mailto:", "https://"])
      expect(() => parseConfig(["--push-subject", bad], {}), bad).toThrow(RangeError);
  });

  it("refuses TURN without a secret, wrong schemes and a bad lifetime", () => {
    expect(() => parseConfig(["--turn-url", "turn:t.example"], {})).toThrow(/--turn-secret/);
    expect(() => parseConfig(["--stun-url", "https://a.example"], {})).toThrow(RangeError);
    expect(() => parseConfig(["--turn-url", "stun:a.example", "--turn-secret", "s"], {})).toThrow(RangeError);
    expect(() => parseConfig(["--turn-ttl", "soon"], {})).toThrow(RangeError);
    // The shortest lifetime: 10 s works, a millisecond less is refused (expiries are whole seconds).
    expect(parseConfig(["--turn-ttl", "10s"], {}).ice.turnTtlMs).toBe(MIN_TURN_TTL_MS);
    expect(() => parseConfig(["--turn-ttl", String(MIN_TURN_TTL_MS - 1)], {})).toThrow(/shorter than the minimum of 10s/);
    expect(() => parseConfig([], { PARLEY_TURN_TTL: "500ms" })).toThrow(/--turn-ttl/);
    expect(() => parseConfig(["--stun-url"], {})).toThrow(/needs a value/);
  });
});
