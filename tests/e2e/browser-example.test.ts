// examples/browser-chat, built by a stock Vite (no config file) and opened in real Chromium,
// chats with a Node ParleyClient through a real relay process. The page may reach 127.0.0.1 only.
import { rmSync } from "node:fs";
import type { Browser } from "playwright-core";
import { type PreviewServer, preview } from "vite";
import { afterAll, expect, test } from "vitest";
import { launchChromium, requireChromium, skipWithoutChromium } from "./support/chromium.js";
import { newClient, waitFor } from "./support/clients.js";
import { type RelayProcess, startRelay } from "./support/relay-process.js";
import { type StockViteBuild, stockViteBuild } from "./support/stock-vite.js";

const exampleDir = new URL("../../examples/browser-chat/", import.meta.url).pathname;
const cleanups: Array<() => Promise<unknown> | unknown> = [];

afterAll(async () => {
  for (const cleanup of cleanups.reverse()) await cleanup();
});

/** The example built by `vite build` with no config file; removed after the tests. */
async function buildExample(): Promise<StockViteBuild> {
  const built = await stockViteBuild(exampleDir);
  cleanups.push(() => rmSync(built.outDir, { recursive: true, force: true }));
  return built;
}

test("the browser example builds with a stock Vite without externalising Node built-ins", { timeout: 60_000 }, async () => {
  const { log, assets } = await buildExample();
  // A Node built-in in the browser graph is replaced by an empty stub: Vite 8 warns and emits a
  // `__vite-browser-external` chunk; Vite <= 7 (Rollup) fails the build on its named imports.
  expect(log).not.toMatch(/externalized for browser compatibility/);
  expect(assets.filter((file) => file.includes("browser-external"))).toEqual([]);
});

test.skipIf(skipWithoutChromium)(
  "the built page in Chromium chats both ways with a Node client through a relay, on 127.0.0.1 only",
  { timeout: 120_000 },
  async () => {
    requireChromium();
    const { outDir } = await buildExample();
    const relay: RelayProcess = await startRelay();
    cleanups.push(async () => {
      await relay.stop();
      relay.cleanup();
    });
    const server: PreviewServer = await preview({
      root: exampleDir,
      configFile: false,
      logLevel: "warn",
      build: { outDir },
      preview: { port: 0, host: "127.0.0.1" },
    });
    cleanups.push(() => server.close());
    const pageUrl = server.resolvedUrls?.local[0];
    if (!pageUrl) throw new Error("vite preview has no local URL");

    const bob = await newClient(relay.wsUrl, "Bob");
    cleanups.push(() => bob.close());
    await bob.claimHandle("bob");

    const browser: Browser = await launchChromium();
    cleanups.push(() => browser.close());
    const context = await browser.newContext();
    const requested: string[] = [];
    context.on("request", (request) => requested.push(request.url()));
    const page = await context.newPage();
    page.on("websocket", (socket) => requested.push(socket.url()));
    const pageErrors: string[] = [];
    page.on("pageerror", (error) => pageErrors.push(error.message));

    await page.goto(pageUrl);
    await page.fill("#relay", relay.wsUrl.replace("localhost", "127.0.0.1"));
    await page.fill("#me", "alice");
    await page.fill("#peer", "bob");
    await page.getByRole("button", { name: "Connect" }).click();
    await page.getByRole("status").filter({ hasText: "Chatting with bob" }).waitFor({ timeout: 60_000 });

    // Browser → Node.
    await page.fill("#text", "hello from the browser");
    await page.getByRole("button", { name: "Send" }).click();
    const received = await waitFor(bob, "message", (m) => !m.outgoing && m.text === "hello from the browser", 30_000);
    const alice = await bob.findContact("alice");
    expect(received.contactId).toBe(alice.id);
    await page.locator("#messages li", { hasText: "me: hello from the browser" }).waitFor({ timeout: 10_000 });

    // Node → browser.
    await bob.sendText(alice.id, "hello from node");
    await page.locator("#messages li", { hasText: "bob: hello from node" }).waitFor({ timeout: 30_000 });

    expect(pageErrors).toEqual([]);
    const outside = requested.filter((url) => !/^(data|blob):/.test(url) && new URL(url).hostname !== "127.0.0.1");
    expect(outside).toEqual([]);
    expect(requested.some((url) => url.startsWith("ws://127.0.0.1:"))).toBe(true);
  },
);
