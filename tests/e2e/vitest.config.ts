import { defaultServerConditions } from "vite";
import { configDefaults, defineProject } from "vitest/config";

// End-to-end tests in Node: real relays, real SDK clients (one file at a time, as every project
// by default). The web client's browser tests (web/) are their own project, e2e-web
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
  },
});
