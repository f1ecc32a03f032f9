// `parley --help` and `--version` must start fast: they may load the argument parser and the
// help text, never the client (its crypto), Ink or React. The interactive chat's first screen
// comes from the view's bundle (dist/view/), not from Ink's and React's hundreds of files.
// Checked on the built binary by logging every module Node resolves.
import { execFile } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { beforeAll, expect, test } from "vitest";
import { spawnParley } from "../terminal-ui/terminal.js";
import { buildCli, cliBin, until } from "./support/cli.js";

const run = promisify(execFile);
const hooks = new URL("./support/resolve-log.mjs", import.meta.url).pathname;
beforeAll(() => buildCli(), 120_000);

/** Every module URL `parley ARGS` resolves, and its exit code. */
async function modulesLoadedBy(args: string[]): Promise<{ modules: string[]; code: number }> {
  const log = join(mkdtempSync(join(tmpdir(), "parley-cold-")), "modules.txt");
  const code = await run(process.execPath, ["--import", hooks, cliBin, ...args], { env: { ...process.env, PARLEY_RESOLVE_LOG: log } }).then(
    () => 0,
    (error: { code?: number }) => error.code ?? -1,
  );
  return { modules: readFileSync(log, "utf8").trim().split("\n"), code };
}

test.each([
  [["--help"], 0],
  [["--version"], 0],
  [["send", "--help"], 0],
  [["read", "--bogus"], 2],
])("parley %j loads no client, crypto, Ink or React", async (args, exitCode) => {
  const { modules, code } = await modulesLoadedBy(args);
  expect(code).toBe(exitCode);
  expect(modules.some((url) => url.endsWith("/packages/cli/dist/main.js"))).toBe(true);
  const heavy = modules.filter((url) =>
    /packages\/protocol|@parley\/protocol|libsodium|@noble|\/ink\/|\/react\/|ws\/|\/ui\/|\/view\//.test(url),
  );
  expect(heavy).toEqual([]);
});

test("the interactive chat draws its first screen from the bundle, then loads the chat screen's chunk", async () => {
  const home = mkdtempSync(join(tmpdir(), "parley-cold-"));
  const log = join(home, "modules.txt");
  const modules = () => (existsSync(log) ? readFileSync(log, "utf8").trim().split("\n") : []);
  // No relay is dialled before the handle is typed: a closed port will do.
  const t = spawnParley({ home, relay: "ws://127.0.0.1:9", nodeArgs: ["--import", hooks], env: { PARLEY_RESOLVE_LOG: log } });
  try {
    await t.waitFor("Choose a handle", 30_000);
    // After the first frame: the chat screen's chunk and the SDK.
    await until(() => modules().some((url) => /\/packages\/cli\/dist\/view\/App-[\w-]+\.js$/.test(url)), 30_000, "the chat screen's chunk");
    await until(() => modules().some((url) => url.endsWith("/packages/protocol/dist/node.js")), 30_000, "the SDK");
  } finally {
    t.kill();
    await t.exited;
  }
  const loaded = modules();
  rmSync(home, { recursive: true, force: true });
  expect(loaded.some((url) => url.endsWith("/packages/cli/dist/view/view.js"))).toBe(true);
  expect(loaded.filter((url) => /\/node_modules\/(ink|react|react-reconciler|scheduler|yoga-layout|node-emoji)\//.test(url))).toEqual([]);
  expect(loaded.filter((url) => /\/packages\/cli\/dist\/ui\/(root|Onboarding|App)\.js$/.test(url))).toEqual([]);
}, 60_000);
