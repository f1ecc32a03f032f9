// Page objects for the group and attachment screens of the web client: moving around without a
// reload, creating a group, the group info screen, the upload tray, and screenshots at both sizes.
// Everything is found by role and accessible name, never by CSS class.
import type { Locator, Page } from "playwright-core";
import { expect } from "vitest";
import { checkA11y, DESKTOP, PHONE, shot } from "./web.js";

/** Goes to an app path in place (history API + popstate), as the app's own links do: no reload. */
export async function go(page: Page, path: string): Promise<void> {
  // A string: the e2e programs are typed without the DOM library.
  await page.evaluate(`window.history.pushState(null, "", ${JSON.stringify(path)}); window.dispatchEvent(new PopStateEvent("popstate"));`);
}

/** The path of a conversation (or its info page), as the app builds it. */
export function conversationPath(conversationId: string, sub?: "info"): string {
  return `/c/${encodeURIComponent(conversationId)}${sub ? `/${sub}` : ""}`;
}

/** The conversation id in the page's URL (/c/<id>…). */
export function currentConversationId(page: Page): string {
  const match = /\/c\/([^/]+)/.exec(new URL(page.url()).pathname);
  if (!match?.[1]) throw new Error(`not in a conversation: ${page.url()}`);
  return decodeURIComponent(match[1]);
}

/** Screenshots at phone and desktop size (then back to `restore`), with an axe check at each. */
export async function shotBoth(
  page: Page,
  part: string,
  name: string,
  restore = page.viewportSize() ?? DESKTOP,
  /** Brought into view before each screenshot. */
  focus?: Locator,
): Promise<void> {
  for (const size of [PHONE, DESKTOP]) {
    await page.setViewportSize(size);
    await page.waitForTimeout(150);
    await focus?.scrollIntoViewIfNeeded();
    await shot(page, part, name);
    await checkA11y(page);
  }
  await page.setViewportSize(restore);
}

/** Polls until `locator` has at least one match. */
export async function appears(locator: Locator, timeout = 30_000): Promise<void> {
  await expect.poll(() => locator.count(), { timeout }).toBeGreaterThan(0);
}

export class NewGroupPage {
  constructor(readonly page: Page) {}

  async open(): Promise<void> {
    await go(this.page, "/new-group");
    await this.page.getByRole("heading", { name: "New group" }).waitFor();
  }

  async setName(name: string): Promise<void> {
    await this.page.getByLabel("Group name").fill(name);
  }

  /** Adds a member by handle and waits for the chip (or the error). */
  async addMember(handle: string): Promise<void> {
    await this.page.getByLabel("Add member by handle").fill(handle);
    await this.page.getByRole("button", { name: "Add", exact: true }).click();
    await this.page.getByRole("button", { name: "Add", exact: true }).and(this.page.locator(":enabled")).waitFor();
  }

  chips(): Locator {
    return this.page.getByRole("list", { name: "Members to add" }).getByRole("listitem");
  }

  async create(): Promise<string> {
    await this.page.getByRole("button", { name: "Create group" }).click();
    await this.page.waitForURL(/\/c\/group/, { timeout: 30_000 });
    return currentConversationId(this.page);
  }
}

export class GroupInfoPage {
  constructor(
    readonly page: Page,
    readonly conversationId: string,
  ) {}

  async open(): Promise<void> {
    await go(this.page, conversationPath(this.conversationId, "info"));
    await this.page.getByRole("heading", { name: "Group info" }).waitFor();
  }

  members(): Locator {
    return this.page.getByRole("list", { name: "Members" }).getByRole("listitem");
  }

  member(name: string): Locator {
    return this.members().filter({ hasText: name });
  }

  async addMember(handle: string): Promise<void> {
    await this.page.getByLabel("Add member by handle").fill(handle);
    await this.page.getByRole("button", { name: "Add", exact: true }).click();
  }

  async setting(label: string, on: boolean): Promise<void> {
    const box = this.page.getByRole("checkbox", { name: label });
    if ((await box.isChecked()) !== on) await box.click();
    await expect.poll(() => box.isChecked(), { timeout: 15_000 }).toBe(on);
  }

  async status(): Promise<string> {
    return (await this.page.getByRole("main").getByRole("status").allTextContents()).join(" ");
  }
}

/** The conversation's message box (whichever composer is on screen). */
export function composer(page: Page): Locator {
  return page.getByRole("textbox", { name: "Message", exact: true });
}

export async function sendText(page: Page, text: string): Promise<void> {
  await composer(page).fill(text);
  await composer(page).press("Enter");
}

/** A 300×200 PNG drawn on a canvas in the page (a gradient and a disc: a ThumbHash worth seeing). */
export async function drawPng(page: Page): Promise<Buffer> {
  const bytes = (await page.evaluate(`(async () => {
    const canvas = new OffscreenCanvas(300, 200);
    const g = canvas.getContext("2d");
    const gradient = g.createLinearGradient(0, 0, 300, 200);
    gradient.addColorStop(0, "#ff8a00");
    gradient.addColorStop(1, "#0066cc");
    g.fillStyle = gradient;
    g.fillRect(0, 0, 300, 200);
    g.fillStyle = "#ffffff";
    g.beginPath();
    g.arc(150, 100, 50, 0, Math.PI * 2);
    g.fill();
    const blob = await canvas.convertToBlob({ type: "image/png" });
    return Array.from(new Uint8Array(await blob.arrayBuffer()));
  })()`)) as number[];
  return Buffer.from(bytes);
}
