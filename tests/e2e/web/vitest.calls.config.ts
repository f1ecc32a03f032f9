import { defaultServerConditions } from "vite";
import { defineConfig } from "vitest/config";

/**
 * The web client's call tests (WebRTC between real Chromium pages through a real relay). They are
 * not a project of the main run: `npm test` (scripts/test.mjs) runs this config on its own, inside
 * a loopback-only network namespace (`unshare --net` with only `lo` up), so every media packet
 * provably stays on loopback and no test depends on the machine's interfaces. By hand:
 *
 *   unshare --net sh -c 'ip link set lo up && npx vitest run --config tests/e2e/web/vitest.calls.config.ts'
 *
 * Each file checks where it runs (support/loopback-only.ts): in CI outside such a namespace it fails.
 */
const workers = Number(process.env.PARLEY_WEB_TEST_WORKERS ?? 2);

export default defineConfig({
  root: new URL(".", import.meta.url).pathname,
  ssr: { resolve: { conditions: ["@parley/source", ...defaultServerConditions] } },
  test: {
    name: "e2e-calls",
    include: ["calls*.test.ts"],
    globalSetup: ["./support/build.ts", "./support/loopback-only.ts"],
    environment: "node",
    testTimeout: 60_000,
    hookTimeout: 60_000,
    maxWorkers: Number.isInteger(workers) && workers > 0 ? workers : 2,
  },
});
