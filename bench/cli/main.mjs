// `npm run bench:cli` (bench/run.mjs builds the workspace first): cold start of the terminal
// client, as a user feels it: the wall time of a whole `node packages/cli/dist/bin.js …`
// process, from spawn to exit, median of --rounds (default 11) after one discarded warm-up
// (which fills the OS file cache, as any second run of a command would):
//   1. `parley --help`: argument parsing and help only; must load neither the client and its
//      crypto nor Ink/React (target < 500 ms);
//   2. `parley whoami` on a profile with an account: opens the encrypted file store (scrypt
//      with the store's default cost), loads the client, prints, closes; no relay needed.
//   3. time to the first drawn screen of the interactive chat: `parley` spawned in a real
//      pseudo-terminal (node-pty, read by a headless xterm), from spawn until the passphrase
//      prompt of an existing profile is on screen (target < 1 s); the process is then stopped.
// Also `node -e ""` as the floor of any Node process here. Prints the results and rewrites the
// "Terminal client" block of BENCHMARKS.md (--no-write leaves it).
import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { loadavg, tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import { machineInfo, packageVersion } from "../lib/machine.mjs";

const ROOT = fileURLToPath(new URL("../..", import.meta.url));
const BIN = join(ROOT, "packages/cli/dist/bin.js");
const { values: args } = parseArgs({
  options: { rounds: { type: "string", default: "11" }, "no-write": { type: "boolean", default: false } },
});
const ROUNDS = Number(args.rounds);
const PASSPHRASE = "bench passphrase";

/** Milliseconds from spawning `parley` in a pseudo-terminal until `pattern` is on its screen. */
async function firstScreen(env, pattern) {
  const [{ default: pty }, { default: xterm }] = await Promise.all([import("node-pty"), import("@xterm/headless")]);
  const term = new xterm.Terminal({ cols: 100, rows: 30, allowProposedApi: true });
  const start = process.hrtime.bigint();
  const child = pty.spawn(process.execPath, [BIN], { name: "xterm-256color", cols: 100, rows: 30, env: { ...process.env, ...env } });
  child.onData((d) => term.write(d));
  const screen = () => {
    const b = term.buffer.active;
    return Array.from({ length: term.rows }, (_, i) => b.getLine(b.baseY + i)?.translateToString(true) ?? "").join("\n");
  };
  try {
    for (const deadline = Date.now() + 30_000; ; ) {
      await new Promise((resolve) => term.write("", resolve));
      if (pattern.test(screen())) return Number(process.hrtime.bigint() - start) / 1e6;
      if (Date.now() > deadline) throw new Error(`the first screen never showed ${pattern}:\n${screen()}`);
      await new Promise((resolve) => setTimeout(resolve, 5));
    }
  } finally {
    child.kill();
    term.dispose();
  }
}

const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};

/** Wall time (ms) of one process run; fails loudly on a non-zero exit. */
function timeRun(argv, env) {
  const start = process.hrtime.bigint();
  const result = spawnSync(process.execPath, argv, { env: { ...process.env, ...env }, encoding: "utf8" });
  const ms = Number(process.hrtime.bigint() - start) / 1e6;
  if (result.status !== 0) throw new Error(`${argv.join(" ")} exited ${result.status}: ${result.stderr}`);
  return ms;
}

function measure(label, argv, env = {}) {
  timeRun(argv, env); // Warm-up, discarded.
  const times = Array.from({ length: ROUNDS }, () => timeRun(argv, env));
  const row = { label, median: median(times), min: Math.min(...times), max: Math.max(...times) };
  console.error(`${label}: median ${row.median.toFixed(0)} ms (min ${row.min.toFixed(0)}, max ${row.max.toFixed(0)})`);
  return row;
}

const home = mkdtempSync(join(tmpdir(), "parley-bench-cli-"));
try {
  // A profile with an account (no handle: whoami needs no relay).
  const { createClient, resolveProfile } = await import(join(ROOT, "packages/cli/dist/index.js"));
  const client = await createClient(resolveProfile({ home }, {}), PASSPHRASE, "Bench");
  await client.close();

  const loadBefore = loadavg();
  const rows = [
    measure('`node -e ""` (floor)', ["-e", ""]),
    measure("`parley --help`", [BIN, "--help"]),
    measure("`parley whoami`", [BIN, "whoami", "--home", home], { PARLEY_PASSPHRASE: PASSPHRASE }),
  ];
  const env = { PARLEY_HOME: home };
  await firstScreen(env, /passphrase/i); // Warm-up, discarded.
  const screens = [];
  for (let i = 0; i < ROUNDS; i++) screens.push(await firstScreen(env, /passphrase/i));
  const screenRow = {
    label: "`parley` → first drawn screen",
    median: median(screens),
    min: Math.min(...screens),
    max: Math.max(...screens),
  };
  console.error(
    `${screenRow.label}: median ${screenRow.median.toFixed(0)} ms (min ${screenRow.min.toFixed(0)}, max ${screenRow.max.toFixed(0)})`,
  );
  const loadAfter = loadavg();
  const m = machineInfo();
  const load = (l) => l.map((x) => x.toFixed(2)).join(" / ");
  const help = rows[1];
  const block = [
    "<!-- bench:cli:begin (generated by `npm run bench:cli`; edits inside are overwritten) -->",
    `\`npm run bench:cli\` (bench/cli/main.mjs), ${m.date}: ${m.cpu}, ${m.cores} cores, ${m.memoryGiB} GiB, ${m.os}, Node ${m.node}; \`@parley/cli\` ${packageVersion("@parley/cli", ROOT)}, ink ${packageVersion("ink", join(ROOT, "packages/cli"))}, react ${packageVersion("react", join(ROOT, "packages/cli"))}. Load average (1/5/15 min) ${load(loadBefore)} before, ${load(loadAfter)} after${loadBefore[0] >= m.cores / 2 ? " — ⚠ other processes were using the CPU: absolute times are high and noisy" : ""}.`,
    "",
    `Wall time of a whole process, spawn to exit; one warm-up discarded, then the median of ${ROUNDS} rounds (min–max).`,
    "",
    "| command | median | min–max |",
    "|:--|--:|--:|",
    ...[...rows, screenRow].map((r) => `| ${r.label} | ${r.median.toFixed(0)} ms | ${r.min.toFixed(0)}–${r.max.toFixed(0)} ms |`),
    "",
    `- \`parley --help\` target < 500 ms: ${help.median < 500 ? "✅ met" : "❌ missed"} (${help.median.toFixed(0)} ms). Help imports only the argument parser and the help text; each command's module (and with it the client, its crypto, Ink and React) is imported when that command runs.`,
    "- `parley whoami` opens the profile's encrypted store (scrypt at the store's default cost) and loads the client: that is the cost of every command that opens a profile.",
    `- Time to the first drawn screen (the passphrase prompt of an existing profile, in a real pseudo-terminal) target < 1 s: ${screenRow.median < 1000 ? "✅ met" : "❌ missed"} (${screenRow.median.toFixed(0)} ms).`,
    "<!-- bench:cli:end -->",
  ].join("\n");
  console.log(block);
  if (!args["no-write"]) {
    const path = join(ROOT, "BENCHMARKS.md");
    const text = readFileSync(path, "utf8");
    const pattern = /<!-- bench:cli:begin[\s\S]*?<!-- bench:cli:end -->/;
    writeFileSync(path, pattern.test(text) ? text.replace(pattern, block) : `${text.trimEnd()}\n\n## Terminal client\n\n${block}\n`);
  }
} finally {
  rmSync(home, { recursive: true, force: true });
}
