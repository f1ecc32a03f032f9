#!/usr/bin/env node
// Typechecks the build (tsc -b), every package's tests (tsconfig.test.json) and tests/e2e, which the
// build does not cover and vitest does not check.
import { spawnSync } from "node:child_process";
import { existsSync, readdirSync } from "node:fs";

const tsc = ["node_modules/typescript/bin/tsc"];
const steps = [["-b"]];
for (const pkg of readdirSync("packages")) {
  const config = `packages/${pkg}/tsconfig.test.json`;
  if (existsSync(config)) steps.push(["-p", config]);
}
// The web client (a Vite app: typechecked here, built by `vite build`).
if (existsSync("packages/web/tsconfig.json")) steps.push(["-p", "packages/web/tsconfig.json"]);
// Cross-package end-to-end tests.
if (existsSync("tests/e2e/tsconfig.json")) steps.push(["-p", "tests/e2e/tsconfig.json"]);
for (const args of steps) {
  const r = spawnSync("node", [...tsc, ...args], { stdio: "inherit" });
  if (r.status !== 0) {
    console.error(`tsc ${args.join(" ")} failed`);
    process.exit(1);
  }
}
