/**
 * The folder's index is the browser entry: nothing it reaches may import a Node built-in, and
 * the Node-only FileStore must not be among its exports.
 */
import { readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { expect, it } from "vitest";
import * as entry from "./index.js";

const here = dirname(fileURLToPath(import.meta.url));

/** Every module specifier reachable from `file` through relative imports (type-only imports included: harmless but rare). */
function reachableImports(file: string, seen = new Set<string>()): Set<string> {
  if (seen.has(file)) return new Set();
  seen.add(file);
  const found = new Set<string>();
  for (const [, specifier] of readFileSync(file, "utf8").matchAll(/^(?:import|export)[^;]*?from\s+"([^"]+)"/gms)) {
    const spec = specifier as string;
    found.add(spec);
    if (spec.startsWith("."))
      for (const inner of reachableImports(join(dirname(file), spec.replace(/\.js$/, ".ts")), seen)) found.add(inner);
  }
  return found;
}

it("reaches no node: module and no file-store code", () => {
  const imports = [...reachableImports(join(here, "index.ts"))];
  expect(imports.filter((spec) => spec.startsWith("node:") || spec.includes("file-"))).toEqual([]);
  expect(imports).toContain("./indexeddb-store.js"); // the walk does see the entry's own imports
});

it("exports the browser stores and the error type, not FileStore", () => {
  expect(Object.keys(entry).sort()).toEqual([
    "IndexedDbStore",
    "MemoryStore",
    "StoreError",
    "StoreErrorCode",
    "claimStore",
    "put",
    "remove",
  ]);
});
