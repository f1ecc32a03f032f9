// Two `parley` processes, each with its own PARLEY_HOME, chat through a real relay in real
// pseudo-terminals; a third user is a Node ParleyClient. Screens are saved under
// test-output/terminal/ for people to look at.
import { execFileSync } from "node:child_process";
import { randomBytes } from "node:crypto";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { MemoryStore, ParleyClient } from "@parley/protocol/client";
import { nodeTransport } from "@parley/protocol/node";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { waitFor } from "../support/clients.js";
import { sharedRelay } from "../support/fixtures.js";
import { type ParleyTerminal, spawnParley } from "./terminal.js";

const root = new URL("../../../", import.meta.url).pathname;
const shared = sharedRelay();
const run = Math.random().toString(36).slice(2, 7);
const homes: string[] = [];
const terminals: ParleyTerminal[] = [];

beforeAll(() => {
  // The binary under test is the built one, with the interactive view's bundle.
  execFileSync(process.execPath, [join(root, "node_modules/typescript/bin/tsc"), "-b", "packages/cli"], { cwd: root, stdio: "inherit" });
  execFileSync(process.execPath, [join(root, "packages/cli/scripts/bundle-view.mjs")], { cwd: root, stdio: "inherit" });
}, 120_000);

afterAll(async () => {
  for (const t of terminals) t.kill();
  for (const home of homes) rmSync(home, { recursive: true, force: true });
});

function home(): string {
  const dir = mkdtempSync(join(tmpdir(), "parley-tui-"));
  homes.push(dir);
  return dir;
}

/** What the program wrote, without colour and cursor sequences. */
function plainOutput(t: ParleyTerminal): string {
  // biome-ignore lint/suspicious/noControlCharactersInRegex: terminal escape sequences
  return t.output().replace(/\u001b\[[0-9;?]*[ -/]*[@-~]|\u001b\][^\u0007]*\u0007/g, "");
}

/**
 * Types a passphrase at a prompt: the prompt shows one • per character, and the passphrase
 * itself never reaches the terminal (neither drawn nor echoed back by the terminal).
 */
async function typeSecret(t: ParleyTerminal, secret: string): Promise<void> {
  await t.type(secret);
  await t.waitFor(`> ${"•".repeat([...secret].length)}`);
  expect(t.screen()).not.toContain(secret);
  expect(t.output()).not.toContain(secret);
}

/** First run: handle, display name, passphrase twice, then the chat screen. */
async function onboard(t: ParleyTerminal, handle: string, name: string): Promise<void> {
  await t.waitFor("Choose a handle");
  await t.type(handle);
  await t.key("enter");
  await t.waitFor("Your display name");
  await t.type(name);
  await t.key("enter");
  await t.waitFor("A passphrase to encrypt");
  await typeSecret(t, "correct horse battery");
  await t.key("enter");
  await t.waitFor("The passphrase again");
  await typeSecret(t, "correct horse battery");
  await t.key("enter");
  await t.waitFor(`@${handle} · Tab`, 30_000);
  expect(t.output()).not.toContain("correct horse battery");
}

async function command(t: ParleyTerminal, line: string): Promise<void> {
  await t.type(line);
  await t.key("enter");
}

