// examples/node-chat runs as two processes that chat through a real relay.
import { execFile } from "node:child_process";
import { promisify } from "node:util";
import { afterAll, beforeAll, expect, test } from "vitest";
import { type RelayProcess, startRelay } from "./support/relay-process.js";

const run = promisify(execFile);
const script = new URL("../../examples/node-chat/chat.mjs", import.meta.url).pathname;
let relay: RelayProcess;

beforeAll(async () => {
  relay = await startRelay();
});
afterAll(async () => {
  await relay?.stop();
  relay?.cleanup();
});

test("two processes chat with examples/node-chat and see the same safety number", { timeout: 120_000 }, async () => {
  const options = { timeout: 90_000, cwd: new URL("../../", import.meta.url).pathname };
  const [alice, bob] = await Promise.all([
    run(process.execPath, [script, relay.wsUrl, "alice", "bob", "hi bob"], options),
    run(process.execPath, [script, relay.wsUrl, "bob", "alice", "hi alice"], options),
  ]);
  expect(alice.stdout).toContain("bob: hi alice");
  expect(bob.stdout).toContain("alice: hi bob");
  const number = (out: string) => out.match(/safety number with \w+: ([\d ]+)/)?.[1];
  expect(number(alice.stdout)).toMatch(/^(\d{5} ){11}\d{5}$/);
  expect(number(alice.stdout)).toBe(number(bob.stdout));
});
