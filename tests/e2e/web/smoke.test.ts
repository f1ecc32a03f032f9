// The web client end to end, smallest path: two people open the app served by a real relay,
// create accounts, and exchange a message both ways; nothing is requested from another origin.
import { expect } from "vitest";
import { PHONE, shot, signUp, startChat, useWebSetup, webTest } from "./support/web.js";

const web = useWebSetup();

webTest("two people sign up in the browser and chat both ways through the relay", { timeout: 120_000 }, async () => {
  const alice = await signUp(web.browser, web.relay, "alice", "Alice");
  const bob = await signUp(web.browser, web.relay, "bob", "Bob", PHONE);

  await startChat(alice.page, "bob");
  await alice.page.getByRole("textbox", { name: "Message", exact: true }).fill("hi Bob");
  await alice.page.getByRole("textbox", { name: "Message", exact: true }).press("Enter");

  await bob.page.getByRole("link", { name: /Alice/ }).click();
  await expect.poll(() => bob.page.getByText("hi Bob").count(), { timeout: 30_000 }).toBeGreaterThan(0);
  await bob.page.getByRole("textbox", { name: "Message", exact: true }).fill("hello Alice");
  await bob.page.getByRole("textbox", { name: "Message", exact: true }).press("Enter");
  await expect.poll(() => alice.page.getByText("hello Alice").count(), { timeout: 30_000 }).toBeGreaterThan(0);

  await shot(alice.page, "smoke", "alice-chat");
  await shot(bob.page, "smoke", "bob-chat");
  expect(alice.offOrigin).toEqual([]);
  expect(bob.offOrigin).toEqual([]);
  expect([...alice.pageErrors, ...bob.pageErrors]).toEqual([]);
});
