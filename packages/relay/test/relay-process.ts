// Runs the built `parley-relay` bin as a child process (for kill -9 and SIGTERM tests): builds
// it first, starts it on 127.0.0.1, and reads the printed URL.
import { type ChildProcess, execFileSync, spawn } from "node:child_process";
import { existsSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const packageDir = join(dirname(fileURLToPath(import.meta.url)), "..");
const repoRoot = join(packageDir, "..", "..");
export const BIN = join(packageDir, "dist", "bin.js");

/**
 * Builds the relay (and the protocol it references) with the workspace's tsc. A type error
 * elsewhere in the workspace fails the build but leaves a usable earlier dist/, which is then
 * used (the typecheck step of `npm test` reports the error itself).
 */
export function buildRelay(): void {
  try {
    execFileSync(process.execPath, [join(repoRoot, "node_modules", "typescript", "bin", "tsc"), "-b", join(packageDir, "tsconfig.json")], {
      stdio: "pipe",
    });
  } catch (error) {
    if (!existsSync(BIN)) throw error;
  }
  if (!existsSync(BIN)) throw new Error("relay build produced no dist/bin.js");
}

export interface RelayProcess {
  readonly child: ChildProcess;
  readonly port: number;
  readonly url: string;
  readonly output: () => string;
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

/** Starts the relay bin with `args` and waits for its "listening on" line. */
export async function startRelayProcess(args: string[]): Promise<RelayProcess> {
  const child = spawn(process.execPath, [BIN, "--host", "127.0.0.1", ...args], { stdio: ["ignore", "pipe", "pipe"] });
  let output = "";
  child.stdout?.on("data", (d: Buffer) => {
    output += d.toString();
  });
  child.stderr?.on("data", (d: Buffer) => {
    output += d.toString();
  });
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => {
    child.once("exit", (code, signal) => resolve({ code, signal }));
  });
  const port = await new Promise<number>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`relay did not start: ${output}`)), 15_000);
    const check = () => {
      const match = /listening on https?:\/\/localhost:(\d+)/.exec(output) ?? /listening on \S+ \(bound to \S+:(\d+),/.exec(output);
      if (match) {
        clearTimeout(timer);
        child.stdout?.off("data", check);
        resolve(Number(match[1]));
      }
    };
    child.stdout?.on("data", check);
    exited.then(() => reject(new Error(`relay exited: ${output}`)));
  });
  return { child, port, url: `ws://127.0.0.1:${port}/`, output: () => output, exited };
}
