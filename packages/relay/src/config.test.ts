// Flag and env parsing of parley-relay.
import { describe, expect, it } from "vitest";
import { DEFAULT_PORT, HELP, parseConfig } from "./config.js";
import { DEFAULT_LIMITS } from "./limits.js";

describe("parseConfig", () => {
  it("has defaults: port 8787 (not explicit), loopback, ./.parley-data, default limits", () => {
    const c = parseConfig([], {});
    expect(c).toMatchObject({ port: DEFAULT_PORT, portExplicit: false, host: "127.0.0.1", dataDir: ".parley-data", help: false });
    expect(c.limits).toEqual(DEFAULT_LIMITS);
  });

  it("takes flags over env, and --limit over PARLEY_LIMITS", () => {
    const c = parseConfig(["--port", "9000", "--host=0.0.0.0", "--data", "/d", "--limit", "maxQueueDepth=7", "--trust-proxy"], {
      PORT: "1",
      PARLEY_DATA_DIR: "/e",
      PARLEY_LIMITS: '{"maxQueueDepth": 5, "maxInvalidFrames": 3}',
    });
    expect(c).toMatchObject({ port: 9000, portExplicit: true, host: "0.0.0.0", dataDir: "/d", trustProxy: true });
    expect(c.limits).toMatchObject({ maxQueueDepth: 7, maxInvalidFrames: 3 });
    expect(parseConfig([], { PARLEY_PORT: "1234" }).port).toBe(1234);
  });

  it("serves the bundled web client unless --no-web (or PARLEY_NO_WEB=1); --static picks another build", () => {
    expect(parseConfig([], {})).toMatchObject({ noWeb: false, staticDir: undefined });
    expect(parseConfig(["--no-web"], {}).noWeb).toBe(true);
    expect(parseConfig([], { PARLEY_NO_WEB: "1" }).noWeb).toBe(true);
    expect(parseConfig(["--static", "/srv/web"], {}).staticDir).toBe("/srv/web");
    expect(HELP).toContain("--no-web");
  });

  it("rejects unknown options and limits, bad ports, and TLS halves", () => {
    expect(() => parseConfig(["--nope", "1"], {})).toThrow(RangeError);
    expect(() => parseConfig(["--limit", "nope=1"], {})).toThrow(/unknown limit/);
    expect(() => parseConfig(["--limit", "maxQueueDepth=0"], {})).toThrow(/positive integer/);
    expect(() => parseConfig(["--port", "70000"], {})).toThrow(RangeError);
    expect(() => parseConfig(["--tls-cert", "c.pem"], {})).toThrow(/go together/);
  });

  it("refuses a --public-url no client could match as a relay id (spec/relay.md §3.1)", () => {
    expect(parseConfig(["--public-url", "wss://Relay.Example/"], {}).publicUrl).toBe("wss://Relay.Example/");
    expect(() => parseConfig(["--public-url", "relay.example"], {})).toThrow(RangeError);
    expect(() => parseConfig([], { PARLEY_PUBLIC_URL: "ftp://relay.example" })).toThrow(RangeError);
  });

  it("documents every flag and limit in --help", () => {
    expect(parseConfig(["--help"], {}).help).toBe(true);
    for (const flag of ["--port", "--host", "--data", "--public-url", "--tls-cert", "--tls-key", "--limit"]) expect(HELP).toContain(flag);
    for (const limit of Object.keys(DEFAULT_LIMITS)) expect(HELP).toContain(limit);
  });
});
