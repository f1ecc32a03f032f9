#!/usr/bin/env node
// `npm test`: typecheck everything (sources and tests), lint, run every vitest project, run the
// web client's call tests in a loopback-only network namespace, and print the plain closing line
// "N passed, N failed, N skipped" that CI reads.
import { spawnSync } from "node:child_process";
import { existsSync, readFileSync, rmSync } from "node:fs";
import { join } from "node:path";

const results = join(process.cwd(), ".vitest-results.json");
const callResults = join(process.cwd(), ".vitest-results-calls.json");
const callsConfig = "tests/e2e/web/vitest.calls.config.ts";
const inCi = process.env.CI !== undefined && process.env.CI !== "" && process.env.CI !== "false" && process.env.CI !== "0";
const run = (cmd, args, env = process.env) => spawnSync(cmd, args, { stdio: "inherit", shell: false, env });
const fail = (what) => {
  console.error(`\n${what} failed`);
  console.log("0 passed, 1 failed, 0 skipped");
  process.exit(1);
};

if (run("node", ["scripts/typecheck.mjs"]).status !== 0) fail("typecheck");
if (run("npx", ["biome", "check", "."]).status !== 0) fail("lint (biome check; `npx biome check --write .` fixes formatting)");

const vitest = ["node_modules/vitest/vitest.mjs", "run", "--reporter=default", "--reporter=json"];
rmSync(results, { force: true });
rmSync(callResults, { force: true });
const extra = process.argv.slice(2);
run("node", [...vitest, `--outputFile.json=${results}`, ...extra]);

/** Counts of one vitest JSON report; a file that failed outside any test (an import, a beforeAll) counts once. */
function counts(file) {
  if (!existsSync(file)) return undefined;
  const r = JSON.parse(readFileSync(file, "utf8"));
  const failedSuites = (r.testResults ?? []).filter(
    (s) => s.status === "failed" && !(s.assertionResults ?? []).some((a) => a.status === "failed"),
  ).length;
  return {
    passed: r.numPassedTests,
    failed: r.numFailedTests + failedSuites,
    skipped: (r.numPendingTests ?? 0) + (r.numTodoTests ?? 0),
    ok: r.success && failedSuites === 0,
  };
}

/**
 * The call tests: alone, in a fresh network namespace with only `lo` up (root: `unshare --net`),
 * reusing the web build the main run just made. Arguments given to `npm test` target the main
 * run only, so they skip this stage.
 */
function runCalls() {
  const env = { ...process.env };
  const dist = join(process.cwd(), "packages/web/dist");
  if (existsSync(join(dist, "index.html"))) env.PARLEY_WEB_DIST = dist;
  const args = [...vitest, "--config", callsConfig, `--outputFile.json=${callResults}`];
  const canIsolate = process.getuid?.() === 0 && spawnSync("unshare", ["--net", "true"]).status === 0;
  if (canIsolate) {
    const script = `ip link set lo up && exec node ${args.map((a) => `'${a}'`).join(" ")}`;
    return run("unshare", ["--net", "--", "sh", "-c", script], env);
  }
  const why = "the call tests need a loopback-only network namespace: run as root with `unshare` (util-linux) and `ip` (iproute2)";
  if (inCi) fail(why);
  console.warn(`\nnote: ${why}; running them on this machine's network instead`);
  return run("node", args, env);
}
if (extra.length === 0) runCalls();

const main = counts(results);
if (!main) fail("vitest (no results file)");
const calls = extra.length === 0 ? counts(callResults) : { passed: 0, failed: 0, skipped: 0, ok: true };
if (!calls) console.error("\nthe call tests wrote no results file");
const total = calls ?? { passed: 0, failed: 1, skipped: 0, ok: false };
console.log(`${main.passed + total.passed} passed, ${main.failed + total.failed} failed, ${main.skipped + total.skipped} skipped`);
process.exit(main.ok && total.ok ? 0 : 1);
