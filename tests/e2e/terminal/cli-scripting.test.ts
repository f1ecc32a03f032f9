// The scriptable `parley` commands as real processes against a real relay: two profiles (each
// with its own --home) set up with `init`, texts both ways, JSON lines, a file, a group, a
// Node ParleyClient user in the same conversations, `read --follow`, and the exit codes of
// user errors.
import { existsSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { MemoryStore, ParleyClient } from "@parley/protocol/client";
import { nodeTransport } from "@parley/protocol/node";
import { beforeAll, describe, expect, test } from "vitest";
import { sharedRelay } from "../support/fixtures.js";
import { buildCli, jsonLines, newProfile, type Profile, parley, spawnParley, until } from "./support/cli.js";

const shared = sharedRelay();
let alice: Profile;
let bob: Profile;

beforeAll(() => buildCli(), 120_000);

/** Exactly one line on stderr, naming no stack frame. */
function oneSentence(stderr: string): void {
  expect(stderr.trim().split("\n"), stderr).toHaveLength(1);
  expect(stderr).not.toMatch(/\n\s+at /);
  expect(stderr).toMatch(/^parley: /);
}

describe.sequential("parley scriptable commands", () => {
  test("init creates and registers two profiles; whoami reads them offline", { timeout: 60_000 }, async () => {
    alice = newProfile(shared.relay.wsUrl);
    bob = newProfile(shared.relay.wsUrl);
    const [a, b] = await Promise.all([
      parley(alice, ["init", "--handle", "alice", "--name", "Alice Liddell"]),
      parley(bob, ["init", "--handle", "bob", "--name", "Bob"]),
    ]);
    expect(a, a.stderr).toMatchObject({ code: 0 });
    expect(b, b.stderr).toMatchObject({ code: 0 });
    const me = await parley(alice, ["whoami", "--json", "--relay", "ws://127.0.0.1:1"]);
    expect(me.code, me.stderr).toBe(0);
    expect(JSON.parse(me.stdout)).toMatchObject({ handle: "alice", name: "Alice Liddell", deviceId: 1, primary: true });
    // Again with the same handle: nothing to do.
    expect((await parley(alice, ["init", "--handle", "alice"])).code).toBe(0);
  });

  test("a taken handle keeps the account, and init --handle OTHER claims another", { timeout: 60_000 }, async () => {
    const carol = newProfile(shared.relay.wsUrl);
    const taken = await parley(carol, ["init", "--handle", "alice", "--name", "Carol"]);
    expect(taken.code).toBe(1);
    oneSentence(taken.stderr);
    expect(taken.stderr).toContain("run `parley init --handle OTHER`");
    const retry = await parley(carol, ["init", "--handle", "carol_cli"]);
    expect(retry.code, retry.stderr).toBe(0);
    expect(JSON.parse((await parley(carol, ["whoami", "--json"])).stdout)).toMatchObject({ handle: "carol_cli", name: "Carol" });
    // A profile with a handle does not take a second one by init.
    expect((await parley(carol, ["init", "--handle", "carol_two"])).code).toBe(2);
  });

  test("texts go both ways; read --json prints documented lines once, then nothing", { timeout: 90_000 }, async () => {
    expect((await parley(alice, ["send", "@bob", "hello bob"])).code).toBe(0);
    expect((await parley(alice, ["send", "@bob"], { input: "from standard input\nsecond line\n" })).code).toBe(0);
    const read = await parley(bob, ["read", "--json"]);
    expect(read.code, read.stderr).toBe(0);
    const lines = jsonLines(read.stdout);
    expect(lines.map((l) => l.text)).toEqual(["hello bob", "from standard input\nsecond line"]);
    const first = lines[0] as Record<string, unknown>;
    expect(Object.keys(first).sort()).toEqual(["conversation", "from", "id", "kind", "outgoing", "text", "time"]);
    // Bob never looked Alice up: he knows her name (her profile) and user id, not her handle.
    expect(first).toMatchObject({ kind: "text", outgoing: false, conversation: expect.stringMatching(/^[0-9a-f]{32}$/) });
    expect(first.from).toEqual({ name: "Alice Liddell", userId: first.conversation });
    expect(first.id).toMatch(/^[0-9a-f]{32}$/);
    expect(new Date(first.time as string).toISOString()).toBe(first.time);
    expect((await parley(bob, ["read", "--json"])).stdout).toBe("");

    // Bob answers; a reply, and a readable line on Alice's side.
    expect((await parley(bob, ["send", "@alice", "hi alice", "--reply-to", first.id as string])).code).toBe(0);
    const back = await parley(alice, ["read"]);
    expect(back.code, back.stderr).toBe(0);
    expect(back.stdout).toMatch(/^\d\d:\d\d Bob \(@bob\) \(reply to "hello bob"\): hi alice\n$/);
  });

  test("a file goes as an attachment with name, size and type", { timeout: 90_000 }, async () => {
    const path = join(alice.home, "notes.txt");
    writeFileSync(path, "train at 9:04\n".repeat(1000));
    const sent = await parley(alice, ["send", "@bob", "--file", path, "the notes"]);
    expect(sent.code, sent.stderr).toBe(0);
    expect(sent.stderr).toBe(""); // Progress only on a terminal.
    const [line] = jsonLines((await parley(bob, ["read", "--json"])).stdout);
    expect(line).toMatchObject({
      kind: "attachment",
      text: "the notes",
      attachment: { name: "notes.txt", size: 14_000, type: "text/plain" },
    });
  });

  test("a CLI user chats with a Node ParleyClient user, and sends to a group it made", { timeout: 120_000 }, async () => {
    const dave = await ParleyClient.create({
      relayUrl: shared.relay.wsUrl,
      store: new MemoryStore(),
      transport: nodeTransport,
      displayName: "Dave",
    });
    shared.clients.push(dave);
    await dave.connect({ timeoutMs: 20_000 });
    await dave.claimHandle("dave");
    // CLI → SDK.
    const fromAlice = dave.once("message", (m) => m.text === "hi dave from the terminal");
    const fromBob = dave.once("message", (m) => m.text === "bob here");
    expect((await parley(alice, ["send", "@dave", "hi dave from the terminal"])).code).toBe(0);
    expect((await parley(bob, ["send", "@dave", "bob here"])).code).toBe(0);
    const aliceAtDave = (await fromAlice).contactId;
    const bobAtDave = (await fromBob).contactId;
    // SDK → CLI.
    await dave.sendText(aliceAtDave, "hi alice from node");
    await dave.flush();
    const lines = jsonLines((await parley(alice, ["read", "--json"])).stdout);
    expect(lines).toContainEqual(
      expect.objectContaining({ text: "hi alice from node", from: expect.objectContaining({ handle: "dave", name: "Dave" }) }),
    );

    // A group Dave creates; the CLI users see it and send to it by name.
    const group = await dave.groups.create({ name: "Trip", members: [aliceAtDave, bobAtDave] });
    await dave.flush();
    const inGroup = dave.once("message", (m) => m.contactId === group.id && m.text === "alice to the group");
    expect((await parley(alice, ["read"])).code).toBe(0); // Receives the group.
    const groups = await parley(alice, ["groups", "--json"]);
    expect(JSON.parse(groups.stdout)).toContainEqual(expect.objectContaining({ id: group.id, name: "Trip", active: true }));
    const sent = await parley(alice, ["send", "--group", "Trip", "alice to the group"]);
    expect(sent.code, sent.stderr).toBe(0);
    expect((await inGroup).sender).toBe(JSON.parse((await parley(alice, ["whoami", "--json"])).stdout).userId);
    const atBob = jsonLines((await parley(bob, ["read", "--json"])).stdout).find((l) => l.text === "alice to the group");
    expect(atBob).toMatchObject({ conversation: group.id, group: "Trip", from: { name: "Alice Liddell" } });
    expect((await parley(bob, ["send", "--group", "Nope", "x"])).code).toBe(5);
  });

  test("read --follow prints as messages arrive, sends for parley send, and exits 0 on SIGINT (Ctrl-C)", { timeout: 90_000 }, async () => {
    const follower = spawnParley(bob, ["read", "--json", "--follow"]);
    // The control socket appears once the backlog is printed and the follower listens.
    await until(() => existsSync(join(bob.home, "profiles/default/control.sock")), 30_000, "the follower's control socket");
    expect((await parley(alice, ["send", "@bob", "live 1"])).code).toBe(0);
    const line = JSON.parse(await follower.waitFor((l) => l.includes("live 1")));
    expect(line).toMatchObject({ kind: "text", text: "live 1", from: { name: "Alice Liddell" } });
    // While the follower holds the profile, send goes through it.
    const viaFollower = await parley(bob, ["send", "@alice", "sent while following"]);
    expect(viaFollower.code, viaFollower.stderr).toBe(0);
    // ... and still checks the passphrase.
    const wrong = await parley({ ...bob, passphrase: "wrong" }, ["send", "@alice", "x"]);
    expect(wrong.code).toBe(4);
    follower.child.kill("SIGINT"); // SIGTERM: the echo bot test.
    expect(await follower.exited).toBe(0);
    expect(follower.stdout()).not.toContain("sent while following"); // Its own sends are not mail.
    expect(existsSync(join(bob.home, "profiles/default/control.sock"))).toBe(false);
    expect(jsonLines((await parley(alice, ["read", "--json"])).stdout).map((l) => l.text)).toContain("sent while following");
    // Marked read as printed: nothing is left for the next read.
    expect(jsonLines((await parley(bob, ["read", "--json"])).stdout).map((l) => l.text)).not.toContain("live 1");
  });

  test("user errors: one sentence on stderr and their exit codes", { timeout: 60_000 }, async () => {
    const unknown = await parley(alice, ["send", "@nobody_here", "hi"]);
    expect(unknown.code).toBe(5);
    oneSentence(unknown.stderr);
    const wrong = await parley({ ...alice, passphrase: "not it" }, ["read"]);
    expect(wrong.code).toBe(4);
    expect(wrong.stderr).toBe("parley: the passphrase does not open this profile\n");
    const empty = newProfile(shared.relay.wsUrl);
    const none = await parley(empty, ["read"]);
    expect(none.code).toBe(3);
    oneSentence(none.stderr);
    const bad = await parley(alice, ["read", "--folow"]);
    expect(bad.code).toBe(2);
    oneSentence(bad.stderr);
    const noPassphrase = await parley(alice, ["whoami"], { env: { PATH: process.env.PATH ?? "" } });
    expect(noPassphrase.code).toBe(4);
    const missingFile = await parley(alice, ["send", "@bob", "--file", "/nonexistent/x.bin"]);
    expect(missingFile.code).toBe(5);
    oneSentence(missingFile.stderr);
    const down = await parley({ ...alice, relay: "ws://127.0.0.1:9" }, ["send", "@bob", "x"], {});
    expect(down.code).toBe(1);
    oneSentence(down.stderr);
  });

  test("verify prints the same safety number on both sides, with a QR code", { timeout: 60_000 }, async () => {
    const [a, b] = [await parley(alice, ["verify", "@bob", "--json"]), await parley(bob, ["verify", "@alice", "--json"])];
    expect(a.code, a.stderr).toBe(0);
    expect(b.code, b.stderr).toBe(0);
    expect(JSON.parse(a.stdout).digits).toMatch(/^\d{60}$/);
    expect(JSON.parse(a.stdout).digits).toBe(JSON.parse(b.stdout).digits);
    const text = await parley(alice, ["verify", "@bob"]);
    expect(text.stdout).toContain(JSON.parse(a.stdout).display.split(" ").slice(0, 4).join(" "));
    expect(text.stdout).toMatch(/[▀▄█]/);
  });

  test("verify --matches marks a contact verified only when the digits are the safety number", { timeout: 60_000 }, async () => {
    const digits = JSON.parse((await parley(bob, ["verify", "@alice", "--json"])).stdout).digits as string;
    const wrong = `${digits.slice(0, 59)}${(Number(digits[59]) + 1) % 10}`;
    const refused = await parley(alice, ["verify", "@bob", "--matches", wrong]);
    expect(refused.code).toBe(1);
    oneSentence(refused.stderr);
    expect(refused.stderr).toContain("nothing was marked");
    expect(JSON.parse((await parley(alice, ["verify", "@bob", "--json"])).stdout).verified).toBe(false);
    // Not 60 digits: a usage error, before the profile is opened.
    expect((await parley(alice, ["verify", "@bob", "--matches", "12345"])).code).toBe(2);
    // The digits as the other side reads them out, in groups of five.
    const grouped = digits.replace(/(\d{5})(?!$)/g, "$1 ");
    const ok = await parley(alice, ["verify", "@bob", "--matches", grouped]);
    expect(ok.code, ok.stderr).toBe(0);
    expect(ok.stdout).toContain("@bob is now verified");
    const contacts = JSON.parse((await parley(alice, ["contacts", "--json"])).stdout) as { handle?: string; verified: boolean }[];
    expect(contacts.find((c) => c.handle === "bob")?.verified).toBe(true);
  });

  test("a handle that moves to another account: verify reports it, sending is blocked, --accept unblocks", {
    timeout: 120_000,
  }, async () => {
    const sdk = (name: string) =>
      ParleyClient.create({ relayUrl: shared.relay.wsUrl, store: new MemoryStore(), transport: nodeTransport, displayName: name });
    const [erin, mallory] = [await sdk("Erin"), await sdk("Mallory")];
    shared.clients.push(erin, mallory);
    await Promise.all([erin.connect({ timeoutMs: 20_000 }), mallory.connect({ timeoutMs: 20_000 })]);
    await erin.claimHandle("erin_moves");
    const before = JSON.parse((await parley(alice, ["verify", "@erin_moves", "--json"])).stdout);
    expect(before).toMatchObject({ identityChanged: false, verified: false });
    expect((await parley(alice, ["verify", "@erin_moves", "--matches", before.digits])).code).toBe(0);

    // Erin takes another handle; Mallory takes hers.
    await erin.claimHandle("erin_moved");
    await mallory.claimHandle("erin_moves");
    const noticed = await parley(alice, ["verify", "@erin_moves"]);
    expect(noticed.code, noticed.stderr).toBe(0);
    expect(noticed.stdout).toContain("@erin_moves's identity changed");
    const json = JSON.parse((await parley(alice, ["verify", "@erin_moves", "--json"])).stdout);
    expect(json).toMatchObject({ identityChanged: true, verified: false, accepted: false });
    const blocked = await parley(alice, ["send", "@erin_moves", "still you?"]);
    expect(blocked.code).toBe(1);
    oneSentence(blocked.stderr);
    expect(blocked.stderr).toContain("--accept");
    // --matches cannot verify an identity that is not accepted yet.
    const early = await parley(alice, ["verify", "@erin_moves", "--matches", json.digits]);
    expect(early.code).toBe(1);
    expect(early.stderr).toContain("accept it first");

    const accepted = await parley(alice, ["verify", "@erin_moves", "--accept", "--json"]);
    expect(accepted.code, accepted.stderr).toBe(0);
    const after = JSON.parse(accepted.stdout);
    expect(after).toMatchObject({ identityChanged: false, verified: false, accepted: true });
    expect(after.digits).not.toBe(before.digits);
    const atMallory = mallory.once("message", (m) => m.text === "who are you now?");
    expect((await parley(alice, ["send", "@erin_moves", "who are you now?"])).code).toBe(0);
    await atMallory;
  });
});
