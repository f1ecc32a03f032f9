// IndexedDbStore in real Chromium (Debian's, driven by playwright-core): two tabs of one origin
// share the database, so this is where Web Locks, the structured clone of non-extractable
// CryptoKeys, and encryption at rest meet the real browser rather than fake-indexeddb.
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { createServer, type Server } from "node:http";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import type { Browser, Page } from "playwright-core";
import { build } from "vite";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { launchChromium, skipWithoutChromium } from "./support/chromium.js";

const here = dirname(fileURLToPath(import.meta.url));
let outDir: string;
let server: Server;
let origin: string;
let browser: Browser;

type Result = { ok: true; value?: unknown } | { ok: false; code: string };

beforeAll(async () => {
  if (skipWithoutChromium) return;
  outDir = mkdtempSync(join(tmpdir(), "parley-idb-browser-"));
  await build({
    configFile: false,
    logLevel: "silent",
    build: {
      outDir,
      emptyOutDir: true,
      lib: { entry: join(here, "support/indexeddb-page.mjs"), formats: ["es"], fileName: () => "page.js" },
      minify: false,
    },
  });
  writeFileSync(join(outDir, "index.html"), '<!doctype html><meta charset="utf-8"><script type="module" src="/page.js"></script>');
  server = createServer((req, res) => {
    const file = join(outDir, req.url === "/" ? "index.html" : (req.url ?? "").replace(/^\/+/, ""));
    if (!file.startsWith(outDir) || !existsSync(file)) {
      res.writeHead(404).end();
      return;
    }
    res.writeHead(200, { "content-type": file.endsWith(".js") ? "text/javascript" : "text/html" }).end(readFileSync(file));
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const address = server.address();
  origin = `http://127.0.0.1:${typeof address === "object" && address ? address.port : 0}`;
  browser = await launchChromium();
}, 120_000);

afterAll(async () => {
  await browser?.close();
  await new Promise((resolve) => (server ? server.close(resolve) : resolve(undefined)));
  if (outDir) rmSync(outDir, { recursive: true, force: true });
});

async function tab(context: Awaited<ReturnType<Browser["newContext"]>>): Promise<Page> {
  const page = await context.newPage();
  await page.goto(`${origin}/`);
  await page.waitForFunction(() => "parley" in globalThis);
  return page;
}

// biome-ignore lint/suspicious/noExplicitAny: the page API is plain JSON over evaluate
const call = (page: Page, method: string, ...args: unknown[]): Promise<any> =>
  page.evaluate(
    ([m, a]) =>
      (globalThis as unknown as { parley: Record<string, (...x: unknown[]) => unknown> }).parley[m as string]?.(...(a as unknown[])),
    [method, args] as const,
  );

describe.skipIf(skipWithoutChromium)("IndexedDbStore in Chromium", () => {
  test("Web Locks keep a second tab out until it steals; the tab stolen from can no longer write", async () => {
    const context = await browser.newContext();
    const [one, two] = [await tab(context), await tab(context)];
    expect(await call(one, "hasLocks")).toBe(true);
    expect(await call(one, "open", "a", "parley", { kdfIterations: 1000 })).toEqual({ ok: true });
    expect(await call(one, "claim", "a")).toEqual({ ok: true });
    expect(await call(one, "put", "a", "ns", "k", "from tab one")).toEqual({ ok: true });
    const refused: Result = await call(two, "open", "b", "parley");
    expect(refused).toEqual({ ok: false, code: "ERR_STORE_LOCKED" });
    expect(await call(two, "open", "b", "parley", { steal: true })).toEqual({ ok: true });
    expect(await call(two, "claim", "b")).toEqual({ ok: true });
    expect(await call(one, "put", "a", "ns", "k", "late write")).toEqual({ ok: false, code: "ERR_STORE_TAKEN_OVER" });
    expect(await call(two, "get", "b", "ns", "k")).toEqual({ ok: true, value: "from tab one" });
    await context.close();
  });

  test("encrypts at rest under non-extractable CryptoKeys that survive a reload, and wraps them under a passphrase", async () => {
    const context = await browser.newContext();
    const page = await tab(context);
    const secret = "the plaintext of a message";
    expect(await call(page, "open", "d", "device-db")).toEqual({ ok: true });
    expect(await call(page, "put", "d", "messages", "conversation/1", secret)).toEqual({ ok: true });
    expect(await call(page, "close", "d")).toEqual({ ok: true });
    const dump: { hex: string[]; keys: Array<{ extractable: boolean }> } = await call(page, "rawDump", "device-db");
    const secretHex = Buffer.from(secret).toString("hex");
    const nameHex = Buffer.from("conversation").toString("hex");
    expect(dump.hex.some((h) => h.includes(secretHex) || h.includes(nameHex))).toBe(false);
    expect(dump.keys.length).toBe(2);
    expect(dump.keys.every((k) => k.extractable === false)).toBe(true);
    await page.reload();
    await page.waitForFunction(() => "parley" in globalThis);
    expect(await call(page, "open", "d", "device-db")).toEqual({ ok: true });
    expect(await call(page, "get", "d", "messages", "conversation/1")).toEqual({ ok: true, value: secret });
    expect(await call(page, "close", "d")).toEqual({ ok: true });

    const options = { passphrase: "correct horse", kdfIterations: 1000 };
    expect(await call(page, "open", "p", "passphrase-db", options)).toEqual({ ok: true });
    expect(await call(page, "put", "p", "identity", "seed", secret)).toEqual({ ok: true });
    expect(await call(page, "close", "p")).toEqual({ ok: true });
    expect(await call(page, "open", "p", "passphrase-db", { ...options, passphrase: "wrong" })).toEqual({
      ok: false,
      code: "ERR_STORE_PASSPHRASE",
    });
    expect(await call(page, "open", "p", "passphrase-db", options)).toEqual({ ok: true });
    expect(await call(page, "get", "p", "identity", "seed")).toEqual({ ok: true, value: secret });
    await context.close();
  });
});
