// Flags protecting /metrics: a bearer token and a separate admin port.
import { describe, expect, it } from "vitest";
import { HELP, parseConfig } from "./config.js";

describe("metrics flags", () => {
  it("reads --metrics-token, --metrics-port and --metrics-host (or their env), default open on the main port", () => {
    expect(parseConfig([], {})).toMatchObject({ metricsToken: undefined, metricsPort: undefined, metricsHost: "127.0.0.1" });
    expect(parseConfig(["--metrics-token", "t", "--metrics-port", "9100", "--metrics-host", "10.0.0.2"], {})).toMatchObject({
      metricsToken: "t",
      metricsPort: 9100,
      metricsHost: "10.0.0.2",
    });
    expect(parseConfig([], { PARLEY_METRICS_TOKEN: "e", PARLEY_METRICS_PORT: "0" })).toMatchObject({ metricsToken: "e", metricsPort: 0 });
    expect(() => parseConfig(["--metrics-port", "x"], {})).toThrow(RangeError);
    for (const flag of ["--metrics-token", "--metrics-port", "--metrics-host"]) expect(HELP).toContain(flag);
  });
});