describe("the interactive chat in a real terminal", () => {
  test("two terminal users and an SDK user: onboarding, messages, replies, reactions, typing, read marks, a file, a group", async () => {
    const relay = shared.relay.wsUrl;
    const alice = spawnParley({ home: home(), relay });
    const bob = spawnParley({ home: home(), relay });
    terminals.push(alice, bob);
    const [aliceHandle, bobHandle, carolHandle] = [`alice_${run}`, `bob_${run}`, `carol_${run}`];

    await alice.waitFor("Choose a handle");
    const firstScreen = await alice.firstScreenMs;
    console.log(`time to first drawn screen: ${firstScreen} ms`);
    alice.save("01-onboarding-handle");
    await Promise.all([onboard(alice, aliceHandle, "Alice"), onboard(bob, bobHandle, "Bob")]);
    alice.save("02-empty-chat");

    // A message: Bob's list shows the new conversation and opens it; Alice sees it read.
    await command(alice, `/msg @${bobHandle} hello from alice`);
    await bob.waitFor("hello from alice");
    await alice.waitFor(/hello from alice ●/);

    // Presence: once they are contacts, each sees the other online.
    await alice.waitFor(/● Bob/);
    await bob.waitFor(/● Alice/);

    // Typing shows on the other side while Bob types, then his message arrives.
    await bob.type("hi alice");
    await alice.waitFor("Bob is typing…");
    alice.save("03-typing");
    await bob.key("enter");
    await alice.waitFor(/Bob: hi alice/);

    // A reply quotes the message it answers; a reaction shows under it.
    await command(alice, "/reply 1 replying to my first");
    await bob.waitFor(/┌ 1 Alice: hello from alice/);
    await command(bob, "/react 1 :+1:");
    await alice.waitFor("👍");

    // An edit and a deletion.
    await command(alice, "/edit 3 replying, edited");
    await bob.waitFor("replying, edited (edited)");
    await command(bob, "oops");
    await bob.waitFor("you: oops");
    await command(bob, "/delete");
    await alice.waitFor("Bob: message deleted");

    // A file: Alice sends it, Bob sees its name, size and type, then saves it.
    const dir = home();
    const path = join(dir, "notes.txt");
    writeFileSync(path, "train 9:04, coach 7\n".repeat(200));
    await command(alice, `/file ${path}`);
    await alice.waitFor("Sent notes.txt.");
    await bob.waitFor(/📎 notes\.txt \(3\.9 KB, text\/plain\)/);
    bob.save("04-bob-conversation");
    await command(bob, `/save 5 ${dir}/saved`);
    await bob.waitFor(/Saved .*notes\.txt/);
    expect(readFileSync(join(dir, "saved", "notes.txt"), "utf8")).toBe(readFileSync(path, "utf8"));
    alice.save("05-alice-conversation");

    // Carol uses the SDK: she writes to Alice, who sees a new conversation with an unread count.
    const carol = await ParleyClient.create({ relayUrl: relay, store: new MemoryStore(), transport: nodeTransport, displayName: "Carol" });
    shared.clients.push(carol);
    await carol.connect({ timeoutMs: 20_000 });
    await carol.claimHandle(carolHandle);
    const carolToAlice = await carol.findContact(aliceHandle);
    await carol.sendText(carolToAlice.id, "hi alice, carol here");
    await alice.waitFor(/Carol \(1\)/);
    expect(alice.output()).toContain("\u0007");
    alice.save("06-alice-unread");

    // A group of three: Alice creates it, everyone writes.
    const joined = waitFor(carol, "group", () => true, 30_000);
    await command(alice, `/group create Weekend trip @${bobHandle} @${carolHandle}`);
    const group = await joined;
    await alice.waitFor(/created the group “Weekend trip”/);
    await bob.waitFor(/Weekend trip/);
    // Listening before Alice sends: the message can arrive before the command returns.
    const carolGot = waitFor(carol, "message", (m) => m.contactId === group.id && m.text === "plans anyone?", 30_000);
    await command(alice, "plans anyone?");
    await carolGot;
    await carol.sendText(group.id, "I'm in!");
    await alice.waitFor(/Carol: I'm in!/);
    // What is on screen is read: no unread count for the open group, nor for Bob's conversation read earlier.
    await alice.waitFor(/># Weekend trip {2}/);
    await alice.waitFor(/ ● Bob {2}/);
    await bob.key("ctrl+n");
    await bob.waitFor(/Carol: I'm in!/);
    alice.save("07-alice-group");
    await command(alice, "/group info");
    await alice.waitFor(/★ you .*admin/);
    await alice.waitFor(/3 members; everyone sends/);
    alice.save("07b-alice-group-info");
    await alice.key("escape");
    await command(alice, "/group rename Ski week");
    await bob.waitFor(/Alice renamed the group to “Ski week”/);
    await bob.waitFor(/# Ski week/);
    bob.save("08-bob-group");

    // Narrow terminals show one pane at a time; redraws on resize.
    alice.resize(60, 24);
    await alice.waitFor(/Tab: list\/chat/);
    alice.save("09-alice-narrow-chat");
    await alice.key("tab");
    await alice.waitFor(/>.*Ski week/);
    alice.save("10-alice-narrow-list");

    await command(bob, "/quit");
    expect(await bob.exited).toBe(0);
    await alice.key("ctrl+c");
    expect(await alice.exited).toBe(0);
  }, 180_000);

  test("a taken handle is asked again; a large file's upload shows a progress bar; /verify draws the safety number's QR code; a later run asks the passphrase and says when it is wrong; passphrases are never echoed", async () => {
    const relay = shared.relay.wsUrl;
    const erin = await ParleyClient.create({ relayUrl: relay, store: new MemoryStore(), transport: nodeTransport, displayName: "Erin" });
    shared.clients.push(erin);
    await erin.connect({ timeoutMs: 20_000 });
    const erinHandle = `erin_${run}`;
    await erin.claimHandle(erinHandle);

    const dir = home();
    const frank = spawnParley({ home: dir, relay });
    terminals.push(frank);
    await frank.waitFor("Choose a handle");
    await frank.type(erinHandle);
    await frank.key("enter");
    await frank.waitFor("Your display name");
    await frank.type("Frank");
    await frank.key("enter");
    await frank.waitFor("A passphrase to encrypt");
    await typeSecret(frank, "frank's passphrase");
    await frank.key("enter");
    await frank.waitFor("The passphrase again");
    await typeSecret(frank, "frank's passphrase");
    await frank.key("enter");
    await frank.waitFor("That handle is taken; try another one.", 30_000);
    frank.save("11-handle-taken");
    await frank.type(`frank_${run}`);
    await frank.key("enter");
    await frank.waitFor(`@frank_${run} · Tab`, 30_000);

    await command(frank, `/msg @${erinHandle} hello erin`);
    await frank.waitFor(/hello erin [✓●]/);

    // A large file: the status line shows the upload's progress bar while it goes, then Erin has it.
    const big = join(dir, "big.bin");
    writeFileSync(big, randomBytes(32 * 1024 * 1024));
    const erinGotFile = waitFor(erin, "message", (m) => m.attachment?.fileName === "big.bin", 90_000);
    await command(frank, `/file ${big}`);
    await frank.waitFor(/Uploading big\.bin \[[█░]{20}\] \d+%/, 30_000);
    await frank.waitFor("Sent big.bin.", 90_000);
    const shown = [...plainOutput(frank).matchAll(/Uploading big\.bin \[([█░]{20})\] (\d+)% of [\d.]+ MB/g)];
    const percents = shown.map((m) => Number(m[2]));
    expect(
      percents.some((p) => p > 0 && p < 100),
      `progress drawn: ${percents.join(", ")}`,
    ).toBe(true);
    // The bar fills with the percentage: 20 cells, one per 5 %.
    for (const [, bar = "", percent] of shown) expect([...bar].filter((c) => c === "█").length).toBe(Math.round(Number(percent) / 5));
    await erinGotFile;
    await command(frank, "/verify");
    await frank.waitFor("Safety number");
    const expected = (await erin.safetyNumber((await erin.findContact(`frank_${run}`)).id)).display;
    const screen = await frank.waitFor(/[▀▄█]{10}/);
    expect(screen.replace(/\s+/g, " ")).toContain(expected.split(" ").slice(0, 4).join(" "));
    frank.save("12-verify");
    await frank.key("escape");
    await command(frank, "/devices");
    await frank.waitFor(/1 {2}\(this device\)/);
    await command(frank, "/settings typing");
    await frank.waitFor(/typing indicators {2}off/);
    frank.save("12b-settings");
    await frank.key("escape");
    await command(frank, "/quit");
    expect(await frank.exited).toBe(0);

    // The next run opens the same profile: a wrong passphrase is refused, the right one opens it.
    const again = spawnParley({ home: dir, relay });
    terminals.push(again);
    await again.waitFor(`Passphrase for profile "default"`);
    console.log(`time to first drawn screen (returning user): ${await again.firstScreenMs} ms`);
    await typeSecret(again, "not it at all");
    await again.key("enter");
    await again.waitFor("That passphrase is not right.", 30_000);
    again.save("13-wrong-passphrase");
    await typeSecret(again, "frank's passphrase");
    await again.key("enter");
    await again.waitFor(/hello erin/, 30_000);
    again.save("14-reopened");
    await again.key("ctrl+c");
    expect(await again.exited).toBe(0);
    for (const secret of ["not it at all", "frank's passphrase"]) expect(again.output()).not.toContain(secret);
  }, 240_000);
});
