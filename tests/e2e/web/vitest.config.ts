import { defaultServerConditions } from "vite";
import { configDefaults, defineProject } from "vitest/config";

/**
 * Test files of the web client's browser tests run at the same time, two by default: each file
 * has its own relay (on a free port), its own Chromium and its own screenshot names, and most of
 * a file's time is spent waiting on the browser and the relay, so two at once on two cores cut
 * the wall time without starving either. PARLEY_WEB_TEST_WORKERS=1 runs them one after another.
 */
const workers = Number(process.env.PARLEY_WEB_TEST_WORKERS ?? 2);

export default defineProject({
  ssr: { resolve: { conditions: ["@parley/source", ...defaultServerConditions] } },
  test: {
    name: "e2e-web",
    include: ["**/*.test.ts"],
    // Calls (WebRTC) run in a loopback-only network namespace of their own: vitest.calls.config.ts.
    exclude: [...configDefaults.exclude, "calls*.test.ts"],
    // Builds the web client once for all browser tests.
    globalSetup: ["./support/build.ts"],
    environment: "node",
    testTimeout: 60_000,
    hookTimeout: 60_000,
    maxWorkers: Number.isInteger(workers) && workers > 0 ? workers : 2,
    // A worker count of its own needs a group of its own: after the other projects' files.
    sequence: { groupOrder: 1 },
  },
});
