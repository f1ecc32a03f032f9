// Runs the real relay binary (packages/relay/dist/bin.js) as a child process on a free port with
// its own data directory, for end-to-end tests. `npm test` builds dist before vitest runs; when
// run alone, the helper builds it first.
import { type ChildProcess, execFileSync, spawn } from "node:child_process";
import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

const root = new URL("../../../", import.meta.url).pathname;
const bin = join(root, "packages/relay/dist/bin.js");

export interface RelayProcess {
  /** http://localhost:PORT */
  readonly url: string;
  /** ws://localhost:PORT */
  readonly wsUrl: string;
  readonly dataDir: string;
  readonly child: ChildProcess;
  /** Everything the relay wrote to stdout and stderr (its JSON logs). */
  output(): string;
  /** SIGTERM, and wait for exit. */
  stop(): Promise<number | null>;
  /** SIGKILL, and wait for exit. */
  kill(): Promise<void>;
  /** Removes the data directory (after stop). */
  cleanup(): void;
}

export function ensureBuilt(): void {
  if (!existsSync(bin))
    execFileSync(process.execPath, [join(root, "node_modules/typescript/bin/tsc"), "-b"], { cwd: root, stdio: "inherit" });
}

/** Starts a relay; pass `dataDir` to restart one on existing data, `port` to reuse its port. */
export async function startRelay(options: { dataDir?: string; port?: number; args?: string[] } = {}): Promise<RelayProcess> {
  ensureBuilt();
  const dataDir = options.dataDir ?? mkdtempSync(join(tmpdir(), "parley-e2e-relay-"));
  const args = [
    bin,
    "--port",
    String(options.port ?? 0),
    "--host",
    "127.0.0.1",
    "--data",
    dataDir,
    "--log-level",
    "info",
    ...(options.args ?? []),
  ];
  const child = spawn(process.execPath, args, { stdio: ["ignore", "pipe", "pipe"] });
  let output = "";
  child.stdout?.on("data", (d) => {
    output += d;
  });
  child.stderr?.on("data", (d) => {
    output += d;
  });
  const url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`relay did not start:\n${output}`)), 20_000);
    const check = () => {
      const match = output.match(/listening on (https?:\/\/\S+)/);
      if (match?.[1]) {
        clearTimeout(timer);
        resolve(match[1]);
      }
    };
    child.stdout?.on("data", check);
    child.once("exit", (code) => {
      clearTimeout(timer);
      reject(new Error(`relay exited with ${code}:\n${output}`));
    });
  });
  const exited = new Promise<number | null>((resolve) => child.once("exit", (code) => resolve(code)));
  return {
    url,
    wsUrl: url.replace(/^http/, "ws"),
    dataDir,
    child,
    output: () => output,
    stop: async () => {
      child.kill("SIGTERM");
      return exited;
    },
    kill: async () => {
      child.kill("SIGKILL");
      await exited;
    },
    cleanup: () => rmSync(dataDir, { recursive: true, force: true }),
  };
}
