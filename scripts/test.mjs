#!/usr/bin/env node
// `npm test`: typecheck everything (sources and tests), lint, run every vitest project, and
// print the plain closing line "N passed, N failed, N skipped" that CI reads.
import { spawnSync } from "node:child_process";
import { existsSync, readFileSync, rmSync } from "node:fs";

const results = ".vitest-results.json";
const run = (cmd, args) => spawnSync(cmd, args, { stdio: "inherit", shell: false });
const fail = (what) => {
  console.error(`\n${what} failed`);
  console.log("0 passed, 1 failed, 0 skipped");
  process.exit(1);
};

if (run("node", ["scripts/typecheck.mjs"]).status !== 0) fail("typecheck");
if (run("npx", ["biome", "check", "."]).status !== 0) fail("lint (biome check; `npx biome check --write .` fixes formatting)");

rmSync(results, { force: true });
const extra = process.argv.slice(2);
run("npx", ["vitest", "run", "--reporter=default", "--reporter=json", `--outputFile.json=${results}`, ...extra]);
if (!existsSync(results)) fail("vitest (no results file)");
const r = JSON.parse(readFileSync(results, "utf8"));
const skipped = (r.numPendingTests ?? 0) + (r.numTodoTests ?? 0);
// A file that failed outside any test (an import, a beforeAll) counts once, even if its tests show as skipped.
const failedSuites = (r.testResults ?? []).filter(
  (s) => s.status === "failed" && !(s.assertionResults ?? []).some((a) => a.status === "failed"),
).length;
console.log(`${r.numPassedTests} passed, ${r.numFailedTests + failedSuites} failed, ${skipped} skipped`);
process.exit(r.success && failedSuites === 0 ? 0 : 1);
