import { defaultServerConditions } from "vite";
import { defineProject } from "vitest/config";

// Unit tests of the web client's pure logic (formatting, linkify, shortcodes); browser flows are in tests/e2e/web.
export default defineProject({
  ssr: { resolve: { conditions: ["@parley/source", ...defaultServerConditions] } },
  test: {
    name: "web",
    include: ["src/**/*.test.ts"],
    environment: "node",
  },
});
