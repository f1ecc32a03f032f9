// A group's picture without a message: `groups.setPicture` uploads the image encrypted like any
// attachment and sets its pointer as the group's avatar. Members get the picture with the group
// change and download it verified; nothing is posted in the conversation; a member who may not
// edit the group's info is refused before anything is uploaded. `uploadFile` uploads without
// sending and is never listed as an unfinished upload.

import { randomBytes } from "node:crypto";
import { readdirSync } from "node:fs";
import { join } from "node:path";
import { decodeAttachmentPointer, ErrorCode } from "@parley/protocol";
import type { ParleyClient } from "@parley/protocol/client";
import { describe, expect, test } from "vitest";
import { errorCodeOf, eventually, newClient, readAll, waitFor } from "./support/clients.js";
import { perTestCleanups } from "./support/fixtures.js";

const { cleanups, relay: relayForTest } = perTestCleanups();

describe("a group picture", () => {
  test("reaches every member verified, posts no message, and is refused up front to a member who may not edit", async () => {
    const relay = await relayForTest();
    const [alice, bob] = await Promise.all([newClient(relay.wsUrl, "Alice"), newClient(relay.wsUrl, "Bob")]);
    cleanups.push(...[alice, bob].map((c) => () => c.close()));
    const handle = `pbob${randomBytes(3).toString("hex")}`;
    await bob.claimHandle(handle);
    const bobAtAlice = await alice.findContact(handle);
    const joined = waitFor(bob, "group", () => true);
    const group = await alice.groups.create({ name: "Pictures", members: [bobAtAlice.id] });
    await joined;

    const picture = new Uint8Array(randomBytes(20_000));
    const atBob = waitFor(bob, "group", (g) => g.avatar !== undefined, 30_000);
    const info = await alice.groups.setPicture(group.id, new Blob([picture], { type: "image/jpeg" }), { fileName: "group.jpg" });
    expect(info.avatar).toBeDefined();
    const received = await atBob;
    expect(received.avatar).toEqual(info.avatar);
    const pointer = decodeAttachmentPointer(received.avatar as Uint8Array);
    expect(pointer.size).toBe(picture.length);
    expect(pointer.contentType).toBe("image/jpeg");
    expect(await readAll(bob.openAttachment(pointer))).toEqual(Buffer.from(picture));
    // Only notice lines in the conversation, on both sides; no upload left behind.
    for (const client of [alice, bob] as ParleyClient[]) {
      await eventually(async () => (await client.messages(group.id)).some((m) => m.kind === "notice"));
      expect((await client.messages(group.id)).filter((m) => m.attachment !== undefined)).toEqual([]);
    }
    expect(await alice.pendingUploads()).toEqual([]);

    // Info editing for admins only: Bob is refused before uploading.
    await alice.groups.setSettings(group.id, { editInfo: "admins" });
    await eventually(async () => (await bob.groups.get(group.id))?.settings.editInfo === "admins");
    const blobs = () => readdirSync(join(relay.dataDir, "blobs"), { recursive: true }).length;
    const before = blobs();
    expect(await errorCodeOf(() => bob.groups.setPicture(group.id, new Blob([picture])))).toBe(ErrorCode.GroupPermission);
    expect(blobs()).toBe(before);
    expect(await errorCodeOf(() => bob.groups.setPicture("group:00000000000000000000000000000000", new Blob([picture])))).toBe(
      ErrorCode.NotGroupMember,
    );
  });

  test("uploadFile uploads without sending; the pointer can be sent later; it is never an unfinished upload", async () => {
    const relay = await relayForTest();
    const [alice, bob] = await Promise.all([newClient(relay.wsUrl, "Alice"), newClient(relay.wsUrl, "Bob")]);
    cleanups.push(...[alice, bob].map((c) => () => c.close()));
    const handle = `ubob${randomBytes(3).toString("hex")}`;
    await bob.claimHandle(handle);
    const bobAtAlice = await alice.findContact(handle);
    const bytes = new Uint8Array(randomBytes(300_000));
    const pointer = await alice.uploadFile(new Blob([bytes], { type: "application/pdf" }), { fileName: "report.pdf" });
    expect(pointer.fileName).toBe("report.pdf");
    expect(await alice.pendingUploads()).toEqual([]);
    expect(await alice.messages(bobAtAlice.id)).toEqual([]);
    const arrived = waitFor(bob, "message", (m) => m.attachment !== undefined, 30_000);
    await alice.sendFile(bobAtAlice.id, pointer);
    const message = await arrived;
    expect(message.attachment?.fileName).toBe("report.pdf");
    expect(await readAll(bob.openAttachment(message))).toEqual(Buffer.from(bytes));
  });
});
