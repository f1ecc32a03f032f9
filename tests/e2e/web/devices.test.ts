// Devices in the browser: Alice's primary device links a second browser through the UI (the
// new browser shows its request and check code, Alice pastes the request, compares the codes,
// confirms, and the approval goes back), both list two devices, and Alice removes it after a
// confirmation dialog. Without a camera, the scanner says so and points to pasting.
import { expect } from "vitest";
import { openApp, PHONE, signUp, useWebSetup, webTest } from "./support/web.js";
import { go, shotBoth, shownDigits } from "./trust-support.js";

const PART = "devices";

const web = useWebSetup();

webTest("a second browser is linked through the UI, listed, then removed", { timeout: 180_000 }, async () => {
  const alice = await signUp(web.browser, web.relay, "alice", "Alice");
  await go(alice.page, "/settings/devices");
  const list = alice.page.getByRole("list", { name: "Your devices" });
  await list.getByText("this browser").waitFor();
  expect(await list.getByRole("listitem").count()).toBe(1);
  await shotBoth(alice.page, PART, "devices");

  // No camera in this browser: the scanner says so.
  await alice.page.getByRole("button", { name: "Link a new device" }).click();
  await alice.page.getByRole("button", { name: "Scan its code" }).click();
  await alice.page.getByRole("dialog").getByText("No camera is available").waitFor();
  await shotBoth(alice.page, PART, "scanner-no-camera");
  await alice.page.getByRole("dialog").getByRole("button", { name: "Cancel" }).click();

  // Something that is not a request is refused.
  const requestField = alice.page.getByRole("textbox", { name: "The new device’s link request" });
  await requestField.fill("not a request");
  await alice.page.getByRole("button", { name: "Continue" }).click();
  await alice.page.getByText("That is not a link request").waitFor();

  // The new browser asks to be linked.
  const laptop = await openApp(web.browser, web.relay, PHONE);
  // Onboarding's way to link this browser (a button or a link to /link).
  await laptop.page
    .getByRole("button", { name: /link/i })
    .or(laptop.page.getByRole("link", { name: /link/i }))
    .first()
    .click();
  await laptop.page.getByRole("heading", { name: "Link this browser to your account" }).waitFor();
  await laptop.page.getByRole("list", { name: "Link check code" }).waitFor();
  const request = await laptop.page.getByRole("textbox", { name: "This browser's link request" }).inputValue();
  const laptopCode = await shownDigits(laptop.page, "Link check code");
  expect(laptopCode).toMatch(/^\d{40}$/);
  await shotBoth(laptop.page, PART, "link-new-device");

  await requestField.fill(request);
  await alice.page.getByRole("button", { name: "Continue" }).click();
  await alice.page.getByRole("list", { name: "Check code" }).waitFor();
  expect(await shownDigits(alice.page, "Check code")).toBe(laptopCode);
  await shotBoth(alice.page, PART, "link-compare");
  await alice.page.getByRole("button", { name: "The codes match: link it" }).click();
  await alice.page.getByText("Linked. Now scan this code").waitFor({ timeout: 30_000 });
  const approval = await alice.page.getByRole("textbox", { name: "Approval for the new device" }).inputValue();
  expect(await list.getByRole("listitem").count()).toBe(2);
  await shotBoth(alice.page, PART, "link-approval");

  // Back on the new browser: a wrong approval is refused, the real one opens the account.
  const approvalField = laptop.page.getByRole("textbox", { name: "Approval from your other device" });
  await approvalField.fill(request);
  await laptop.page.getByRole("button", { name: "Finish linking" }).click();
  await laptop.page.getByText("That is not an approval for this browser").waitFor();
  await approvalField.fill(approval);
  await laptop.page.getByRole("button", { name: "Finish linking" }).click();
  await laptop.page.getByRole("navigation", { name: "Conversations" }).waitFor({ timeout: 30_000 });
  await go(laptop.page, "/settings/devices");
  const laptopList = laptop.page.getByRole("list", { name: "Your devices" });
  await laptopList.getByText("Primary device").waitFor();
  expect(await laptopList.getByRole("listitem").count()).toBe(2);
  expect(await laptopList.getByRole("button", { name: /Remove/ }).count()).toBe(0);
  await laptop.page.getByText("Only your primary device").waitFor();
  await shotBoth(laptop.page, PART, "devices-linked");

  // Alice removes it, after confirming.
  await alice.page.getByRole("button", { name: "Done" }).click();
  await list.getByRole("button", { name: /^Remove Linked device/ }).click();
  const dialog = alice.page.getByRole("dialog", { name: /Remove Linked device/ });
  await dialog.waitFor();
  // The safe action has the focus.
  expect(await alice.page.evaluate("document.activeElement?.textContent")).toBe("Cancel");
  await shotBoth(alice.page, PART, "remove-dialog");
  await dialog.getByRole("button", { name: "Remove device" }).click();
  await alice.page.getByText("was removed").waitFor({ timeout: 30_000 });
  expect(await list.getByRole("listitem").count()).toBe(1);
  // The removed browser is told.
  await laptop.page
    .getByRole("alert")
    .filter({ hasText: "This browser was removed from your Parley account" })
    .waitFor({ timeout: 30_000 });
  await shotBoth(laptop.page, PART, "removed-browser");

  expect([...alice.offOrigin, ...laptop.offOrigin]).toEqual([]);
  expect(alice.pageErrors).toEqual([]);
});
