// Groups in the web client end to end: Alice (desktop browser) creates a group with Bob (phone
// browser) and Carol (a Node ParleyClient) through the New group screen; messages flow all ways;
// on the Group info screen Alice promotes and demotes Bob, makes it an announcement group (Carol's
// send is refused), removes Bob (he sees the notice line, cannot send, and stops receiving), and
// leaves as the last admin naming Carol as her successor. Screenshots and axe at both sizes.
import type { ChatMessage, GroupInfo, ParleyClient } from "@parley/protocol/client";
import { expect, onTestFailed } from "vitest";
import { collect, newClient, waitFor } from "../support/clients.js";
import { appears, composer, drawPng, GroupInfoPage, go, NewGroupPage, sendText, shotBoth } from "./support/groups-page.js";
import { PHONE, shot, signUp, useWebSetup, webTest } from "./support/web.js";

const PART = "groups";
let carol: ParleyClient | undefined;

const web = useWebSetup({
  teardown: async () => {
    await carol?.close();
  },
});

webTest("a group of three made in the browser: messages, roles, settings, removal and leaving", { timeout: 240_000 }, async () => {
  const [alice, bob] = await Promise.all([
    signUp(web.browser, web.relay, "alice", "Alice"),
    signUp(web.browser, web.relay, "bob", "Bob", PHONE),
  ]);
  const consoleLines: string[] = [];
  alice.page.on("console", (m) => consoleLines.push(`alice ${m.type()}: ${m.text()}`));
  onTestFailed(async () => {
    console.log(consoleLines.join("\n"));
    await shot(alice.page, PART, "failure-alice");
    await shot(bob.page, PART, "failure-bob");
  });
  carol = await newClient(web.relay.wsUrl, "Carol");
  await carol.claimHandle("carol");
  const carolMessages = collect(carol, "message");

  // New group: a handle nobody has is refused with a sentence; two real ones become chips.
  const newGroup = new NewGroupPage(alice.page);
  await newGroup.open();
  await newGroup.setName("Hikers");
  await newGroup.addMember("nobody-here");
  await appears(alice.page.getByRole("alert").filter({ hasText: "No one has that handle." }));
  await newGroup.addMember("bob");
  await expect.poll(() => newGroup.chips().count(), { timeout: 15_000 }).toBe(1);
  await newGroup.addMember("@carol");
  await expect.poll(() => newGroup.chips().count(), { timeout: 15_000 }).toBe(2);
  await alice.page.getByLabel("Add member by handle").fill("");
  // The picture is a group change made right after the creation, racing the new members'
  // first changes (their delivery tokens): every member must still end up with it.
  await alice.page
    .getByLabel("Add a picture")
    .setInputFiles({ name: "hills.png", mimeType: "image/png", buffer: await drawPng(alice.page) });
  await alice.page.getByRole("button", { name: "Remove picture" }).waitFor();
  await shotBoth(alice.page, PART, "new-group");

  const carolJoined = waitFor(carol, "group", (g) => g.name === "Hikers", 30_000);
  const carolPicture = waitFor(carol, "group", (g: GroupInfo) => g.name === "Hikers" && (g.avatar?.length ?? 0) > 0, 60_000);
  const groupId = await newGroup.create();
  await alice.page.getByRole("main").getByRole("heading", { name: "Hikers" }).waitFor();
  await appears(alice.page.getByText("You created the group “Hikers”"));
  const carolGroup = await carolJoined;
  expect(carolGroup.id).toBe(groupId);

  // Messages flow three ways.
  await sendText(alice.page, "hello hikers");
  await bob.page.getByRole("link", { name: /Hikers/ }).click();
  await appears(bob.page.getByText("hello hikers"));
  await expect.poll(() => carolMessages.some((m) => m.text === "hello hikers"), { timeout: 30_000 }).toBe(true);
  await sendText(bob.page, "hi from Bob");
  await carol.sendText(groupId, "hi from Carol");
  await appears(alice.page.getByText("hi from Bob"));
  await appears(alice.page.getByText("hi from Carol"));
  await appears(bob.page.getByText("hi from Carol"));
  await expect.poll(() => carolMessages.some((m) => m.text === "hi from Bob"), { timeout: 30_000 }).toBe(true);

  // Group info: the picture, three members, Alice the admin.
  const info = new GroupInfoPage(alice.page, groupId);
  await info.open();
  await appears(alice.page.getByRole("main").locator('img[src^="blob:"]'));
  await carolPicture;
  // The picture is set without a message in the conversation.
  expect(carolMessages.filter((m) => m.attachment !== undefined)).toEqual([]);
  await expect.poll(() => info.members().count()).toBe(3);
  expect(await info.member("You").getByText("Admin", { exact: true }).count()).toBe(1);
  expect(await info.member("Bob").getByText("Admin", { exact: true }).count()).toBe(0);

  // Roles: Bob becomes an admin (everyone sees the notice line), then a member again.
  await alice.page.getByRole("button", { name: "Make Bob an admin" }).click();
  await appears(info.member("Bob").getByText("Admin", { exact: true }), 15_000);
  await appears(bob.page.getByText("Alice made you an admin."));
  await alice.page.getByRole("button", { name: "Dismiss Bob as admin" }).click();
  await expect.poll(() => info.member("Bob").getByText("Admin", { exact: true }).count(), { timeout: 15_000 }).toBe(0);
  await appears(bob.page.getByText("Alice made you a member."));

  // Rename and describe.
  await alice.page.getByRole("button", { name: "Edit name and description" }).click();
  await alice.page.getByLabel("Group name").fill("Hikers club");
  await alice.page.getByRole("textbox", { name: "Description" }).fill("Sunday walks, rain or shine");
  await alice.page.getByRole("button", { name: "Save" }).click();
  await alice.page.getByRole("heading", { name: "Hikers club" }).waitFor();
  await appears(bob.page.getByText("Alice renamed the group to “Hikers club”."));

  // Announcement group: only admins send; Carol's client refuses to send, then may again.
  const carolSettings = waitFor(carol, "group", (g: GroupInfo) => g.settings.send === "admins", 30_000);
  await info.setting("Only admins can send messages", true);
  await carolSettings;
  await expect(carol.sendText(groupId, "may I?")).rejects.toMatchObject({ code: "ERR_GROUP_PERMISSION" });
  await appears(bob.page.getByText("changed the group's settings: only admins can send"));
  await info.setting("Only admins can add members", true);
  await shotBoth(alice.page, PART, "group-info");
  // Bob (not an admin) sees the settings as text, no controls.
  await go(bob.page, `/c/${encodeURIComponent(groupId)}/info`);
  await bob.page.getByRole("heading", { name: "Group info" }).waitFor();
  await appears(bob.page.getByText("Only admins can send messages."));
  expect(await bob.page.getByRole("main").getByRole("checkbox").count()).toBe(0);
  expect(await bob.page.getByRole("button", { name: "Remove Carol" }).count()).toBe(0);
  await shotBoth(bob.page, PART, "group-info-member", PHONE);
  const carolOpen = waitFor(carol, "group", (g: GroupInfo) => g.settings.send === "all", 30_000);
  await info.setting("Only admins can send messages", false);
  await carolOpen;

  // Remove Bob: confirmed in a dialog; he sees the notice, cannot send, and receives no more.
  await alice.page.getByRole("button", { name: "Remove Bob" }).click();
  await alice.page.getByRole("dialog", { name: "Remove Bob?" }).waitFor();
  await alice.page.getByRole("dialog").getByRole("button", { name: "Remove" }).click();
  await expect.poll(() => info.members().count(), { timeout: 15_000 }).toBe(2);
  await appears(bob.page.getByText("You are no longer a member of this group."));
  await bob.page.getByRole("button", { name: "Back to the conversation" }).click();
  await appears(bob.page.getByText("Alice removed you."));
  if (await composer(bob.page).isEnabled()) {
    // A draft can be typed, but Send stays disabled and the composer says why.
    await sendText(bob.page, "still here?");
    await expect.poll(() => bob.page.getByRole("button", { name: "Send", exact: true }).isDisabled()).toBe(true);
    await appears(bob.page.locator("#composer-blocked").filter({ hasText: "no longer a member" }));
  }
  await go(alice.page, `/c/${encodeURIComponent(groupId)}`);
  await sendText(alice.page, "after Bob left");
  await expect.poll(() => carolMessages.some((m: ChatMessage) => m.text === "after Bob left"), { timeout: 30_000 }).toBe(true);
  await bob.page.waitForTimeout(1_000);
  expect(await bob.page.getByText("after Bob left").count()).toBe(0);

  // Leaving as the last admin: the dialog asks for a successor; Carol takes over.
  await info.open();
  await alice.page.getByRole("button", { name: "Leave group" }).click();
  const dialog = alice.page.getByRole("dialog", { name: "Leave this group?" });
  await dialog.waitFor();
  expect(await dialog.getByLabel(/Choose the new admin/).inputValue()).toBeTruthy();
  await shotBoth(alice.page, PART, "leave-dialog");
  const carolAdmin = waitFor(carol, "group", (g: GroupInfo) => g.isAdmin, 30_000);
  await dialog.getByRole("button", { name: "Leave" }).click();
  await carolAdmin;
  await appears(alice.page.getByText("You are no longer a member of this group."));
  expect(await alice.page.getByRole("button", { name: "Leave group" }).count()).toBe(0);

  expect([...alice.offOrigin, ...bob.offOrigin]).toEqual([]);
  expect([...alice.pageErrors, ...bob.pageErrors]).toEqual([]);
});
