// Browser tests of the web client: a real relay serving the built app, real Chromium contexts
// (one per person), and helpers every web test shares: the per-file relay + browser setup
// (useWebSetup, webTest), onboarding through the UI, screenshots at phone and desktop sizes, axe
// checks, and a record of any request to another origin.
import { mkdirSync } from "node:fs";
import { join } from "node:path";
import { AxeBuilder } from "@axe-core/playwright";
import type { Browser, BrowserContext, Page } from "playwright-core";
import { afterAll, beforeAll, expect, type TestFunction, type TestOptions, test } from "vitest";
import { launchChromium, skipWithoutChromium } from "../../support/chromium.js";
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

/** A relay serving the built web client (or another build, `staticDir`) at `/`. */
export async function startWebRelay(args: string[] = [], staticDir: string = webDist): Promise<WebRelay> {
  const relay = await startRelay({ args: ["--static", staticDir, ...args] });
  return Object.assign(relay, { appUrl: relay.url.replace("localhost", "127.0.0.1") });
}

/** A browser test: skipped where Chromium is missing outside CI (see support/chromium.ts), run everywhere else. */
export function webTest(name: string, options: TestOptions, fn: TestFunction): void {
  test.skipIf(skipWithoutChromium)(name, options, fn);
}

/** What a test file's browser tests share: one relay serving the app and one Chromium. */
export interface WebSetup {
  /** The relay (set once the file's beforeAll ran). */
  readonly relay: WebRelay;
  /** The browser (set once the file's beforeAll ran). */
  readonly browser: Browser;
}

export interface WebSetupOptions {
  /** Starts the relay; default `startWebRelay()`. */
  readonly relay?: () => Promise<WebRelay>;
  /** Launches the browser; default `launchChromium()`. */
  readonly browser?: () => Promise<Browser>;
  /** Runs after the file's tests, before the browser closes and the relay stops (e.g. closing Node clients). */
  readonly teardown?: () => unknown;
}

/**
 * Registers the file's beforeAll (start a relay serving the app, launch Chromium) and afterAll
 * (`teardown`, close the browser, stop the relay and remove its data). Where Chromium is
 * missing outside CI nothing starts (the file's `webTest`s are skipped).
 */
export function useWebSetup(options: WebSetupOptions = {}): WebSetup {
  let relay: WebRelay | undefined;
  let browser: Browser | undefined;
  beforeAll(async () => {
    if (skipWithoutChromium) return;
    relay = await (options.relay ?? (() => startWebRelay()))();
    browser = await (options.browser ?? launchChromium)();
  });
  afterAll(async () => {
    try {
      await options.teardown?.();
    } finally {
      await browser?.close();
      await relay?.stop();
      relay?.cleanup();
    }
  });
  return {
    get relay(): WebRelay {
      if (!relay) throw new Error("no relay: useWebSetup's beforeAll has not run (or Chromium is missing)");
      return relay;
    },
    get browser(): Browser {
      if (!browser) throw new Error("no browser: useWebSetup's beforeAll has not run (or Chromium is missing)");
      return browser;
    },
  };
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
