// Calls in the terminal client: the real `parley` binary in a pseudo-terminal and a caller using
// the SDK through a real relay. The terminal has no media and never answers: a call rings it
// (the bell, and the notice "Bob is calling — answer in the web client" above the input) until
// the caller gives up, and then the conversation shows the missed call as a history line.
import { execFileSync } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { CallInfo, CallLeg, CallMediaHandler } from "@parley/protocol/client";
import { MemoryStore, ParleyClient } from "@parley/protocol/client";
import { nodeTransport } from "@parley/protocol/node";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { sharedRelay } from "../support/fixtures.js";
import { type ParleyTerminal, spawnParley } from "./terminal.js";

const root = new URL("../../../", import.meta.url).pathname;
const shared = sharedRelay();
const run = Math.random().toString(36).slice(2, 7);
const homes: string[] = [];
const terminals: ParleyTerminal[] = [];

beforeAll(() => {
  execFileSync(process.execPath, [join(root, "node_modules/typescript/bin/tsc"), "-b", "packages/cli"], { cwd: root, stdio: "inherit" });
  execFileSync(process.execPath, [join(root, "packages/cli/scripts/bundle-view.mjs")], { cwd: root, stdio: "inherit" });
}, 120_000);

afterAll(() => {
  for (const t of terminals) t.kill();
  for (const home of homes) rmSync(home, { recursive: true, force: true });
});

/** The caller's stand-in for WebRTC: opaque SDP strings (the SDK never looks inside). */
const media: CallMediaHandler = {
  createOffer: async (leg: CallLeg) => `v=0 offer to ${leg.peer.slice(0, 8)}`,
  answerOffer: async () => "v=0 answer",
  applyAnswer: async () => {},
  addRemoteCandidates: () => {},
  closeLeg: () => {},
};

/** The next `state` of `client`'s calls matching `filter`, or a rejection after `ms`. */
function nextState(client: ParleyClient, filter: (c: CallInfo) => boolean, ms = 20_000): Promise<CallInfo> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      off();
      reject(new Error("timed out waiting for a call state"));
    }, ms);
    const off = client.calls.on("state", (call) => {
      if (!filter(call)) return;
      clearTimeout(timer);
      off();
      resolve(call);
    });
  });
}

describe("calls in a real terminal", () => {
  test("an incoming call rings with a notice to answer in the web client; a cancelled one is a missed call line", async () => {
    const relay = shared.relay.wsUrl;
    const home = mkdtempSync(join(tmpdir(), "parley-tui-calls-"));
    homes.push(home);
    const carl = spawnParley({ home, relay });
    terminals.push(carl);
    const [carlHandle, bobHandle] = [`carl_${run}`, `bobc_${run}`];
    await carl.waitFor("Choose a handle");
    await carl.type(carlHandle);
    await carl.key("enter");
    await carl.waitFor("Your display name");
    await carl.type("Carl");
    await carl.key("enter");
    for (const prompt of ["A passphrase to encrypt", "The passphrase again"]) {
      await carl.waitFor(prompt);
      await carl.type("correct horse battery");
      await carl.key("enter");
    }
    await carl.waitFor(`@${carlHandle} · Tab`, 30_000);

    const bob = await ParleyClient.create({ relayUrl: relay, store: new MemoryStore(), transport: nodeTransport, displayName: "Bob" });
    shared.clients.push(bob);
    bob.calls.setMedia(media);
    await bob.connect({ timeoutMs: 20_000 });
    await bob.claimHandle(bobHandle);
    const carlAtBob = await bob.findContact(carlHandle);
    await bob.sendText(carlAtBob.id, "calling you in a second");
    await carl.waitFor("Bob: calling you in a second");
    const bellsBefore = carl.output().split("\u0007").length;

    // Bob calls: Carl's terminal rings and says where to answer.
    const ringing = nextState(bob, (c) => c.remoteRinging);
    const call = await bob.calls.start(carlAtBob.id, { video: false });
    await ringing;
    await carl.waitFor("☎ Bob is calling — answer in the web client");
    expect(carl.output().split("\u0007").length).toBeGreaterThan(bellsBefore);
    carl.save("calls-01-ringing");

    // Bob gives up: the notice goes and the conversation shows the missed call.
    const ended = nextState(bob, (c) => c.id === call.id && c.state === "ended");
    await bob.calls.hangup(call.id);
    await ended;
    await carl.waitFor(/☎ Missed voice call from Bob/);
    expect(carl.screen()).not.toContain("is calling");
    carl.save("calls-02-missed");

    // A video call rings as one.
    const second = await bob.calls.start(carlAtBob.id, { video: true });
    await carl.waitFor("☎ Bob is calling (video) — answer in the web client");
    await bob.calls.hangup(second.id);
    await carl.waitFor(/☎ Missed video call from Bob/);
    expect(carl.screen()).not.toContain("is calling");

    await carl.key("ctrl+c");
    expect(await carl.exited).toBe(0);
  }, 150_000);
});
