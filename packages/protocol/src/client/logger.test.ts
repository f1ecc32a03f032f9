// The logger hook: levels filter before anything is built, fields stay flat primitives (bytes
// smuggled in through a cast are dropped), and a throwing logger never breaks the client.
import { describe, expect, it } from "vitest";
import { ParleyError } from "../errors.js";
import { type ClientLogger, errorFields, Log, type LogFields } from "./logger.js";

function capture(level?: ClientLogger["level"]) {
  const lines: Array<[string, string, LogFields | undefined]> = [];
  const logger: ClientLogger = {
    ...(level ? { level } : {}),
    debug: (m, f) => lines.push(["debug", m, f]),
    info: (m, f) => lines.push(["info", m, f]),
    warn: (m, f) => lines.push(["warn", m, f]),
    error: (m, f) => lines.push(["error", m, f]),
  };
  return { lines, log: new Log(logger) };
}

describe("client log", () => {
  it("drops lines below the level (default info)", () => {
    const { lines, log } = capture();
    log.debug("d");
    log.info("i");
    log.warn("w");
    expect(lines.map(([level]) => level)).toEqual(["info", "warn"]);
    const quiet = capture("silent");
    quiet.log.error("e");
    expect(quiet.lines).toEqual([]);
  });

  it("keeps primitive fields only: a key passed through a cast never reaches the logger", () => {
    const { lines, log } = capture("debug");
    const secret = new Uint8Array(32).fill(7);
    log.info("x", { count: 3, ok: true, relayId: "https://r.example", key: secret as unknown as string, nested: {} as unknown as string });
    expect(lines[0]?.[2]).toEqual({ count: 3, ok: true, relayId: "https://r.example" });
    expect(JSON.stringify(lines)).not.toContain("7,7,7");
  });

  it("cuts long strings and reports errors by code and message only", () => {
    const { lines, log } = capture("debug");
    log.warn("x", { error: "e".repeat(1000) });
    expect(String(lines[0]?.[2]?.error).length).toBeLessThanOrEqual(201);
    const error = new ParleyError("ERR_TIMEOUT", "slow", { cause: new Uint8Array([1, 2, 3]) });
    expect(errorFields(error)).toEqual({ code: "ERR_TIMEOUT", error: "slow" });
  });

  it("survives a logger that throws", () => {
    const log = new Log({
      debug: () => {},
      info: () => {
        throw new Error("disk full");
      },
      warn: () => {},
      error: () => {},
    });
    expect(() => log.info("x")).not.toThrow();
  });
});
