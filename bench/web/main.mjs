// `npm run bench:web` (bench/run.mjs builds protocol and relay first): the web client's
// 1. chunk sizes of a production build (raw and gzip; "initial" = what index.html loads before
//    any dynamic import: its module script, its modulepreloads and stylesheets);
// 2. cold load to a usable chat list in Chromium: an account with N conversations (default 20)
//    prepared through the UI (N Node clients write to it), then, per round, a copy of that
//    browser profile without HTTP cache, code cache or service worker, a fresh browser, and the
//    time from navigation start until N conversations are listed (performance.now() in the page);
// 3. opening a conversation of M messages (default 10,000): a Node client sends them through the
//    local relay in batches while the browser is open and stores them; per round the page reloads
//    on the chat list and the time from the click to the newest message shown is measured in the
//    page. Medians over --rounds (default 5). Prints the results and rewrites the "Web client"
//    block of BENCHMARKS.md (--no-write leaves it).
// Loopback only; the relay child and the browser are stopped however the run ends.
import { spawn } from "node:child_process";
import { cpSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import { gzipSync } from "node:zlib";
import { MemoryStore, ParleyClient } from "@parley/protocol/client";
import { nodeTransport } from "@parley/protocol/node";
import { chromium } from "playwright-core";
import { machineInfo, packageVersion } from "../lib/machine.mjs";

const ROOT = fileURLToPath(new URL("../..", import.meta.url));
const WEB = join(ROOT, "packages/web");
const { values: args } = parseArgs({
  options: {
    rounds: { type: "string", default: "5" },
    conversations: { type: "string", default: "20" },
    messages: { type: "string", default: "10000" },
    "no-write": { type: "boolean", default: false },
    "sizes-only": { type: "boolean", default: false },
  },
});
const ROUNDS = Number(args.rounds);
const CONVERSATIONS = Number(args.conversations);
const MESSAGES = Number(args.messages);
const log = (line) => process.stderr.write(`${line}\n`);
const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};
const kb = (n) => (n / 1024).toFixed(1);

// ---- 1. build and chunk sizes ----
async function buildAndMeasure() {
  const { build } = await import("vite");
  const nodeEnv = process.env.NODE_ENV;
  process.env.NODE_ENV = "production";
  try {
    await build({ root: WEB, mode: "production", logLevel: "warn" });
  } finally {
    process.env.NODE_ENV = nodeEnv;
  }
  const dist = join(WEB, "dist");
  const html = readFileSync(join(dist, "index.html"), "utf8");
  const initial = new Set([...html.matchAll(/<(?:script[^>]*\ssrc|link[^>]*\shref)="\/([^"]+\.(?:js|css))"/g)].map((m) => m[1]));
  const rows = [];
  const walk = (dir) => {
    for (const name of readdirSync(dir)) {
      const path = join(dir, name);
      if (statSync(path).isDirectory()) walk(path);
      else if (/\.(js|css|wasm)$/.test(name)) {
        const bytes = readFileSync(path);
        const file = path.slice(dist.length + 1);
        rows.push({ file, raw: bytes.length, gzip: gzipSync(bytes, { level: 9 }).length, initial: initial.has(file) });
      }
    }
  };
  walk(dist);
  rows.sort((a, b) => Number(b.initial) - Number(a.initial) || b.gzip - a.gzip);
  const initialJs = rows.filter((r) => r.initial && r.file.endsWith(".js")).reduce((n, r) => n + r.gzip, 0);
  const initialCss = rows.filter((r) => r.initial && r.file.endsWith(".css")).reduce((n, r) => n + r.gzip, 0);
  return { dist, rows, initialJs, initialCss };
}

// ---- relay + browser helpers ----
function startRelay(dist) {
  const dataDir = mkdtempSync(join(tmpdir(), "parley-bench-web-relay-"));
  const child = spawn(
    process.execPath,
    [
      join(ROOT, "packages/relay/dist/bin.js"),
      "--port",
      "0",
      "--host",
      "127.0.0.1",
      "--data",
      dataDir,
      "--static",
      dist,
      "--log-level",
      "warn",
    ],
    { stdio: ["ignore", "pipe", "pipe"] },
  );
  let output = "";
  child.stdout.on("data", (d) => {
    output += d;
  });
  child.stderr.on("data", (d) => {
    output += d;
  });
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`relay did not start:\n${output}`)), 20_000);
    child.stdout.on("data", () => {
      const m = output.match(/listening on (https?:\/\/\S+)/);
      if (m) {
        clearTimeout(timer);
        const url = m[1].replace("localhost", "127.0.0.1");
        resolve({
          url,
          wsUrl: url.replace(/^http/, "ws"),
          stop: () => {
            child.kill("SIGKILL");
            rmSync(dataDir, { recursive: true, force: true });
          },
        });
      }
    });
    child.once("exit", (code) => reject(new Error(`relay exited ${code}:\n${output}`)));
  });
}

