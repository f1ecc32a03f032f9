import { defaultServerConditions } from "vite";
import { defineProject } from "vitest/config";

/**
 * The cluster tests: several relay processes sharing PostgreSQL and a Redis bus behind HAProxy,
 * with real SDK clients dialling the balancer. One file at a time (each starts its own nodes,
 * balancer and private servers, which is all two cores can carry), after the other projects.
 */
export default defineProject({
  ssr: { resolve: { conditions: ["@parley/source", ...defaultServerConditions] } },
  test: {
    name: "cluster",
    include: ["**/*.test.ts"],
    environment: "node",
    testTimeout: 60_000,
    hookTimeout: 60_000,
    maxWorkers: 1,
    sequence: { groupOrder: 2 },
  },
});
