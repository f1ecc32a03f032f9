#!/usr/bin/env node
// `npm start` (after `npm run build`): runs the relay from the repo root on SQLite in
// ./.parley-data (gitignored), on port 8787 or the next free one, and prints the relay URL
// clients dial (ws://localhost:8787), its HTTP URL (http://localhost:8787/healthz) and the web client
// (http://localhost:8787/): the relay serves the workspace's built @parley/web (packages/web/dist).
// Extra arguments go to the relay: `npm start -- --port 9000`, `npm start -- --help`.
import { existsSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const bin = join(root, "packages", "relay", "dist", "bin.js");
if (!existsSync(bin)) {
  console.error("packages/relay is not built; run `npm run build` first (npm start does).");
  process.exit(1);
}
process.chdir(root);
// The web client, built by `npm run build`, is served at `/`.
const web = join(root, "packages", "web", "dist");
if (!process.argv.includes("--static") && !process.env.PARLEY_STATIC_DIR && existsSync(join(web, "index.html")))
  process.argv.push("--static", web);
if (!process.argv.includes("--data") && !process.env.PARLEY_DATA_DIR) process.argv.push("--data", ".parley-data");
await import(bin);
