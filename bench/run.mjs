#!/usr/bin/env node
// Benchmark entry point: `node bench/run.mjs [part] [options]` (npm run bench, npm run bench:protocol).
// Builds @parley/protocol's dist when it is missing or stale, then runs each part in a child
// Node process with --expose-gc, so the harness can collect garbage between rounds.
//
// Why the built dist and not the TypeScript sources: Node 20.20 has no --experimental-strip-types
// (it arrived in Node 22.6: "bad option" here), and the sources import "./x.js" paths that only a
// bundler or tsc resolves to .ts. dist is also what applications actually run. `tsc -b` is
// incremental, so when dist is current the build step is a no-op of about 0.3 s.
import { spawnSync } from "node:child_process";
import { fileURLToPath } from "node:url";

const ROOT = fileURLToPath(new URL("..", import.meta.url));

/** Each part: its main module, the workspace packages it needs built, and scripts that finish the build. */
const PARTS = {
  protocol: { main: "bench/protocol/main.mjs", build: ["packages/protocol"] },
  relay: { main: "bench/relay/main.mjs", build: ["packages/protocol", "packages/relay"] },
  attachments: { main: "bench/attachments/main.mjs", build: ["packages/protocol"] },
  groups: { main: "bench/groups/main.mjs", build: ["packages/protocol", "packages/relay"] },
  web: { main: "bench/web/main.mjs", build: ["packages/protocol", "packages/relay"] },
  calls: { main: "bench/calls/main.mjs", build: ["packages/protocol", "packages/relay"] },
  cli: { main: "bench/cli/main.mjs", build: ["packages/protocol", "packages/cli"], afterBuild: ["packages/cli/scripts/bundle-view.mjs"] },
  cluster: { main: "bench/cluster/main.mjs", build: ["packages/protocol", "packages/relay"] },
};

const argv = process.argv.slice(2);
const named = argv.filter((a) => !a.startsWith("-"));
const options = argv.filter((a) => a.startsWith("-"));
const unknown = named.filter((p) => !(p in PARTS));
if (unknown.length > 0) {
  console.error(`unknown benchmark part: ${unknown.join(", ")} (parts: ${Object.keys(PARTS).join(", ")})`);
  process.exit(2);
}
const parts = named.length > 0 ? named : Object.keys(PARTS);

function build(projects, afterBuild = []) {
  if (options.includes("--no-build")) return;
  const tsc = "node_modules/typescript/bin/tsc";
  const result = spawnSync(process.execPath, [tsc, "-b", ...projects], { cwd: ROOT, stdio: "inherit" });
  // tsc -b emits even with type errors; only the exit code says the build is sound.
  if (result.status !== 0) {
    console.error(`build of ${projects.join(", ")} failed (tsc -b exit ${result.status}); not benchmarking a broken build`);
    process.exit(1);
  }
  for (const script of afterBuild) {
    const step = spawnSync(process.execPath, [script], { cwd: ROOT, stdio: "inherit" });
    if (step.status !== 0) {
      console.error(`${script} failed (exit ${step.status}); not benchmarking a broken build`);
      process.exit(1);
    }
  }
}

for (const part of parts) {
  const { main, build: projects, afterBuild } = PARTS[part];
  build(projects, afterBuild);
  const childOptions = options.filter((o) => o !== "--no-build");
  const result = spawnSync(process.execPath, ["--expose-gc", main, ...childOptions], { cwd: ROOT, stdio: "inherit" });
  if (result.status !== 0) process.exit(result.status ?? 1);
}
