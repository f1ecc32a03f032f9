// Keeps spec/relay.md in sync with the code: its error-code and close-code tables list exactly
// the wire module's constants, its frame tables list every frame type, its send-result table
// every SendResult, and its limits table
// lists every limit with its default.
import { readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { CloseCode, FRAME_SCHEMA, RelayErrorCode, SendResult } from "@parley/protocol/wire";
import { describe, expect, it } from "vitest";
import { DEFAULT_LIMITS } from "../src/limits.js";

const spec = readFileSync(join(dirname(fileURLToPath(import.meta.url)), "..", "..", "..", "spec", "relay.md"), "utf8");

/** The first-column backticked values of the table under `heading`. */
function firstColumn(heading: string): string[] {
  const start = spec.indexOf(`\n${heading}\n`);
  if (start < 0) throw new Error(`spec has no "${heading}"`);
  const rest = spec.slice(start + heading.length + 2);
  const end = rest.search(/\n#{2,3} /);
  const section = end < 0 ? rest : rest.slice(0, end);
  return [...section.matchAll(/^\| `([^`]+)` \|/gm)].map((m) => m[1] as string);
}

describe("spec/relay.md", () => {
  it("lists exactly the relay error codes", () => {
    expect(firstColumn("### Error codes").sort()).toEqual(Object.values(RelayErrorCode).sort());
  });

  it("lists exactly the close codes", () => {
    expect(firstColumn("### Close codes").map(Number).sort()).toEqual(Object.values(CloseCode).sort());
  });

  it("lists every frame type", () => {
    const listed = [...firstColumn("### 2.1 Client → relay (requests)"), ...firstColumn("### 2.2 Relay → client")];
    expect(listed.filter((t) => t !== "t").sort()).toEqual(Object.keys(FRAME_SCHEMA).sort());
  });

  it("lists every per-message send result", () => {
    const results = firstColumn("### 7.1 Sending").filter((r) => r !== "result");
    for (const result of Object.values(SendResult)) expect(results).toContain(result);
  });

  it("lists every limit with its default", () => {
    const start = spec.indexOf("\n## 12. Limits\n");
    const rows = [...spec.slice(start).matchAll(/^\| `(\w+)` \| (\d+)/gm)].map((m) => [m[1], Number(m[2])]);
    expect(Object.fromEntries(rows)).toEqual({ ...DEFAULT_LIMITS });
  });
});
