// Drives the real `parley` binary in a pseudo-terminal (node-pty) and reads its screen back
// through a headless xterm.js, for the terminal client's end-to-end tests. Screens can be saved
// as text under test-output/terminal/.
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import xterm from "@xterm/headless";
import pty from "node-pty";

const root = new URL("../../../", import.meta.url).pathname;
export const PARLEY_BIN = join(root, "packages/cli/dist/bin.js");
export const SCREEN_DIR = join(root, "test-output/terminal");

export interface TerminalOptions {
  readonly home: string;
  readonly relay: string;
  readonly profile?: string;
  readonly cols?: number;
  readonly rows?: number;
  readonly env?: Record<string, string>;
  /** Node options before the script (e.g. `--import` hooks). */
  readonly nodeArgs?: readonly string[];
  /** The `parley` script to run (default: the workspace's build, PARLEY_BIN). */
  readonly bin?: string;
}

export interface ParleyTerminal {
  /** The visible screen, one string per row, trailing spaces trimmed. */
  screen(): string;
  /** Waits until the screen matches `pattern`; throws with the screen after `timeoutMs`. */
  waitFor(pattern: RegExp | string, timeoutMs?: number): Promise<string>;
  /** Types text (one write), then waits for the terminal to take it. */
  type(text: string): Promise<void>;
  /** Sends one key: "enter", "tab", "up", "down", "pageup", "pagedown", "escape", "backspace", "ctrl+n", "ctrl+c", … */
  key(name: string): Promise<void>;
  resize(cols: number, rows: number): void;
  /** Writes the screen to test-output/terminal/<name>.txt. */
  save(name: string): string;
  /** Everything the program wrote (for bells and OSC sequences). */
  output(): string;
  /** Milliseconds from spawn to the first screen with visible text. */
  readonly firstScreenMs: Promise<number>;
  readonly exited: Promise<number>;
  kill(): void;
}

const KEYS: Record<string, string> = {
  enter: "\r",
  tab: "\t",
  up: "\u001b[A",
  down: "\u001b[B",
  right: "\u001b[C",
  left: "\u001b[D",
  pageup: "\u001b[5~",
  pagedown: "\u001b[6~",
  escape: "\u001b",
  backspace: "\u007f",
  "alt+up": "\u001b[1;3A",
  "alt+down": "\u001b[1;3B",
  "ctrl+n": "\u000e",
  "ctrl+p": "\u0010",
  "ctrl+c": "\u0003",
};

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Starts `parley` (no command: the interactive chat) with its own PARLEY_HOME. */
export function spawnParley(options: TerminalOptions): ParleyTerminal {
  const cols = options.cols ?? 100;
  const rows = options.rows ?? 30;
  const term = new xterm.Terminal({ cols, rows, allowProposedApi: true });
  const started = performance.now();
  const env: Record<string, string> = {};
  for (const [k, v] of Object.entries(process.env)) if (v !== undefined && !k.startsWith("PARLEY_")) env[k] = v;
  Object.assign(env, {
    PARLEY_HOME: options.home,
    PARLEY_RELAY: options.relay,
    PARLEY_PROFILE: options.profile ?? "default",
    TERM: "xterm-256color",
    FORCE_COLOR: "1",
    ...options.env,
  });
  const child = pty.spawn(process.execPath, [...(options.nodeArgs ?? []), options.bin ?? PARLEY_BIN], {
    name: "xterm-256color",
    cols,
    rows,
    cwd: root,
    env,
  });
  let output = "";
  let firstResolve: (ms: number) => void = () => {};
  const firstScreenMs = new Promise<number>((resolve) => {
    firstResolve = resolve;
  });
  let sawText = false;
  child.onData((data) => {
    output += data;
    term.write(data, () => {
      if (!sawText && screen().trim() !== "") {
        sawText = true;
        firstResolve(Math.round(performance.now() - started));
      }
    });
  });
  const exited = new Promise<number>((resolve) => child.onExit(({ exitCode }) => resolve(exitCode)));

  function screen(): string {
    const buffer = term.buffer.active;
    const lines: string[] = [];
    for (let i = 0; i < term.rows; i++) lines.push(buffer.getLine(buffer.baseY + i)?.translateToString(true) ?? "");
    return lines.join("\n");
  }
  const flush = () => new Promise<void>((resolve) => term.write("", resolve));

  return {
    screen,
    async waitFor(pattern, timeoutMs = 20_000) {
      const test = (s: string) => (typeof pattern === "string" ? s.includes(pattern) : pattern.test(s));
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        await flush();
        const now = screen();
        if (test(now)) return now;
        if (Date.now() > deadline) throw new Error(`screen never showed ${pattern}; it shows:\n${now}`);
        await sleep(20);
      }
    },
    async type(text) {
      child.write(text);
      await sleep(60);
      await flush();
    },
    async key(name) {
      const sequence = KEYS[name];
      if (!sequence) throw new Error(`unknown key ${name}`);
      child.write(sequence);
      await sleep(60);
      await flush();
    },
    resize(c, r) {
      child.resize(c, r);
      term.resize(c, r);
    },
    save(name) {
      mkdirSync(SCREEN_DIR, { recursive: true });
      const path = join(SCREEN_DIR, `${name}.txt`);
      writeFileSync(path, `${screen()}\n`);
      return path;
    },
    output: () => output,
    firstScreenMs,
    exited,
    kill: () => child.kill(),
  };
}
