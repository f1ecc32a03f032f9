import { defaultServerConditions } from "vite";
import { configDefaults, defineProject } from "vitest/config";
import { E2E_GROUP, E2E_WORKERS } from "./support/workers.js";

// End-to-end tests in Node: real relays, real SDK clients, two files at a time in one group with
// the browser tests (support/workers.ts). The web client's browser tests (web/) are their own project, e2e-web
// (web/vitest.config.ts); the cluster tests (several relay nodes behind HAProxy) are the
// cluster project (cluster/vitest.config.ts).
export default defineProject({
  ssr: { resolve: { conditions: ["@parley/source", ...defaultServerConditions] } },
  test: {
    name: "e2e",
    include: ["**/*.test.ts"],
    exclude: [...configDefaults.exclude, "web/**", "cluster/**"],
    environment: "node",
    testTimeout: 60_000,
    hookTimeout: 60_000,
    maxWorkers: E2E_WORKERS,
    sequence: { groupOrder: E2E_GROUP },
  },
});
