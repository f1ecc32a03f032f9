// `parley --help` and `--version` must start fast: they may load the argument parser and the
// help text, never the client (its crypto), Ink or React. Checked on the built binary by logging
// every module Node resolves.
import { execFile } from "node:child_process";
import { mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { beforeAll, expect, test } from "vitest";
import { buildCli, cliBin } from "./support/cli.js";

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
