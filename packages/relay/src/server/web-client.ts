/**
 * Finds the web client the relay serves at `/` by default: the built `@parley/web` package
 * (its `dist/`), when it is installed next to the relay. `--static DIR` overrides it and
 * `--no-web` turns it off.
 */
import { existsSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";

/** The directory of the installed, built @parley/web, or undefined. */
export function bundledWebClient(): string | undefined {
  let manifest: string;
  try {
    manifest = createRequire(import.meta.url).resolve("@parley/web/package.json");
  } catch {
    return undefined;
  }
  const dist = join(dirname(manifest), "dist");
  return existsSync(join(dist, "index.html")) ? dist : undefined;
}
