// Builds the web client into dist/, which the relay serves at `/` (`parley-relay --static`).
// The protocol is compiled from its TypeScript source ("@parley/source" condition), so the web
// build never waits for, or goes stale against, packages/protocol/dist. Two entries: the app
// (index.html) and the service worker, emitted unhashed as /sw.js so its scope is the origin.

import { readFileSync } from "node:fs";
import react from "@vitejs/plugin-react";
import { defaultClientConditions, defineConfig } from "vite";
import { precacheManifest } from "./src/sw/precache-plugin.js";

export default defineConfig({
  plugins: [react(), precacheManifest()],
  // The version shown in Settings → About.
  define: { __PARLEY_WEB_VERSION__: JSON.stringify(JSON.parse(readFileSync(new URL("package.json", import.meta.url), "utf8")).version) },
  resolve: { conditions: ["@parley/source", ...defaultClientConditions] },
  build: {
    target: "es2022",
    outDir: "dist",
    emptyOutDir: true,
    rollupOptions: {
      input: { main: "index.html", sw: "src/sw/main.ts" },
      output: { entryFileNames: (chunk) => (chunk.name === "sw" ? "sw.js" : "assets/[name]-[hash].js") },
    },
  },
});
