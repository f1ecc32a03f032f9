// Runs the built `parley` binary (packages/cli/dist/bin.js) as a child process with its own
// --home, for the terminal end-to-end tests. Builds the workspace first (tsc -b is incremental:
// a no-op when dist is current) and the interactive view's bundle, so the tests never run a
// stale binary.
import { execFile, execFileSync, spawn } from "node:child_process";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

export const root = new URL("../../../../", import.meta.url).pathname;
export const cliBin = join(root, "packages/cli/dist/bin.js");

let built = false;
export function buildCli(): void {
  if (built) return;
  execFileSync(process.execPath, [join(root, "node_modules/typescript/bin/tsc"), "-b"], { cwd: root, stdio: "inherit" });
  execFileSync(process.execPath, [join(root, "packages/cli/scripts/bundle-view.mjs")], { cwd: root, stdio: "inherit" });
  built = true;
}

export interface CliResult {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

/** A profile: its home folder, relay and passphrase, passed as flags and environment. */
export interface Profile {
  readonly home: string;
  readonly relay: string;
  readonly passphrase: string;
}

export function newProfile(relay: string, passphrase = "correct horse battery staple"): Profile {
  return { home: mkdtempSync(join(tmpdir(), "parley-cli-e2e-")), relay, passphrase };
}

/** The environment a profile's commands run with (no TTY: the passphrase comes from PARLEY_PASSPHRASE). */
export function profileEnv(profile: Profile, extra: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv {
  const env = Object.fromEntries(Object.entries(process.env).filter(([name]) => !name.startsWith("PARLEY_")));
  return { ...env, PARLEY_PASSPHRASE: profile.passphrase, ...extra };
}

/** Runs `parley ARGS --home HOME --relay RELAY`; resolves with the exit code and output (never rejects on a non-zero exit). */
export function parley(profile: Profile, args: string[], options: { env?: NodeJS.ProcessEnv; input?: string } = {}): Promise<CliResult> {
  return new Promise((resolve, reject) => {
    const child = execFile(
      process.execPath,
      [cliBin, ...args, "--home", profile.home, "--relay", profile.relay],
      { env: options.env ?? profileEnv(profile), timeout: 60_000, maxBuffer: 16 * 1024 * 1024 },
      (error, stdout, stderr) => {
        if (error && typeof error.code !== "number") return reject(error);
        resolve({ code: error ? (error.code as number) : 0, stdout, stderr });
      },
    );
    child.stdin?.end(options.input ?? "");
  });
}

/** The JSON lines of `parley read --json`. */
export function jsonLines(stdout: string): Array<Record<string, unknown>> {
  return stdout
    .split("\n")
    .filter((line) => line.trim() !== "")
    .map((line) => JSON.parse(line) as Record<string, unknown>);
}

/** A long-running `parley` (read --follow): its output so far, a wait for a line, and a signal to stop it. */
export function spawnParley(profile: Profile, args: string[], env = profileEnv(profile)) {
  const child = spawn(process.execPath, [cliBin, ...args, "--home", profile.home, "--relay", profile.relay], {
    env,
    stdio: ["ignore", "pipe", "pipe"],
  });
  let stdout = "";
  let stderr = "";
  const waiters: Array<() => void> = [];
  child.stdout.on("data", (d) => {
    stdout += d;
    for (const w of waiters.splice(0)) w();
  });
  child.stderr.on("data", (d) => {
    stderr += d;
  });
  const exited = new Promise<number | null>((resolve) => child.once("exit", (code) => resolve(code)));
  return {
    child,
    exited,
    stdout: () => stdout,
    stderr: () => stderr,
    /** Resolves once stdout holds a line that passes `test`. */
    async waitFor(test: (line: string) => boolean, timeoutMs = 30_000): Promise<string> {
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        const line = stdout.split("\n").find((l) => l !== "" && test(l));
        if (line !== undefined) return line;
        if (Date.now() > deadline) throw new Error(`no matching line in time; stdout:\n${stdout}\nstderr:\n${stderr}`);
        await new Promise<void>((resolve) => {
          waiters.push(resolve);
          setTimeout(resolve, 200);
        });
      }
    },
  };
}

/** Waits until `check` is true (polling). */
export async function until(check: () => boolean, timeoutMs = 30_000, what = "condition"): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}
