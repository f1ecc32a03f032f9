// `vite build` exactly as an app developer runs it: the Vite CLI in its own process, with no
// config file and none of the test runner's environment (vitest sets NODE_ENV=test, which would
// turn the build into a non-production one that bundles differently).
import { execFile } from "node:child_process";
import { mkdtempSync, readdirSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";

const run = promisify(execFile);
const root = new URL("../../../", import.meta.url).pathname;
const viteBin = join(root, "node_modules/vite/bin/vite.js");

export interface StockViteBuild {
  /** Where the bundle was written (a fresh temp directory; the caller removes it). */
  readonly outDir: string;
  /** Vite's stdout and stderr. */
  readonly log: string;
  /** The emitted files under `assets/`. */
  readonly assets: string[];
}

/** Runs `vite build <projectDir>` with no config file into a temp directory. */
export async function stockViteBuild(projectDir: string): Promise<StockViteBuild> {
  const outDir = mkdtempSync(join(tmpdir(), "parley-vite-build-"));
  const env = Object.fromEntries(
    Object.entries(process.env).filter(([name]) => name !== "NODE_ENV" && !name.startsWith("VITEST") && !name.startsWith("VITE_")),
  );
  const { stdout, stderr } = await run(process.execPath, [viteBin, "build", projectDir, "--outDir", outDir, "--emptyOutDir"], {
    env,
    cwd: projectDir,
    timeout: 60_000,
  });
  return { outDir, log: stdout + stderr, assets: readdirSync(join(outDir, "assets")) };
}
