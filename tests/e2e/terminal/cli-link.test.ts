// `parley link`: a terminal profile becomes a new device of an account that exists elsewhere (a
// Node ParleyClient here, the primary). The CLI prints a request and a code; the primary checks
// the code and gives an approval; `parley link --approval` finishes. The new device is the same
// account (same user id and handle) and receives what is sent to that account from then on.

import { randomBytes } from "node:crypto";
import { MemoryStore, ParleyClient } from "@parley/protocol/client";
import { nodeTransport } from "@parley/protocol/node";
import { beforeAll, describe, expect, test } from "vitest";
import { eventually } from "../support/clients.js";
import { sharedRelay } from "../support/fixtures.js";
import { buildCli, jsonLines, newProfile, parley } from "./support/cli.js";

const shared = sharedRelay();
beforeAll(() => buildCli(), 120_000);

describe("parley link", () => {
  test("makes the profile a new device of an existing account, which then receives its messages", async () => {
    const relay = shared.relay.wsUrl;
    const open = (name: string) =>
      ParleyClient.create({ relayUrl: relay, store: new MemoryStore(), transport: nodeTransport, displayName: name });
    const [alice, bob] = await Promise.all([open("Alice"), open("Bob")]);
    shared.clients.push(alice, bob);
    await Promise.all([alice.connect(), bob.connect()]);
    const handle = `link${randomBytes(3).toString("hex")}`;
    await alice.claimHandle(handle);

    const device = newProfile(relay);
    const asked = await parley(device, ["link"]);
    expect(asked.code, asked.stderr).toBe(0);
    const request = asked.stdout.split("\n").find((line) => line.length > 60) ?? "";
    const code = /It must show this code: ([\d ]+)/.exec(asked.stdout)?.[1]?.replace(/ /g, "");
    expect(asked.stdout).toContain("parley link --approval TEXT");

    const pending = await alice.approveLink(request);
    expect(pending.code.replace(/ /g, "")).toBe(code);
    const approval = await pending.confirm(pending.code);
    const done = await parley(device, ["link", "--approval", approval]);
    expect(done.code, done.stderr).toBe(0);
    expect(done.stdout).toMatch(new RegExp(`now device \\d+ of @${handle}`));

    const me = await parley(device, ["whoami", "--json"]);
    expect(me.code, me.stderr).toBe(0);
    expect(JSON.parse(me.stdout).userId).toBe(alice.userId);

    // Bob writes to the account: the new device reads it.
    const aliceAtBob = await bob.findContact(handle);
    await bob.sendText(aliceAtBob.id, "to every device of yours");
    await bob.flush();
    await eventually(async () => {
      const read = await parley(device, ["read", "--json"]);
      return jsonLines(read.stdout).some((m) => m.text === "to every device of yours");
    }, 30_000);

    // Linking again into a profile that has an account is refused.
    const again = await parley(device, ["link"]);
    expect(again.code).toBe(2);
    expect(again.stderr).toContain("already has an account");
  });
});