const CHROMIUM_ARGS = [
  "--no-sandbox",
  "--disable-gpu",
  "--disable-quic",
  "--no-first-run",
  "--disable-background-networking",
  "--disable-component-update",
  "--disable-sync",
];

function launchProfile(dir) {
  return chromium.launchPersistentContext(dir, {
    executablePath: process.env.PARLEY_CHROMIUM ?? "/usr/bin/chromium",
    headless: true,
    args: CHROMIUM_ARGS,
    viewport: { width: 1280, height: 800 },
  });
}

/** A copy of a browser profile with nothing cached: no HTTP cache, code cache or service worker. */
function coldCopy(profile) {
  const copy = mkdtempSync(join(tmpdir(), "parley-bench-web-cold-"));
  cpSync(profile, copy, { recursive: true, filter: (src) => !/Singleton/.test(src) });
  for (const sub of ["Default/Cache", "Default/Code Cache", "Default/Service Worker", "Default/GPUCache"])
    rmSync(join(copy, sub), { recursive: true, force: true });
  return copy;
}

async function nodeClient(relay, handle) {
  const client = await ParleyClient.create({
    relayUrl: relay.wsUrl,
    store: new MemoryStore(),
    transport: nodeTransport,
    displayName: handle,
  });
  await client.connect();
  await client.claimHandle(handle);
  return client;
}

/** Waits (polling a function: a string predicate would be eval'd, which the app's CSP forbids) until `n` conversations are listed. */
function waitForChats(page, n, options = {}) {
  return page.waitForFunction((count) => document.querySelectorAll('nav[aria-label="Conversations"] a').length >= count, n, {
    timeout: 120_000,
    ...options,
  });
}

async function main() {
  const machine = machineInfo();
  const versions = {
    chromium: "",
    react: packageVersion("react", WEB),
    vite: packageVersion("vite", WEB),
    "playwright-core": packageVersion("playwright-core", ROOT),
  };
  log("building the web client…");
  const sizes = await buildAndMeasure();
  for (const r of sizes.rows)
    log(`${r.initial ? "initial " : "lazy    "} ${r.file.padEnd(44)} ${kb(r.raw).padStart(8)} KB  gzip ${kb(r.gzip).padStart(7)} KB`);
  log(`initial JS gzip: ${kb(sizes.initialJs)} KB (target ≤ 250 KB); CSS ${kb(sizes.initialCss)} KB`);
  const results = { machine, versions, sizes, load: undefined, open: undefined };
  if (args["sizes-only"]) return finish(results);

  const relay = await startRelay(sizes.dist);
  const cleanup = [() => relay.stop()];
  try {
    const profile = mkdtempSync(join(tmpdir(), "parley-bench-web-profile-"));
    cleanup.push(() => rmSync(profile, { recursive: true, force: true }));
    let context = await launchProfile(profile);
    versions.chromium = context.browser()?.version() ?? "";
    let page = context.pages()[0] ?? (await context.newPage());
    await page.goto(relay.url);
    await page.getByLabel("Handle", { exact: true }).fill("benchme");
    await page.getByRole("button", { name: "Create account" }).click();
    await page.getByRole("navigation", { name: "Conversations" }).waitFor({ timeout: 60_000 });

    log(`preparing ${CONVERSATIONS} conversations…`);
    const clients = [];
    for (let i = 0; i < CONVERSATIONS; i++) {
      const c = await nodeClient(relay, `bench${String(i).padStart(2, "0")}`);
      clients.push(c);
      const me = await c.findContact("benchme");
      await c.sendText(me.id, `hello from ${i}`);
    }
    await waitForChats(page, CONVERSATIONS);

    // The long conversation: the first contact sends M messages in batches.
    let open;
    if (MESSAGES > 0) {
      log(`sending ${MESSAGES} messages into one conversation…`);
      const sender = clients[0];
      const me = await sender.findContact("benchme");
      const started = Date.now();
      const BATCH = 200;
      for (let i = 0; i < MESSAGES; i += BATCH) {
        const batch = [];
        for (let j = i; j < Math.min(MESSAGES, i + BATCH); j++) batch.push(sender.sendText(me.id, `long history message ${j + 1}`));
        await Promise.all(batch);
      }
      await sender.flush();
      log(`  sent in ${((Date.now() - started) / 1000).toFixed(1)} s; waiting for the browser to store them…`);
      // Stored once the chat list's preview shows the last one.
      await page.waitForFunction(
        (needle) => document.querySelector('nav[aria-label="Conversations"]')?.textContent.includes(needle),
        `long history message ${MESSAGES}`,
        { timeout: 30 * 60_000, polling: 1000 },
      );
      log(`  stored after ${((Date.now() - started) / 1000).toFixed(1)} s`);
      const samples = [];
      for (let round = 0; round < ROUNDS; round++) {
        await page.goto(relay.url);
        await waitForChats(page, CONVERSATIONS);
        const ms = await page.evaluate(`(async () => {
          const link = [...document.querySelectorAll('nav[aria-label="Conversations"] a')].find((a) => a.textContent.includes("bench00"));
          const t0 = performance.now();
          link.click();
          const needle = "long history message ${MESSAGES}";
          await new Promise((resolve) => {
            const check = () => (document.querySelector("main")?.textContent.includes(needle) ? resolve() : requestAnimationFrame(check));
            check();
          });
          await new Promise((r) => requestAnimationFrame(() => r()));
          return performance.now() - t0;
        })()`);
        samples.push(ms);
        log(`  open ${MESSAGES}-message conversation, round ${round + 1}: ${ms.toFixed(0)} ms`);
      }
      const dom = await page.evaluate(`document.querySelectorAll("main [role=listitem], main li").length`);
      open = { samples, median: median(samples), messages: MESSAGES, rowsInDom: dom };
    }
    await context.close();

    const loads = [];
    for (let round = 0; round < ROUNDS; round++) {
      const copy = coldCopy(profile);
      context = await launchProfile(copy);
      page = context.pages()[0] ?? (await context.newPage());
      await page.goto(relay.url);
      await waitForChats(page, CONVERSATIONS, { polling: "raf" });
      const ms = await page.evaluate("performance.now()");
      loads.push(ms);
      log(`  cold load to ${CONVERSATIONS} listed conversations, round ${round + 1}: ${ms.toFixed(0)} ms`);
      await context.close();
      rmSync(copy, { recursive: true, force: true });
    }
    results.load = { samples: loads, median: median(loads), conversations: CONVERSATIONS };
    results.open = open;
    for (const c of clients) await c.close().catch(() => {});
  } finally {
    for (const f of cleanup.reverse()) f();
  }
  finish(results);
}

