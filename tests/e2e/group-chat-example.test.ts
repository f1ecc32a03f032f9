// examples/group-chat runs against a real relay: a group, a text, a file, a removal.
import { execFile } from "node:child_process";
import { readFileSync } from "node:fs";
import { promisify } from "node:util";
import { afterAll, beforeAll, expect, test } from "vitest";
import { type RelayProcess, startRelay } from "./support/relay-process.js";

const run = promisify(execFile);
const root = new URL("../../", import.meta.url).pathname;
const script = new URL("../../examples/group-chat/group.mjs", import.meta.url).pathname;
let relay: RelayProcess;

beforeAll(async () => {
  relay = await startRelay();
});
afterAll(async () => {
  await relay?.stop();
  relay?.cleanup();
});

test("examples/group-chat: a group gets a text and a file, and a removed member reads nothing after", { timeout: 60_000 }, async () => {
  const { stdout } = await run(process.execPath, [script, relay.wsUrl], { timeout: 45_000, cwd: root });
  expect(stdout).toContain('Bob is in "Weekend trip" with 3 members');
  expect(stdout).toContain("Bob got: Tickets attached!");
  expect(stdout).toContain("Bob opened tickets.txt: Train 9:04, coach 7, seats 41-43");
  expect(stdout).toContain("Carol removed; she reads the next message: false");
});

test("the package README's group example is the example file, verbatim", () => {
  const readme = readFileSync(`${root}packages/protocol/README.md`, "utf8");
  const block = readme.match(/```js\n(\/\/ A group chat with a file[\s\S]*?)```/)?.[1];
  expect(block).toBe(readFileSync(script, "utf8"));
});
