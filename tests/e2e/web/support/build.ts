// Builds packages/web once per vitest run (the e2e project's globalSetup) so every browser test
// loads the production bundle the relay serves; `PARLEY_WEB_DIST` points at a prebuilt one.
import { existsSync } from "node:fs";
import { join } from "node:path";

export const webRoot = new URL("../../../../packages/web/", import.meta.url).pathname;
export const webDist = process.env.PARLEY_WEB_DIST ?? join(webRoot, "dist");

export default async function setup(): Promise<void> {
  if (process.env.PARLEY_WEB_DIST && existsSync(join(webDist, "index.html"))) return;
  const { build } = await import("vite");
  await build({ root: webRoot, logLevel: "warn", build: { outDir: webDist } });
}
