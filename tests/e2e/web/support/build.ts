// Builds packages/web once per vitest run (the e2e project's globalSetup) so every browser test
// loads the production bundle the relay serves; `PARLEY_WEB_DIST` points at a prebuilt one.
import { existsSync } from "node:fs";
import { join } from "node:path";

export const webRoot = new URL("../../../../packages/web/", import.meta.url).pathname;
export const webDist = process.env.PARLEY_WEB_DIST ?? join(webRoot, "dist");

export default async function setup(): Promise<void> {
  if (process.env.PARLEY_WEB_DIST && existsSync(join(webDist, "index.html"))) return;
  const { build } = await import("vite");
  // Vitest sets NODE_ENV=test, which would make Vite emit React's development build (and
  // import.meta.env.DEV): build what `npm run build` ships instead.
  const nodeEnv = process.env.NODE_ENV;
  process.env.NODE_ENV = "production";
  try {
    await build({ root: webRoot, mode: "production", logLevel: "warn", build: { outDir: webDist } });
  } finally {
    process.env.NODE_ENV = nodeEnv;
  }
}
