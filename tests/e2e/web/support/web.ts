// Browser tests of the web client: a real relay serving the built app, real Chromium contexts
// (one per person), and helpers every web test shares: onboarding through the UI, screenshots at
// phone and desktop sizes, axe checks, and a record of any request to another origin.
import { mkdirSync } from "node:fs";
import { join } from "node:path";
import { AxeBuilder } from "@axe-core/playwright";
import type { Browser, BrowserContext, Page } from "playwright-core";
import { expect } from "vitest";
import { type RelayProcess, startRelay } from "../../support/relay-process.js";
import { webDist } from "./build.js";

export const PHONE = { width: 375, height: 812 } as const;
export const DESKTOP = { width: 1280, height: 800 } as const;
export type Viewport = { readonly width: number; readonly height: number };

const outputRoot = new URL("../../../../test-output/web/", import.meta.url).pathname;

export interface WebRelay extends RelayProcess {
  /** http://127.0.0.1:PORT — the app's origin (Chromium here resolves nothing but 127.0.0.1). */
  readonly appUrl: string;
}

/** A relay serving the built web client at `/`. */
export async function startWebRelay(args: string[] = []): Promise<WebRelay> {
  const relay = await startRelay({ args: ["--static", webDist, ...args] });
  return Object.assign(relay, { appUrl: relay.url.replace("localhost", "127.0.0.1") });
}

export interface WebUser {
  readonly context: BrowserContext;
  readonly page: Page;
  /** Requests the page made to any origin but the relay's. */
  readonly offOrigin: string[];
  /** Uncaught page errors. */
  readonly pageErrors: string[];
}

/** A fresh browser profile (context) on the app, not yet onboarded. */
export async function openApp(
  browser: Browser,
  relay: WebRelay,
  viewport: Viewport = DESKTOP,
  options: { readonly serviceWorkers?: "allow" | "block" } = {},
): Promise<WebUser> {
  // `serviceWorkers: "block"` gives a browser where no service worker controls the page (the app registers one).
  const context = await browser.newContext({ viewport, reducedMotion: "reduce", serviceWorkers: options.serviceWorkers ?? "allow" });
  const origin = new URL(relay.appUrl).origin;
  const wsOrigin = origin.replace(/^http/, "ws");
  const offOrigin: string[] = [];
  const pageErrors: string[] = [];
  context.on("request", (request) => {
    const url = request.url();
    if (!url.startsWith(origin) && !url.startsWith("data:") && !url.startsWith("blob:")) offOrigin.push(url);
  });
  const page = await context.newPage();
  page.on("websocket", (socket) => {
    if (!socket.url().startsWith(wsOrigin)) offOrigin.push(socket.url());
  });
  page.on("pageerror", (error) => pageErrors.push(error.message));
  await page.goto(relay.appUrl);
  return { context, page, offOrigin, pageErrors };
}

/** A new person: opens the app and creates an account with `handle` through the onboarding form. */
export async function signUp(
  browser: Browser,
  relay: WebRelay,
  handle: string,
  displayName: string,
  viewport: Viewport = DESKTOP,
  options: { readonly serviceWorkers?: "allow" | "block" } = {},
): Promise<WebUser> {
  const user = await openApp(browser, relay, viewport, options);
  const { page } = user;
  await page.getByLabel("Handle").fill(handle);
  await page.getByLabel("Display name").fill(displayName);
  await page.getByRole("button", { name: "Create account" }).click();
  await page.getByRole("navigation", { name: "Conversations" }).waitFor({ timeout: 60_000 });
  return user;
}

/** Opens (or creates) the 1:1 conversation with `handle` from the chat list. */
export async function startChat(page: Page, handle: string): Promise<void> {
  await page.getByLabel("Handle to chat with").fill(handle);
  await page.getByLabel("Handle to chat with").press("Enter");
  await page.getByRole("main").getByRole("heading").first().waitFor();
}

/** Saves a screenshot as test-output/web/<part>/<name>-<width>x<height>.png; returns its path. */
export async function shot(page: Page, part: string, name: string): Promise<string> {
  const dir = join(outputRoot, part);
  mkdirSync(dir, { recursive: true });
  const size = page.viewportSize();
  const path = join(dir, `${name}-${size ? `${size.width}x${size.height}` : "page"}.png`);
  await page.screenshot({ path, animations: "disabled" });
  return path;
}

/** Runs axe on the page (or `include` selector); fails on any serious or critical violation. */
export async function checkA11y(page: Page, include?: string): Promise<void> {
  let builder = new AxeBuilder({ page });
  if (include) builder = builder.include(include);
  const result = await builder.analyze();
  const bad = result.violations.filter((v) => v.impact === "serious" || v.impact === "critical");
  expect(bad.map((v) => `${v.id} (${v.impact}): ${v.help} — ${v.nodes.map((n) => n.target.join(" ")).join(", ")}`)).toEqual([]);
}
