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
import { cpSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { loadavg, tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import { gzipSync } from "node:zlib";
import { MemoryStore, ParleyClient } from "@parley/protocol/client";
import { nodeTransport } from "@parley/protocol/node";
import { chromium } from "playwright-core";
import { machineInfo, packageVersion } from "../lib/machine.mjs";
import { buildWebClient } from "../lib/web-build.mjs";
import { BENCH_CHROMIUM_ARGS, startWebRelay } from "../lib/web-relay.mjs";

const ROOT = fileURLToPath(new URL("../..", import.meta.url));
const WEB = join(ROOT, "packages/web");
const { values: args } = parseArgs({
  options: {
    rounds: { type: "string", default: "5" },
    conversations: { type: "string", default: "20" },
    messages: { type: "string", default: "10000" },
    receive: { type: "string", default: "200" },
    "no-write": { type: "boolean", default: false },
    "sizes-only": { type: "boolean", default: false },
    // Also record a CPU profile of the first cold load (written next to the JSON results).
    "cpu-profile": { type: "boolean", default: false },
    // Rewrite the block from the last run's results (the JSON in the temp folder), measuring nothing.
    "report-only": { type: "boolean", default: false },
  },
});
const ROUNDS = Number(args.rounds);
const CONVERSATIONS = Number(args.conversations);
const MESSAGES = Number(args.messages);
const RECEIVE = Number(args.receive);
const log = (line) => process.stderr.write(`${line}\n`);
const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};
const kb = (n) => (n / 1024).toFixed(1);

// ---- 1. build and chunk sizes ----
async function buildAndMeasure() {
  await buildWebClient(WEB);
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

const CHROMIUM_ARGS = [...BENCH_CHROMIUM_ARGS];

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

/**
 * In the page: when each start-up milestone happened (ms from navigation start): the app's
 * `parley:*` marks (app/marks.ts), first paint, and when each script chunk finished downloading.
 */
function readPhases() {
  const out = {};
  const nav = performance.getEntriesByType("navigation")[0];
  if (nav) out.html = nav.responseEnd;
  for (const e of performance.getEntriesByType("paint")) out[e.name] = e.startTime;
  for (const e of performance.getEntriesByType("mark")) if (e.name.startsWith("parley:")) out[e.name.slice(7)] = e.startTime;
  for (const r of performance.getEntriesByType("resource")) {
    const m = r.name.match(/\/assets\/([\w-]+?)-[\w-]{8}\.(?:js|wasm)$/);
    if (m) out[`js:${m[1]}`] = r.responseEnd;
  }
  return out;
}

/** Per phase, the median over rounds (phases missing from a round are left out of its median). */
function medianPhases(rounds) {
  const names = [...new Set(rounds.flatMap((r) => Object.keys(r)))];
  const out = {};
  for (const name of names) {
    const xs = rounds.map((r) => r[name]).filter((x) => typeof x === "number");
    if (xs.length > 0) out[name] = median(xs);
  }
  return out;
}

/** The milestones in time order, "name 123". */
function formatPhases(marks) {
  return Object.entries(marks)
    .filter(([name]) => !name.startsWith("cpu:"))
    .sort((a, b) => a[1] - b[1])
    .map(([name, t]) => `${name} ${t.toFixed(0)}`)
    .join(", ");
}

/** Self time of a CPU profile by script (chunk) and the top functions, as lines. */
function summariseProfile(profile) {
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const self = new Map();
  const dt = profile.timeDeltas;
  for (let i = 0; i < profile.samples.length; i++) self.set(profile.samples[i], (self.get(profile.samples[i]) ?? 0) + (dt[i] ?? 0) / 1000);
  const byUrl = new Map();
  const byFn = new Map();
  for (const [id, ms] of self) {
    const { callFrame: f } = byId.get(id);
    const url = f.url ? f.url.replace(/^.*\/assets\//, "").replace(/-[\w-]{8}\.js$/, "") : `(${f.functionName || "native"})`;
    byUrl.set(url, (byUrl.get(url) ?? 0) + ms);
    const fn = `${f.functionName || "(anonymous)"} ${url}:${f.lineNumber + 1}`;
    byFn.set(fn, (byFn.get(fn) ?? 0) + ms);
  }
  const top = (m, n) => [...m].sort((a, b) => b[1] - a[1]).slice(0, n);
  return [
    "self time by script:",
    ...top(byUrl, 10).map(([k, v]) => `  ${v.toFixed(0).padStart(6)} ms  ${k}`),
    "top functions:",
    ...top(byFn, 15).map(([k, v]) => `  ${v.toFixed(0).padStart(6)} ms  ${k}`),
  ];
}

async function main() {
  if (args["report-only"]) return finish(JSON.parse(readFileSync(join(tmpdir(), "parley-bench-web.json"), "utf8")));
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
  const results = { machine, versions, sizes, load: undefined, open: undefined, loadAverage: [loadavg()[0]] };
  if (args["sizes-only"]) return finish(results);

  const relay = await startWebRelay(sizes.dist, "web");
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

    // The browser's receive rate: a contact sends R messages while the chat list is open.
    let receive;
    if (RECEIVE > 0) {
      log(`sending ${RECEIVE} messages to the open browser…`);
      const sender = clients[1] ?? clients[0];
      const me = await sender.findContact("benchme");
      const started = Date.now();
      await Promise.all(Array.from({ length: RECEIVE }, (_, j) => sender.sendText(me.id, `burst message ${j + 1}`)));
      await sender.flush();
      await page.waitForFunction(
        (needle) => document.querySelector('nav[aria-label="Conversations"]')?.textContent.includes(needle),
        `burst message ${RECEIVE}`,
        { timeout: 30 * 60_000, polling: 250 },
      );
      const seconds = (Date.now() - started) / 1000;
      receive = { messages: RECEIVE, seconds, perSecond: RECEIVE / seconds };
      log(`  received and stored in ${seconds.toFixed(1)} s: ${receive.perSecond.toFixed(1)} messages/s`);
    }
    await context.close();

    // The long conversation, seeded through a backup: two Node clients exchange M messages over
    // the relay (one sends, the other receives, decrypts and stores each), the receiver exports an
    // encrypted backup, and a fresh browser restores it through the onboarding screen ("Restore
    // from a backup"), so its IndexedDB store holds what the SDK wrote, as a real restore does.
    let open;
    if (MESSAGES > 0) {
      log(`sending ${MESSAGES} messages between two Node clients…`);
      const owner = await nodeClient(relay, "benchlong");
      const peer = await nodeClient(relay, "benchpeer");
      clients.push(owner, peer);
      const ownerContact = await peer.findContact("benchlong");
      let received = 0;
      const all = new Promise((resolve) => {
        owner.on("message", (m) => {
          if (!m.outgoing && m.text.startsWith("long history message ")) received++;
          if (received >= MESSAGES) resolve();
        });
      });
      const started = Date.now();
      const BATCH = 200;
      for (let i = 0; i < MESSAGES; i += BATCH) {
        const batch = [];
        for (let j = i; j < Math.min(MESSAGES, i + BATCH); j++) batch.push(peer.sendText(ownerContact.id, `long history message ${j + 1}`));
        await Promise.all(batch);
      }
      await peer.flush();
      await all;
      log(`  received by the Node client after ${((Date.now() - started) / 1000).toFixed(1)} s`);
      const passphrase = "bench backup passphrase";
      const backup = await owner.exportBackup(passphrase);
      log(`  backup: ${(backup.length / 1024 / 1024).toFixed(1)} MB`);

      const longProfile = mkdtempSync(join(tmpdir(), "parley-bench-web-long-"));
      cleanup.push(() => rmSync(longProfile, { recursive: true, force: true }));
      const longContext = await launchProfile(longProfile);
      cleanup.push(() => longContext.close().catch(() => {}));
      const longPage = longContext.pages()[0] ?? (await longContext.newPage());
      await longPage.goto(relay.url);
      await longPage.getByRole("button", { name: "Restore from a backup" }).click();
      await longPage
        .getByLabel("Backup file")
        .setInputFiles({ name: "bench.parley-backup", mimeType: "application/octet-stream", buffer: Buffer.from(backup) });
      await longPage.getByLabel("Backup passphrase").fill(passphrase);
      const restoreStarted = Date.now();
      await longPage.getByRole("button", { name: "Restore" }).click();
      await longPage.waitForFunction(
        (needle) => document.querySelector('nav[aria-label="Conversations"]')?.textContent.includes(needle),
        `long history message ${MESSAGES}`,
        { timeout: 10 * 60_000, polling: 500 },
      );
      log(`  restored in the browser in ${((Date.now() - restoreStarted) / 1000).toFixed(1)} s`);
      const samples = [];
      for (let round = 0; round < ROUNDS; round++) {
        await longPage.goto(relay.url);
        await waitForChats(longPage, 1);
        const ms = await longPage.evaluate(`(async () => {
          const link = [...document.querySelectorAll('nav[aria-label="Conversations"] a')].find((a) => a.textContent.includes("benchpeer"));
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
      const dom = await longPage.evaluate(`document.querySelectorAll("main [role=listitem], main li").length`);
      open = { samples, median: median(samples), messages: MESSAGES, rowsInDom: dom };
      await longContext.close();
    }

    const loads = [];
    const phases = [];
    for (let round = 0; round < ROUNDS; round++) {
      const copy = coldCopy(profile);
      context = await launchProfile(copy);
      page = context.pages()[0] ?? (await context.newPage());
      const cdp = await context.newCDPSession(page);
      await cdp.send("Performance.enable");
      const profiling = args["cpu-profile"] && round === 0;
      if (profiling) {
        await cdp.send("Profiler.enable");
        await cdp.send("Profiler.setSamplingInterval", { interval: 250 });
        await cdp.send("Profiler.start");
      }
      await page.goto(relay.url);
      // The time is taken in the page, in the frame that first shows the list (not after a round trip to here).
      const shown = await page.waitForFunction(
        (count) => document.querySelectorAll('nav[aria-label="Conversations"] a').length >= count && performance.now(),
        CONVERSATIONS,
        { timeout: 120_000, polling: "raf" },
      );
      const ms = await shown.jsonValue();
      const marks = await page.evaluate(readPhases);
      marks.shown = ms;
      const metrics = Object.fromEntries((await cdp.send("Performance.getMetrics")).metrics.map((m) => [m.name, m.value]));
      marks["cpu:script"] = metrics.ScriptDuration * 1000;
      marks["cpu:task"] = metrics.TaskDuration * 1000;
      if (profiling) {
        const { profile: cpu } = await cdp.send("Profiler.stop");
        const file = join(tmpdir(), "parley-bench-web-load.cpuprofile");
        writeFileSync(file, JSON.stringify(cpu));
        log(`  CPU profile of round 1: ${file}`);
        for (const line of summariseProfile(cpu)) log(`    ${line}`);
      }
      loads.push(ms);
      phases.push(marks);
      log(`  cold load to ${CONVERSATIONS} listed conversations, round ${round + 1}: ${ms.toFixed(0)} ms  (${formatPhases(marks)})`);
      await context.close();
      rmSync(copy, { recursive: true, force: true });
    }
    results.load = { samples: loads, median: median(loads), conversations: CONVERSATIONS, phases: medianPhases(phases) };
    results.open = open;
    results.receive = receive;
    results.loadAverage.push(loadavg()[0]);
    for (const c of clients) await c.close().catch(() => {});
  } finally {
    for (const f of cleanup.reverse()) f();
  }
  finish(results);
}

function finish(results) {
  const { machine, versions, sizes, load, open, receive } = results;
  const lines = [];
  lines.push("<!-- bench:web:begin (generated by `npm run bench:web`; edits inside are overwritten) -->");
  lines.push(
    `\`npm run bench:web\` (bench/web/main.mjs), ${machine.date}: ${machine.cpu}, ${machine.cores} cores, ${machine.memoryGiB} GiB, ${machine.os}, Node ${machine.node}; Chromium ${versions.chromium || "—"} headless, React ${versions.react}, Vite ${versions.vite}, playwright-core ${versions["playwright-core"]}. Loopback relay; medians of ${load?.samples.length ?? ROUNDS} rounds${results.loadAverage ? `; 1-minute load average ${results.loadAverage.map((x) => x.toFixed(1)).join(" → ")} (start → end) on the shared machine` : ""}.`,
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
  if (load?.phases) {
    const p = load.phases;
    const step = (from, to) => (p[from] !== undefined && p[to] !== undefined ? `${(p[to] - p[from]).toFixed(0)}` : "—");
    lines.push(
      `\nWhere the cold load's time goes (median ms from navigation start of each milestone, \`parley:*\` marks and resource timing): ${formatPhases(p)}. Steps: app script downloaded → evaluated ${step("js:main", "main")}; evaluated → store open ${step("main", "store-open")}, → crypto ready ${step("main", "crypto-ready")}; → client open ${step("crypto-ready", "client-open")}; → list read ${step("client-open", "list-read")}; → list painted ${step("list-read", "shown")}. Renderer main thread busy: ${p["cpu:task"]?.toFixed(0) ?? "—"} ms, of it script ${p["cpu:script"]?.toFixed(0) ?? "—"} ms.`,
    );
  }
  if (receive)
    lines.push(
      `\n**Receiving in the open browser**: ${receive.messages} messages from one contact, sent at once, stored and previewed in ${receive.seconds.toFixed(1)} s: **${receive.perSecond.toFixed(1)} messages/s**.`,
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
