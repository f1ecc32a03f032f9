// `npm run bench:calls` (bench/run.mjs builds protocol and relay first): call set-up in the web
// client, two people in headless Chromium (fake camera and microphone) through a local relay
// serving the built app, against a bare baseline in the same run.
// Per round (default 9), Parley: Alice clicks "Video call Bob" → Bob's banner rings; Bob clicks
// Accept → the first decoded remote frame on each side; and Alice's createOffer → the later of the
// two first frames ("offer to first decoded frame"). Times come from the pages (init script
// page-timings.mjs: clicks, getUserMedia, RTCPeerConnection calls, every relay frame sent and
// received, the banner, first frames), so they include no test-driver latency except the
// automated Accept click. The baseline: two RTCPeerConnections in two pages with the offer,
// answer and candidates handed over directly by this script (no relay, no encryption); rounds
// alternate with Parley's so both see the same machine load. Also prints where the click → ring
// time goes (medians of each step). Runs itself inside a loopback-only network namespace
// (re-exec under `unshare --net` with only lo up) when it can (root); says which.
// Rewrites the "Calls" block of BENCHMARKS.md (--no-write leaves it); JSON results go to the
// temp folder. --web-dist DIR serves another build of the web client (e.g. another checkout's
// packages/web/dist, for an A/B comparison against the same relay); it never writes BENCHMARKS.md.
import { spawnSync } from "node:child_process";
import { existsSync, readdirSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { createServer } from "node:http";
import { loadavg, networkInterfaces, tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import { chromium } from "playwright-core";
import { machineInfo, packageVersion } from "../lib/machine.mjs";
import { buildWebClient } from "../lib/web-build.mjs";
import { BENCH_CHROMIUM_ARGS, startWebRelay } from "../lib/web-relay.mjs";
import { BASELINE_PAGE, PAGE_TIMINGS } from "./page-timings.mjs";

const ROOT = fileURLToPath(new URL("../..", import.meta.url));
const WEB = join(ROOT, "packages/web");
const { values: args } = parseArgs({
  options: {
    rounds: { type: "string", default: "9" },
    "no-write": { type: "boolean", default: false },
    "no-netns": { type: "boolean", default: false },
    "web-dist": { type: "string" },
    help: { type: "boolean", default: false },
  },
});
if (args.help) {
  process.stdout.write(
    [
      "npm run bench:calls -- [options]",
      "  --rounds N        counted rounds of Parley and of the baseline, alternating (default 9; one more warm-up each)",
      "  --no-write        print the results, leave BENCHMARKS.md alone",
      "  --no-netns        measure in the host's network namespace (default: re-run inside a loopback-only one when root)",
      "  --web-dist DIR    serve this prebuilt web client instead of packages/web/dist (A/B runs; implies --no-write)",
      "",
    ].join("\n"),
  );
  process.exit(0);
}
const DIST = args["web-dist"] ? fileURLToPath(new URL(args["web-dist"], `file://${process.cwd()}/`)) : join(WEB, "dist");
const ROUNDS = Number(args.rounds);
const log = (line) => process.stderr.write(`${line}\n`);

// ---- 0. a loopback-only network namespace ----
const outsideLoopback = () =>
  Object.values(networkInterfaces())
    .flat()
    .some((a) => a && !a.internal);
let where;
if (process.env.PARLEY_BENCH_NETNS === "1") {
  where = outsideLoopback()
    ? "NOT isolated (the namespace has other interfaces)"
    : "a loopback-only network namespace (unshare --net, only lo up)";
} else if (!args["no-netns"] && process.getuid?.() === 0 && outsideLoopback()) {
  log("re-running inside a loopback-only network namespace: unshare --net, only lo up");
  const result = spawnSync(
    "unshare",
    [
      "--net",
      "sh",
      "-c",
      'ip link set lo up && exec "$@"',
      "sh",
      process.execPath,
      ...process.execArgv,
      fileURLToPath(import.meta.url),
      ...process.argv.slice(2),
    ],
    { stdio: "inherit", env: { ...process.env, PARLEY_BENCH_NETNS: "1" } },
  );
  if (result.error) {
    log(`unshare failed (${result.error.message}); run with --no-netns to measure in the host's namespace`);
    process.exit(1);
  }
  process.exit(result.status ?? 1);
} else {
  where = outsideLoopback() ? "the host's network namespace (not root, or --no-netns): loopback addresses only" : "a loopback-only network";
}
log(`network: ${where}`);

// ---- 1. the built web client ----
function newestMtime(dir) {
  let newest = 0;
  for (const name of readdirSync(dir)) {
    const path = join(dir, name);
    const s = statSync(path);
    newest = Math.max(newest, s.isDirectory() ? newestMtime(path) : s.mtimeMs);
  }
  return newest;
}

async function ensureWebBuild() {
  if (args["web-dist"]) {
    if (!existsSync(join(DIST, "index.html"))) throw new Error(`--web-dist: no index.html in ${DIST}`);
    return `the prebuilt ${DIST}`;
  }
  const index = join(DIST, "index.html");
  const sources = Math.max(newestMtime(join(WEB, "src")), newestMtime(join(ROOT, "packages/protocol/src")));
  if (existsSync(index) && statSync(index).mtimeMs > sources) return "existing build (newer than its sources)";
  log("building the web client (packages/web/dist is missing or older than its sources)");
  await buildWebClient(WEB);
  return "built for this run";
}

// ---- 2. relay, baseline page server, browser ----

async function startBaselineServer() {
  const server = createServer((_req, res) => res.writeHead(200, { "content-type": "text/html" }).end(BASELINE_PAGE));
  await new Promise((resolve) => server.listen(0, "127.0.0.1", resolve));
  return { url: `http://127.0.0.1:${server.address().port}/`, stop: () => server.close() };
}

const CHROMIUM_ARGS = [
  ...BENCH_CHROMIUM_ARGS,
  "--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1",
  "--use-fake-device-for-media-stream",
  "--use-fake-ui-for-media-stream",
  "--allow-loopback-in-peer-connection",
];

// ---- 3. people ----
async function person(browser, relay, handle, name) {
  const context = await browser.newContext({ viewport: { width: 1280, height: 800 }, reducedMotion: "reduce" });
  await context.addInitScript(PAGE_TIMINGS);
  const page = await context.newPage();
  const errors = [];
  page.on("pageerror", (e) => errors.push(e.message));
  await page.goto(relay.url);
  await page.getByLabel("Handle").fill(handle);
  await page.getByLabel("Display name").fill(name);
  await page.getByRole("button", { name: "Create account" }).click();
  await page.getByRole("navigation", { name: "Conversations" }).waitFor({ timeout: 60_000 });
  return { context, page, errors };
}

async function introduce(alice, bob) {
  const a = alice.page;
  const b = bob.page;
  await a.getByLabel("Handle to chat with").fill("bob");
  await a.getByLabel("Handle to chat with").press("Enter");
  await a.getByRole("main").getByRole("heading").first().waitFor();
  const say = async (page, text) => {
    await page.getByRole("textbox", { name: "Message", exact: true }).fill(text);
    await page.getByRole("textbox", { name: "Message", exact: true }).press("Enter");
  };
  await say(a, "hello");
  await b
    .getByRole("navigation", { name: "Conversations" })
    .getByRole("link", { name: /^Alice\b/ })
    .click();
  await b.getByRole("main").getByRole("listitem", { name: /hello/ }).last().waitFor({ timeout: 30_000 });
  await say(b, "hi");
  await a
    .getByRole("main")
    .getByRole("listitem", { name: /, hi\b/ })
    .last()
    .waitFor({ timeout: 30_000 });
}

// ---- 4. one Parley round ----
const first = (events, what, after = -Infinity, t) =>
  events.find((e) => e.what === what && e.at >= after && (t === undefined || t.includes(e.t)));

async function parleyRound(alice, bob) {
  const a = alice.page;
  const b = bob.page;
  await Promise.all([a.evaluate("window.__bench.reset()"), b.evaluate("window.__bench.reset()")]);
  await a.getByRole("button", { name: "Video call Bob" }).click();
  const ringing = b.getByRole("alertdialog", { name: "Alice" });
  await ringing.waitFor({ timeout: 60_000 });
  await ringing.getByRole("button", { name: "Accept" }).click();
  await Promise.all([
    a.waitForFunction((label) => window.__bench.firstFrames[label] !== undefined, "Video of Bob", { timeout: 60_000, polling: 20 }),
    b.waitForFunction((label) => window.__bench.firstFrames[label] !== undefined, "Video of Alice", { timeout: 60_000, polling: 20 }),
  ]);
  const [A, B] = await Promise.all([a.evaluate("window.__bench"), b.evaluate("window.__bench")]);
  await a.getByRole("dialog", { name: "Bob" }).getByRole("button", { name: "Hang up" }).click();
  await a.getByRole("dialog").waitFor({ state: "detached", timeout: 30_000 });
  await b.getByRole("dialog").waitFor({ state: "detached", timeout: 30_000 });
  await a.waitForTimeout(500);

  const click = first(A.events, "click-call").at;
  const accept = first(B.events, "click-accept").at;
  const offerCreated = first(A.events, "createOffer-end").at;
  const aFrame = A.firstFrames["Video of Bob"];
  const bFrame = B.firstFrames["Video of Alice"];
  const at = (e) => (e ? e.at - click : undefined);
  const sends = ["send", "sealed_send"];
  const offerSent = first(A.events, "ws-send", offerCreated, sends);
  const offerAtBob = first(B.events, "ws-recv", click, ["message"]);
  const ringingSent = first(B.events, "ws-send", offerAtBob?.at ?? click, sends);
  const atAccept = (e) => (e ? e.at - accept : undefined);
  const answerSent = first(B.events, "ws-send", first(B.events, "setLocalDescription-end", accept)?.at ?? accept, sends);
  const answerAtAlice = first(A.events, "ws-recv", answerSent?.at ?? accept, ["message"]);
  const beforeOffer = A.events
    .filter((e) => e.what === "ws-send" && e.at >= click && e.at <= (offerSent?.at ?? click))
    .map((e) => `${e.t}@${Math.round(e.at - click)}`);
  return {
    clickToRing: B.ringAt - click,
    acceptToFrameAlice: aFrame - accept,
    acceptToFrameBob: bFrame - accept,
    offerToFrame: Math.max(aFrame, bFrame) - offerCreated,
    offerToFrameAlice: aFrame - offerCreated,
    offerToFrameBob: bFrame - offerCreated,
    steps: {
      "gUM start": at(first(A.events, "gum-start", click)),
      "gUM end (camera + mic open)": at(first(A.events, "gum-end", click)),
      "ICE servers asked (fetch_ice_servers sent)": at(first(A.events, "ws-send", click, ["fetch_ice_servers"])),
      "ICE servers answered": at(first(A.events, "ws-recv", click, ["ice_servers"])),
      "RTCPeerConnection constructed": at(first(A.events, "pc-new", click)),
      "createOffer start": at(first(A.events, "createOffer-start", click)),
      "createOffer end": at(first(A.events, "createOffer-end", click)),
      "setLocalDescription end": at(first(A.events, "setLocalDescription-end", click)),
      "offer envelope sent (WebSocket send)": at(offerSent),
      "offer envelope received by Bob": at(offerAtBob),
      "banner shown at Bob": B.ringAt - click,
      "Bob's ringing signal sent": at(ringingSent),
    },
    acceptSteps: {
      "Bob: gUM end": atAccept(first(B.events, "gum-end", accept)),
      "Bob: RTCPeerConnection constructed": atAccept(first(B.events, "pc-new", accept)),
      "Bob: setRemoteDescription(offer) end": atAccept(first(B.events, "setRemoteDescription-end", accept)),
      "Bob: createAnswer end": atAccept(first(B.events, "createAnswer-end", accept)),
      "Bob: setLocalDescription(answer) end": atAccept(first(B.events, "setLocalDescription-end", accept)),
      "Bob: answer envelope sent": atAccept(answerSent),
      "Alice: answer envelope received": atAccept(answerAtAlice),
      "Alice: setRemoteDescription(answer) end": atAccept(first(A.events, "setRemoteDescription-end", accept)),
      "Alice: connected": atAccept(first(A.events, "pc-connected", accept)),
      "Bob: connected": atAccept(first(B.events, "pc-connected", accept)),
      "Alice: first decoded frame": aFrame - accept,
      "Bob: first decoded frame": bFrame - accept,
    },
    beforeOffer,
    events: { alice: A.events.map((e) => ({ ...e, at: e.at - click })), bob: B.events.map((e) => ({ ...e, at: e.at - click })) },
  };
}

// ---- 5. one baseline round ----
async function baselineRound(p, q) {
  await Promise.all([p.evaluate("window.base.start()"), q.evaluate("window.base.start()")]);
  const offer = await p.evaluate("window.base.offer()");
  const answer = await q.evaluate((sdp) => window.base.answer(sdp), offer);
  await p.evaluate((sdp) => window.base.applyAnswer(sdp), answer);
  const deadline = Date.now() + 30_000;
  for (;;) {
    const [fromP, fromQ] = await Promise.all([p.evaluate("window.base.drain()"), q.evaluate("window.base.drain()")]);
    if (fromP.length) await q.evaluate((c) => window.base.add(c), fromP);
    if (fromQ.length) await p.evaluate((c) => window.base.add(c), fromQ);
    const done = await Promise.all([p.evaluate("window.base.t.firstFrame"), q.evaluate("window.base.t.firstFrame")]);
    if (done[0] && done[1]) break;
    if (Date.now() > deadline) throw new Error("baseline: no frames within 30 s");
    await new Promise((r) => setTimeout(r, 20));
  }
  const [tp, tq] = await Promise.all([p.evaluate("window.base.t"), q.evaluate("window.base.t")]);
  await Promise.all([p.evaluate("window.base.stop()"), q.evaluate("window.base.stop()")]);
  return {
    offerToFrame: Math.max(tp.firstFrame, tq.firstFrame) - tp.offerCreated,
    offerToFrameCaller: tp.firstFrame - tp.offerCreated,
    offerToFrameCallee: tq.firstFrame - tp.offerCreated,
    gumMs: tp.gumEnd - tp.gumStart,
  };
}

// ---- 6. statistics and report ----
const median = (xs) => {
  const s = xs.filter((x) => typeof x === "number").sort((a, b) => a - b);
  if (s.length === 0) return Number.NaN;
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};
const range = (xs) => {
  const s = xs.filter((x) => typeof x === "number");
  if (s.length === 0) return "—";
  return `${Math.round(Math.min(...s))}–${Math.round(Math.max(...s))}`;
};
const ms = (x) => (Number.isFinite(x) ? `${Math.round(x)}` : "—");

function report(results) {
  const { parley, baseline, warmup, machine, versions, load, network, build } = results;
  const rows = [
    ["click → callee's banner rings", parley.map((r) => r.clickToRing)],
    ["accept → first decoded frame at the caller (Alice)", parley.map((r) => r.acceptToFrameAlice)],
    ["accept → first decoded frame at the callee (Bob)", parley.map((r) => r.acceptToFrameBob)],
    ["offer created → first decoded frame, later side", parley.map((r) => r.offerToFrame)],
    ["baseline: offer created → first decoded frame, later side", baseline.map((r) => r.offerToFrame)],
  ];
  const ratio = median(parley.map((r) => r.offerToFrame)) / median(baseline.map((r) => r.offerToFrame));
  const stepNames = Object.keys(parley[0].steps);
  const acceptNames = Object.keys(parley[0].acceptSteps);
  const lines = [
    `\`npm run bench:calls\` (bench/calls/main.mjs), ${machine.date}: ${machine.cpu}, ${machine.cores} cores, ${machine.memoryGiB} GiB, ${machine.os}, Node ${machine.node}; Chromium ${versions.chromium} headless (fake camera 640x480 + microphone), playwright-core ${versions.playwright}. ${network}; web client: ${build}. ${parley.length} rounds each, Parley and baseline alternating; 1-minute load average ${load.start.toFixed(2)} → ${load.end.toFixed(2)} (start → end) on the shared 2-core machine.`,
    "",
    "| measure | median ms | range ms | rounds |",
    "|---|---:|---:|---|",
    ...rows.map(([name, xs]) => `| ${name} | ${ms(median(xs))} | ${range(xs)} | ${xs.map(ms).join(", ")} |`),
    "",
    `**Offer → first decoded frame: Parley ${ms(median(parley.map((r) => r.offerToFrame)))} ms vs bare baseline ${ms(median(baseline.map((r) => r.offerToFrame)))} ms = ${ratio.toFixed(1)}×.** Parley's figure includes the callee's automated Accept click (the driver clicks as soon as the banner shows) and the callee's getUserMedia after it; the baseline's callee also opens its camera after receiving the offer. Baseline getUserMedia median ${ms(median(baseline.map((r) => r.gumMs)))} ms.`,
    "",
    "Where click → ring goes (caller Alice, callee Bob; median ms after the click, and range):",
    "",
    "| step | median | range |",
    "|---|---:|---:|",
    ...stepNames.map((s) => `| ${s} | ${ms(median(parley.map((r) => r.steps[s])))} | ${range(parley.map((r) => r.steps[s]))} |`),
    "",
    `Frames Alice sent between the click and the offer (first counted round): ${parley[0].beforeOffer.join(", ")}; in the first call of the page (warm-up, not counted): ${warmup.beforeOffer.join(", ")}.`,
    "",
    `The first call of a freshly loaded page (warm-up round, not in the medians): click → ring ${ms(warmup.clickToRing)} ms; ${stepNames.map((s) => `${s} ${warmup.steps[s] === undefined ? "—" : ms(warmup.steps[s])}`).join("; ")}.`,
    "",
    "Where accept → first frame goes (median ms after Bob's Accept click, and range):",
    "",
    "| step | median | range |",
    "|---|---:|---:|",
    ...acceptNames.map(
      (s) => `| ${s} | ${ms(median(parley.map((r) => r.acceptSteps[s])))} | ${range(parley.map((r) => r.acceptSteps[s]))} |`,
    ),
  ];
  return lines.join("\n");
}

function writeBlock(block) {
  const file = join(ROOT, "BENCHMARKS.md");
  const begin = "<!-- bench:calls:begin (generated by `npm run bench:calls`; edits inside are overwritten) -->";
  const end = "<!-- bench:calls:end -->";
  let text = readFileSync(file, "utf8");
  const generated = `${begin}\n${block}\n${end}`;
  const from = text.indexOf("<!-- bench:calls:begin");
  const to = text.indexOf(end);
  if (from >= 0 && to > from) text = text.slice(0, from) + generated + text.slice(to + end.length);
  else text = `${text.trimEnd()}\n\n## Calls\n\n${generated}\n`;
  writeFileSync(file, text);
}

// ---- main ----
const loadStart = loadavg()[0];
const build = await ensureWebBuild();
const relay = await startWebRelay(DIST, "calls");
const baseServer = await startBaselineServer();
const browser = await chromium.launch({
  executablePath: process.env.PARLEY_CHROMIUM ?? "/usr/bin/chromium",
  headless: true,
  args: CHROMIUM_ARGS,
});
try {
  log(`relay ${relay.url}; Chromium ${browser.version()}`);
  const alice = await person(browser, relay, "alice", "Alice");
  const bob = await person(browser, relay, "bob", "Bob");
  await introduce(alice, bob);
  const baseContexts = await Promise.all([browser.newContext(), browser.newContext()]);
  const [p, q] = await Promise.all(baseContexts.map((c) => c.newPage()));
  await Promise.all([p.goto(baseServer.url), q.goto(baseServer.url)]);
  // One warm-up of each (first camera open, code caches), not counted.
  const warmup = await parleyRound(alice, bob);
  await baselineRound(p, q);
  const parley = [];
  const baseline = [];
  for (let i = 0; i < ROUNDS; i++) {
    const { events: _events, ...r } = await parleyRound(alice, bob);
    parley.push(r);
    const s = await baselineRound(p, q);
    baseline.push(s);
    log(
      `round ${i + 1}/${ROUNDS}: click→ring ${ms(r.clickToRing)}, accept→frame ${ms(r.acceptToFrameAlice)}/${ms(r.acceptToFrameBob)}, offer→frame ${ms(r.offerToFrame)} (baseline ${ms(s.offerToFrame)}) ms`,
    );
  }
  if (alice.errors.length || bob.errors.length) throw new Error(`page errors: ${[...alice.errors, ...bob.errors].join("; ")}`);
  const results = {
    machine: machineInfo(),
    versions: { chromium: browser.version(), playwright: packageVersion("playwright-core", ROOT) },
    load: { start: loadStart, end: loadavg()[0] },
    network: `Relay, pages and media on ${where.replace(/ \(.*\)$/, "")}`,
    build,
    warmup,
    parley,
    baseline,
  };
  const out = join(tmpdir(), "parley-bench-calls.json");
  writeFileSync(out, JSON.stringify(results, null, 2));
  const block = report(results);
  console.log(block);
  log(`results: ${out}`);
  if (!args["no-write"] && !args["web-dist"]) {
    writeBlock(block);
    log("BENCHMARKS.md: the Calls block is rewritten");
  }
} finally {
  await browser.close();
  relay.stop();
  baseServer.stop();
}
