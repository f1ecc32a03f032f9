// The installable, offline-capable app: the service worker precaches the shell listed at build
// time; offline, a reload still shows the app and the stored chat history (IndexedDB) with the
// connection banner saying so; relay API and blobs are never cached; a new service worker
// version takes over on the next load.
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Page } from "playwright-core";
import { expect } from "vitest";
import { webDist } from "./support/build.js";
import { PHONE, shot, signUp, startChat, startWebRelay, useWebSetup, webTest } from "./support/web.js";

let dist: string;

const web = useWebSetup({
  // A private copy of the build, so the test can ship a "new version" of sw.js.
  relay: async () => {
    dist = mkdtempSync(join(tmpdir(), "parley-pwa-dist-"));
    cpSync(webDist, dist, { recursive: true });
    return startWebRelay([], dist);
  },
  teardown: () => {
    if (dist) rmSync(dist, { recursive: true, force: true });
  },
});

/** The active service worker's version, asked over a MessageChannel. */
function swVersion(page: Page): Promise<string> {
  // (Strings: the e2e project has no DOM types.)
  return page.evaluate<string>(`(async () => {
    const registration = await navigator.serviceWorker.ready;
    const channel = new MessageChannel();
    const answer = new Promise((resolve) => { channel.port1.onmessage = (e) => resolve(String(e.data)); });
    registration.active?.postMessage("parley:version", [channel.port2]);
    return answer;
  })()`);
}

webTest(
  "offline reload shows the shell and the stored history; a new worker takes over on the next load",
  { timeout: 90_000 },
  async () => {
    const manifest = (await (await fetch(`${web.relay.appUrl}/manifest.webmanifest`)).json()) as {
      icons: { src: string; sizes: string; purpose: string }[];
    };
    expect(manifest).toMatchObject({ name: "Parley", start_url: "/", display: "standalone" });
    expect(manifest.icons.map((i: { sizes: string; purpose: string }) => `${i.sizes} ${i.purpose}`)).toEqual(
      expect.arrayContaining(["192x192 any", "512x512 any", "512x512 maskable", "any any"]),
    );
    for (const icon of manifest.icons) expect((await fetch(web.relay.appUrl + icon.src)).status, icon.src).toBe(200);

    const alice = await signUp(web.browser, web.relay, "pwaalice", "Alice", PHONE);
    await signUp(web.browser, web.relay, "pwabob", "Bob", PHONE);
    const { page, context } = alice;
    await startChat(page, "pwabob");
    const composer = page.getByRole("textbox", { name: "Message", exact: true });
    await composer.fill("kept for the train");
    await composer.press("Enter");
    await page.getByText("kept for the train").filter({ visible: true }).first().waitFor();

    // Registered after start; controls the page once activated and the shell is in its cache.
    // (expect.poll over evaluate: a string predicate in waitForFunction is eval'd, which the CSP forbids.)
    await expect.poll(() => page.evaluate<boolean>("navigator.serviceWorker.controller !== null"), { timeout: 20_000 }).toBe(true);
    const cached = await page.evaluate<{ names: string[]; urls: string[] }>(`(async () => {
      const names = await caches.keys();
      const urls = [];
      for (const name of names) for (const r of await (await caches.open(name)).keys()) urls.push(new URL(r.url).pathname);
      return { names, urls };
    })()`);
    expect(cached.names).toHaveLength(1);
    expect(cached.names[0]).toMatch(/^parley-shell-/);
    const swSource = readFileSync(join(dist, "sw.js"), "utf8");
    expect(swSource).not.toContain("__PARLEY_PRECACHE_");
    expect(cached.urls).toContain("/");
    expect(cached.urls.some((u) => /^\/assets\/main-.*\.js$/.test(u))).toBe(true);
    expect(cached.urls.some((u) => /^\/assets\/main-.*\.css$/.test(u))).toBe(true);
    expect(cached.urls.filter((u) => u.startsWith("/blobs/") || u === "/healthz" || u === "/sw.js")).toEqual([]);
    const version1 = await swVersion(page);

    // Offline: the reload comes from the cache and the history from IndexedDB.
    await context.setOffline(true);
    await page.reload();
    await page.getByText("kept for the train").filter({ visible: true }).first().waitFor({ timeout: 20_000 });
    await expect
      .poll(() =>
        page
          .getByRole("status")
          .filter({ hasText: /offline/i })
          .count(),
      )
      .toBeGreaterThan(0);
    await shot(page, "platform", "pwa-offline");

    // Back online: the banner clears once the client is connected again.
    await context.setOffline(false);
    await expect
      .poll(
        () =>
          page
            .getByRole("status")
            .filter({ hasText: /offline/i })
            .count(),
        { timeout: 30_000 },
      )
      .toBe(0);

    // A new version of the worker (any byte change) installs on the next load and takes over.
    writeFileSync(join(dist, "sw.js"), swSource.replace(`"${version1}"`, '"v-next-test"'));
    await page.reload();
    // The browser checks /sw.js on that navigation (no-cache); asking again only hurries a slow machine.
    await expect
      .poll(
        async () => {
          await page.evaluate("navigator.serviceWorker.getRegistration().then((r) => r?.update())").catch(() => {});
          return swVersion(page);
        },
        { timeout: 45_000, interval: 1000 },
      )
      .toBe("v-next-test");
    await page.reload();
    await page.getByText("kept for the train").filter({ visible: true }).first().waitFor({ timeout: 20_000 });
    const namesAfter = await page.evaluate<string[]>("caches.keys()");
    expect(namesAfter).toEqual(["parley-shell-v-next-test"]);

    expect(alice.offOrigin).toEqual([]);
  },
);