function finish(results) {
  const { machine, versions, sizes, load, open } = results;
  const lines = [];
  lines.push("<!-- bench:web:begin (generated by `npm run bench:web`; edits inside are overwritten) -->");
  lines.push(
    `\`npm run bench:web\` (bench/web/main.mjs), ${machine.date}: ${machine.cpu}, ${machine.cores} cores, ${machine.memoryGiB} GiB, ${machine.os}, Node ${machine.node}; Chromium ${versions.chromium || "—"} headless, React ${versions.react}, Vite ${versions.vite}, playwright-core ${versions["playwright-core"]}. Loopback relay; medians of ${ROUNDS} rounds.`,
  );
  lines.push("");
  lines.push(
    `**Initial JS (index.html's script + modulepreloads, before any dynamic import): ${kb(sizes.initialJs)} KB gzip** (target ≤ 250 KB) + ${kb(sizes.initialCss)} KB CSS.`,
  );
  lines.push("");
  lines.push("| chunk | loaded | raw KB | gzip KB |");
  lines.push("|---|---|---:|---:|");
  for (const r of sizes.rows)
    lines.push(`| ${r.file.replace(/-[\w-]{8}\./, "-[hash].")} | ${r.initial ? "initial" : "on demand"} | ${kb(r.raw)} | ${kb(r.gzip)} |`);
  lines.push("");
  if (load)
    lines.push(
      `**Cold load to a usable chat list** (${load.conversations} conversations, fresh browser, no HTTP/code cache, no service worker): median **${load.median.toFixed(0)} ms** from navigation start (rounds: ${load.samples.map((s) => s.toFixed(0)).join(", ")}).`,
    );
  if (open)
    lines.push(
      `\n**Opening a ${open.messages.toLocaleString("en")}-message conversation** (click → newest message on screen, chat list already loaded): median **${open.median.toFixed(0)} ms** (target < 300 ms; rounds: ${open.samples.map((s) => s.toFixed(0)).join(", ")}); rows in the DOM afterwards: ${open.rowsInDom}.`,
    );
  lines.push("<!-- bench:web:end -->");
  const block = lines.join("\n");
  process.stdout.write(`${block}\n`);
  writeFileSync(join(tmpdir(), "parley-bench-web.json"), JSON.stringify(results, null, 2));
  if (args["no-write"]) return;
  const file = join(ROOT, "BENCHMARKS.md");
  const text = existsSync(file) ? readFileSync(file, "utf8") : "# Benchmarks\n";
  const re = /<!-- bench:web:begin[^>]*-->[\s\S]*<!-- bench:web:end -->/;
  writeFileSync(file, re.test(text) ? text.replace(re, block) : `${text.trimEnd()}\n\n## Web client\n\n${block}\n`);
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
