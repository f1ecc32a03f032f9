import { defaultServerConditions } from "vite";
import { configDefaults, defineProject } from "vitest/config";

import { E2E_GROUP, E2E_WORKERS } from "../support/workers.js";

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
    // Two files at a time with the Node end-to-end tests (support/workers.ts), after the unit tests.
    maxWorkers: E2E_WORKERS,
    sequence: { groupOrder: E2E_GROUP },
  },
});
