// spec/errors.md and spec/limits.md list exactly what the code defines, with the same values.
import { readFileSync } from "node:fs";
import { expect, test } from "vitest";
import { StoreErrorCode } from "../src/client/store/store-error.js";
import { MIN_PADDED_LENGTH } from "../src/content/padding.js";
import { ErrorCode } from "../src/errors.js";
import { MAX_DEVICES } from "../src/keys/device-list.js";
import * as limits from "../src/limits.js";

const spec = (name: string) => readFileSync(new URL(`../../../spec/${name}`, import.meta.url), "utf8");
const tableRows = (text: string) =>
  [...text.matchAll(/^\| `([A-Z_]+)` \| ([^|]+) \|/gm)].map((m) => [m[1] as string, (m[2] as string).trim()] as const);

test("spec/errors.md lists every error code (protocol, client and store) and no other", () => {
  const documented = tableRows(spec("errors.md")).map(([code]) => code);
  expect(documented.sort()).toEqual([...Object.values(ErrorCode), ...Object.values(StoreErrorCode)].sort());
});

test("spec/limits.md lists every limit with its value", () => {
  const documented = Object.fromEntries(tableRows(spec("limits.md")).map(([name, value]) => [name, Number(value)]));
  expect(documented).toEqual({ ...limits, MAX_DEVICES, MIN_PADDED_LENGTH });
});
