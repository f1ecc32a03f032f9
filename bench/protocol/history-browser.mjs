// Measures paged history over IndexedDbStore in real Chromium (not a test: prints numbers):
//   node bench/protocol/history-browser.mjs [messages=10000] [conversations=50]
// Fills a browser profile's database with one conversation of `messages` messages and
// `conversations` - 1 of 20, quits the browser, starts it again on the same profile (a cold
// start: new browser process, new page), and times what a chat client does when it opens:
// IndexedDbStore.open, claim, the conversation list's reads (contacts + history records), the
// newest page of 50, the next page, and for comparison the whole conversation.
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { createServer } from "node:http";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { chromium } from "playwright-core";
import { build } from "vite";

const total = Number(process.argv[2] ?? 10_000);
const conversations = Number(process.argv[3] ?? 50);
const CHROMIUM = process.env.PARLEY_CHROMIUM ?? "/usr/bin/chromium";
const outDir = mkdtempSync(join(tmpdir(), "parley-history-bench-page-"));
const profile = mkdtempSync(join(tmpdir(), "parley-history-bench-profile-"));
await build({
  configFile: false,
  logLevel: "silent",
  build: {
    outDir,
    emptyOutDir: true,
    lib: { entry: fileURLToPath(new URL("history-browser-page.mjs", import.meta.url)), formats: ["es"], fileName: () => "page.js" },
    minify: false,
  },
});
writeFileSync(join(outDir, "index.html"), '<!doctype html><meta charset="utf-8"><script type="module" src="/page.js"></script>');
const { readFileSync } = await import("node:fs");
const server = createServer((req, res) => {
  const file = req.url === "/page.js" ? "page.js" : "index.html";
  res.writeHead(200, { "content-type": file.endsWith(".js") ? "text/javascript" : "text/html" }).end(readFileSync(join(outDir, file)));
});
await new Promise((resolve) => server.listen(0, "127.0.0.1", resolve));
const origin = `http://127.0.0.1:${server.address().port}`;

async function inBrowser(run) {
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: CHROMIUM,
    headless: true,
    args: [
      "--no-sandbox",
      "--disable-gpu",
      "--no-first-run",
      "--disable-background-networking",
      "--disable-component-update",
      "--disable-sync",
    ],
  });
  try {
    const page = await context.newPage();
    await page.goto(`${origin}/`);
    await page.waitForFunction(() => "bench" in globalThis);
    return await run(page);
  } finally {
    await context.close();
  }
}

try {
  const fill = await inBrowser((page) => page.evaluate(([t, c]) => globalThis.bench.fill(t, c), [total, conversations]));
  console.log(`filled ${total} + ${(conversations - 1) * 20} messages in ${(fill / 1000).toFixed(1)} s`);
  for (let run = 1; run <= 3; run++) {
    const m = await inBrowser((page) => page.evaluate(() => globalThis.bench.measure()));
    const ms = (n) => `${n.toFixed(1)} ms`;
    console.log(
      `cold start ${run}: open ${ms(m.open)}, claim ${ms(m.claim)}, conversation list (${m.contacts} contacts, ${m.summaries} records) ${ms(m.list)}, ` +
        `newest 50 ${ms(m.firstPage)}, next 50 ${ms(m.nextPage)}; whole conversation (${m.all}) ${ms(m.whole)}`,
    );
  }
} finally {
  server.close();
  rmSync(outDir, { recursive: true, force: true });
  rmSync(profile, { recursive: true, force: true });
}
