// examples/echo-bot as a user runs it: `parley read --json --follow | node bot.mjs` in a shell,
// against a real relay; another profile writes to it and reads the echo.
import { spawn } from "node:child_process";
import { existsSync } from "node:fs";
import { join } from "node:path";
import { beforeAll, expect, test } from "vitest";
import { sharedRelay } from "../support/fixtures.js";
import { buildCli, cliBin, jsonLines, newProfile, parley, profileEnv, root, until } from "./support/cli.js";

const shared = sharedRelay();
beforeAll(() => buildCli(), 120_000);

test("the echo bot answers a text through the pipe, as a reply in the same conversation", { timeout: 120_000 }, async () => {
  const bot = newProfile(shared.relay.wsUrl);
  const user = newProfile(shared.relay.wsUrl);
  expect((await parley(bot, ["init", "--handle", "echo_bot", "--name", "Echo bot"])).code).toBe(0);
  expect((await parley(user, ["init", "--handle", "someone"])).code).toBe(0);

  const env = profileEnv(bot, { PARLEY_HOME: bot.home, PARLEY_RELAY: bot.relay, PARLEY_BIN: `${process.execPath} ${cliBin}` });
  const pipeline = spawn(
    "sh",
    ["-c", `"${process.execPath}" "${cliBin}" read --json --follow | "${process.execPath}" examples/echo-bot/bot.mjs`],
    {
      cwd: root,
      env,
      detached: true,
      stdio: ["ignore", "pipe", "pipe"],
    },
  );
  let log = "";
  pipeline.stderr.on("data", (d) => {
    log += d;
  });
  const exited = new Promise((resolve) => pipeline.once("exit", resolve));
  try {
    await until(() => existsSync(join(bot.home, "profiles/default/control.sock")), 30_000, "the bot to listen");
    expect((await parley(user, ["send", "@echo_bot", "hello bot"])).code).toBe(0);
    let echo: Record<string, unknown> | undefined;
    const deadline = Date.now() + 60_000;
    while (!echo && Date.now() < deadline) {
      const read = await parley(user, ["read", "--json"]);
      expect(read.code, read.stderr).toBe(0);
      echo = jsonLines(read.stdout).find((l) => l.text === "echo: hello bot");
    }
    expect(echo, log).toMatchObject({
      conversation: "@echo_bot",
      from: { handle: "echo_bot", name: "Echo bot" },
      reply: { text: "hello bot" },
    });
    expect(log).toContain('said "hello bot"');
  } finally {
    // The whole pipeline: SIGTERM to its process group; `parley read --follow` exits 0 on it.
    if (pipeline.pid !== undefined) process.kill(-pipeline.pid, "SIGTERM");
    await exited;
  }
});
