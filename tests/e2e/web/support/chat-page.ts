// Page objects for the chat screens (conversation list and conversation), located by role and
// accessible name only, never by CSS classes.
import type { Locator, Page } from "playwright-core";
import { expect } from "vitest";

/** The conversation list (the `nav` landmark). */
export function chatList(page: Page): Locator {
  return page.getByRole("navigation", { name: "Conversations" });
}

/** Every conversation entry in the list (in list order). */
export function conversationLinks(page: Page): Locator {
  return chatList(page).getByRole("list", { name: "Conversations" }).getByRole("link");
}

/** A conversation entry in the list, by its title (the link's name starts with it). */
export function conversationLink(page: Page, title: string): Locator {
  return chatList(page).getByRole("link", { name: new RegExp(`^${escapeRe(title)}\\b`) });
}

/** Opens the conversation titled `title` from the list. */
export async function openConversation(page: Page, title: string): Promise<void> {
  await conversationLink(page, title).click();
  await page.getByRole("main").getByRole("heading", { name: title }).waitFor();
}

/** The open conversation's timeline (a list named "Messages with …"). */
export function timeline(page: Page): Locator {
  return page.getByRole("main").getByRole("list", { name: /^Messages with/ });
}

/** The timeline row whose accessible name contains `text` (rows are named "Alice, 10:42, text, status"). */
export function messageRow(page: Page, text: string | RegExp): Locator {
  const name = typeof text === "string" ? new RegExp(escapeRe(text)) : text;
  return timeline(page).getByRole("listitem", { name }).last();
}

export function composer(page: Page): Locator {
  return page.getByRole("textbox", { name: "Message", exact: true });
}

/** Types `text` into the composer and presses Enter. */
export async function send(page: Page, text: string): Promise<void> {
  await composer(page).fill(text);
  await composer(page).press("Enter");
}

/** Waits until a row containing `text` is in the timeline. */
export async function waitForMessage(page: Page, text: string | RegExp, timeout = 30_000): Promise<Locator> {
  const row = messageRow(page, text);
  await row.waitFor({ timeout });
  return row;
}

/** Waits until the row containing `text` has `pattern` in its accessible name (status, "edited", …). */
export async function waitForRowName(page: Page, text: string, pattern: RegExp, timeout = 30_000): Promise<void> {
  await expect
    .poll(
      async () =>
        (await messageRow(page, text)
          .getAttribute("aria-label", { timeout: 1_000 })
          .catch(() => "")) ?? "",
      {
        timeout,
      },
    )
    .toMatch(pattern);
}

/** Clicks one of a row's actions (Reply, React, Edit, Copy, Delete) from its toolbar. */
export async function rowAction(page: Page, text: string, action: "Reply" | "React" | "Edit" | "Copy" | "Delete"): Promise<void> {
  const row = messageRow(page, text);
  // Focus shows the toolbar at every size (a tap does the same on a phone; hover only on desktop).
  await row.focus();
  await row.getByRole("toolbar", { name: "Message actions" }).getByRole("button", { name: action, exact: true }).click();
}

/**
 * Tells the app the person is (not) looking at the page, as focus and visibility would
 * (src/sdk/visibility.ts listens for this event); read receipts wait for attention.
 */
export async function setAttention(page: Page, attentive: boolean): Promise<void> {
  await page.evaluate(`window.dispatchEvent(new CustomEvent("parley:attention", { detail: ${attentive} }))`);
}

/** The typing line under the timeline. */
export function typingLine(page: Page): Locator {
  return page.getByTestId("typing-line");
}

function escapeRe(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
}

/**
 * axe on the page with the emoji picker open: like checkA11y, except frimousse's rows carry
 * aria-rowindex="0" (a library bug: indexes should start at 1), so exactly that finding on those
 * rows is left out; every other rule and element is checked.
 */
export async function checkA11yWithPicker(page: Page): Promise<void> {
  const { AxeBuilder } = await import("@axe-core/playwright");
  const result = await new AxeBuilder({ page }).analyze();
  const bad = result.violations
    .filter((v) => v.impact === "serious" || v.impact === "critical")
    .map((v) => ({
      ...v,
      nodes: v.nodes.filter(
        (n) => !(v.id === "aria-valid-attr-value" && n.html.includes("frimousse-row") && n.html.includes('aria-rowindex="0"')),
      ),
    }))
    .filter((v) => v.nodes.length > 0);
  expect(bad.map((v) => `${v.id} (${v.impact}): ${v.help} — ${v.nodes.map((n) => n.target.join(" ")).join(", ")}`)).toEqual([]);
}
