// Child processes of the cluster tests: spawned with their output kept, waited for with a bound,
// killed by pid, and killed anyway (SIGKILL) if the test worker exits without tearing down.
import { type ChildProcess, spawn } from "node:child_process";
import { createServer } from "node:net";

/** A spawned process whose output is kept. */
export interface Child {
  readonly name: string;
  readonly process: ChildProcess;
  readonly pid: number;
  /** Everything written to stdout and stderr so far. */
  output(): string;
  /** Resolves with the first match of `pattern` in the output; rejects after `ms` or on exit. */
  waitFor(pattern: RegExp, ms: number): Promise<RegExpMatchArray>;
  /** True once the process has exited. */
  readonly exited: boolean;
  /** Resolves with the exit code (or the signal's name) once the process has exited. */
  exit: Promise<number | string | null>;
  /** Sends `signal` and waits up to `ms` for the exit; then SIGKILL. */
  stop(signal?: NodeJS.Signals, ms?: number): Promise<number | string | null>;
}

const living = new Set<ChildProcess>();
process.once("exit", () => {
  for (const child of living) child.kill("SIGKILL");
});

/** Spawns `command` with `args`; the process is SIGKILLed if the worker exits first. */
export function spawnChild(name: string, command: string, args: readonly string[], env: NodeJS.ProcessEnv = process.env): Child {
  const child = spawn(command, args, { stdio: ["ignore", "pipe", "pipe"], env });
  if (child.pid === undefined) throw new Error(`${name}: could not spawn ${command}`);
  living.add(child);
  let output = "";
  let exited = false;
  const append = (data: Buffer) => {
    output += data.toString();
    // Keep the tail only: a chatty relay must not grow the test worker's memory without bound.
    if (output.length > 2_000_000) output = output.slice(-1_000_000);
  };
  child.stdout?.on("data", append);
  child.stderr?.on("data", append);
  const exit = new Promise<number | string | null>((resolve) =>
    child.once("exit", (code, signal) => {
      exited = true;
      living.delete(child);
      resolve(code ?? signal);
    }),
  );
  const waitFor = (pattern: RegExp, ms: number) =>
    new Promise<RegExpMatchArray>((resolve, reject) => {
      const check = () => {
        const match = output.match(pattern);
        if (!match) return false;
        finish();
        resolve(match);
        return true;
      };
      const timer = setTimeout(() => {
        finish();
        reject(new Error(`${name}: no ${pattern} within ${ms} ms; output:\n${output.slice(-4000)}`));
      }, ms);
      const onData = () => check();
      const onExit = () => {
        if (check()) return;
        finish();
        reject(new Error(`${name} exited before ${pattern}; output:\n${output.slice(-4000)}`));
      };
      const finish = () => {
        clearTimeout(timer);
        child.stdout?.off("data", onData);
        child.stderr?.off("data", onData);
        child.off("exit", onExit);
      };
      if (check()) return;
      child.stdout?.on("data", onData);
      child.stderr?.on("data", onData);
      child.once("exit", onExit);
    });
  const stop = async (signal: NodeJS.Signals = "SIGTERM", ms = 10_000) => {
    if (exited) return exit;
    child.kill(signal);
    const timer = setTimeout(() => child.kill("SIGKILL"), ms);
    try {
      return await exit;
    } finally {
      clearTimeout(timer);
    }
  };
  return {
    name,
    process: child,
    pid: child.pid,
    output: () => output,
    waitFor,
    get exited() {
      return exited;
    },
    exit,
    stop,
  };
}

/** A TCP port that was free a moment ago on 127.0.0.1 (for servers whose port must be known before they start). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const address = server.address();
      const port = typeof address === "object" && address ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

/** Polls `check` every `everyMs` until it returns true; throws with `what` after `ms`. */
export async function until(what: string, check: () => Promise<boolean> | boolean, ms = 10_000, everyMs = 50): Promise<void> {
  const end = Date.now() + ms;
  for (;;) {
    let ok = false;
    try {
      ok = await check();
    } catch {
      ok = false;
    }
    if (ok) return;
    if (Date.now() > end) throw new Error(`timed out after ${ms} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, everyMs));
  }
}
