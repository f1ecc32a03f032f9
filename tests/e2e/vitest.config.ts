import { defaultServerConditions } from "vite";
import { defineProject } from "vitest/config";

export default defineProject({
  ssr: { resolve: { conditions: ["@parley/source", ...defaultServerConditions] } },
  test: {
    name: "e2e",
    include: ["**/*.test.ts"],
    // Builds the web client once for the browser tests (tests/e2e/web).
    globalSetup: ["./web/support/build.ts"],
    environment: "node",
    testTimeout: 60_000,
    hookTimeout: 60_000,
  },
});
