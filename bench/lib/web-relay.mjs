// The relay (packages/relay/dist) serving a web client build, for the browser benchmarks, and
// the Chromium flags they share: headless, no background network, nothing but loopback.
import { spawn } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";

const ROOT = fileURLToPath(new URL("../..", import.meta.url));

/** Chromium flags every browser benchmark starts with. */
export const BENCH_CHROMIUM_ARGS = [
  "--no-sandbox",
  "--disable-gpu",
  "--disable-quic",
  "--no-first-run",
  "--disable-background-networking",
  "--disable-component-update",
  "--disable-sync",
];

/**
 * Starts a relay on 127.0.0.1 (a free port, a temporary data folder) serving `dist` at `/`;
 * resolves with its http `url`, `wsUrl` and `stop()` (kills it and removes its data), or rejects
 * with its output when it does not start within 20 s.
 */
export function startWebRelay(dist, name) {
  const dataDir = mkdtempSync(join(tmpdir(), `parley-bench-${name}-relay-`));
  const args = [join(ROOT, "packages/relay/dist/bin.js"), "--port", "0", "--host", "127.0.0.1", "--data", dataDir];
  const child = spawn(process.execPath, [...args, "--static", dist, "--log-level", "warn"], { stdio: ["ignore", "pipe", "pipe"] });
  let output = "";
  child.stdout.on("data", (d) => {
    output += d;
  });
  child.stderr.on("data", (d) => {
    output += d;
  });
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`relay did not start:\n${output}`)), 20_000);
    child.stdout.on("data", () => {
      const m = output.match(/listening on (https?:\/\/\S+)/);
      if (m) {
        clearTimeout(timer);
        const url = m[1].replace("localhost", "127.0.0.1");
        resolve({
          url,
          wsUrl: url.replace(/^http/, "ws"),
          stop: () => {
            child.kill("SIGKILL");
            rmSync(dataDir, { recursive: true, force: true });
          },
        });
      }
    });
    child.once("exit", (code) => reject(new Error(`relay exited ${code}:\n${output}`)));
  });
}
