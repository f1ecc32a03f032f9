// Reads a V8 .cpuprofile (from `node --cpu-prof` or the inspector's Profiler) and summarises it:
// self time and inclusive time per function, optionally as µs per benchmark operation.
// Usable as a module or from the command line:
//   node bench/lib/cpuprofile.mjs <file.cpuprofile> [--ops N] [--top 25] [--filter packages/protocol]
import { readFileSync } from "node:fs";
import { pathToFileURL } from "node:url";

/** A short, stable location: "pkg/path/file.js:line" with the machine's paths removed. */
function location(callFrame) {
  const url = callFrame.url || "";
  if (!url) return "(native)";
  const short = url
    .replace(/^file:\/\//, "")
    .replace(/^.*\/node_modules\//, "")
    .replace(/^.*\/packages\//, "")
    .replace(/^node:/, "node:");
  return `${short}:${callFrame.lineNumber + 1}`;
}

/** Pseudo-frames V8 adds; they have no caller worth naming. */
const PSEUDO = new Set(["(root)", "(program)", "(idle)", "(garbage collector)"]);

/**
 * A function's display name. Native frames (node:crypto's bindings such as `run`, which every
 * one-shot crypto job calls) are named after their JS caller, so "run ← verify" and
 * "run ← generateKeyPairSync" stay apart.
 */
function displayName(node, parentNode) {
  // Rust signatures from N-API addons (neon) run to hundreds of characters.
  const raw = node.callFrame.functionName || "(anonymous)";
  const name = raw.length > 40 ? `${raw.slice(0, 37)}…` : raw;
  if (node.callFrame.url || PSEUDO.has(name) || !parentNode) return name;
  const caller = parentNode.callFrame.functionName || "(anonymous)";
  return `${name} ← ${caller.length > 40 ? `${caller.slice(0, 37)}…` : caller}`;
}

/**
 * Self and inclusive time per function, in ms, from sample deltas (more exact than hit counts
 * when the sampling interval jitters). Recursion is counted once per sample for inclusive time.
 *
 * @returns `{ totalMs, functions: [{ name, location, selfMs, totalMs }] }`, sorted by self time.
 */
export function summariseProfile(profile) {
  const byId = new Map(profile.nodes.map((node) => [node.id, node]));
  const parent = new Map();
  for (const node of profile.nodes) for (const child of node.children ?? []) parent.set(child, node.id);
  const stats = new Map();
  const entry = (node) => {
    const name = displayName(node, byId.get(parent.get(node.id)));
    const key = `${name} ${location(node.callFrame)}`;
    let s = stats.get(key);
    if (!s) {
      s = { name, location: location(node.callFrame), selfMs: 0, totalMs: 0 };
      stats.set(key, s);
    }
    return { key, s };
  };
  let totalMs = 0;
  const { samples, timeDeltas } = profile;
  for (let i = 0; i < samples.length; i++) {
    // timeDeltas[i] is the time before sample i; attribute the next delta to this sample.
    const ms = (timeDeltas[i + 1] ?? timeDeltas[i] ?? 0) / 1000;
    totalMs += ms;
    const leaf = byId.get(samples[i]);
    entry(leaf).s.selfMs += ms;
    const counted = new Set();
    for (let id = samples[i]; id !== undefined; id = parent.get(id)) {
      const { key, s } = entry(byId.get(id));
      if (!counted.has(key)) {
        counted.add(key);
        s.totalMs += ms;
      }
    }
  }
  const functions = [...stats.values()].sort((a, b) => b.selfMs - a.selfMs);
  return { totalMs, functions };
}

/** Rows for a table: `[function, location, self ms, self %, self µs/op?]`. */
export function topSelfRows(summary, { top = 20, ops } = {}) {
  return summary.functions
    .filter((f) => f.name !== "(root)")
    .slice(0, top)
    .map((f) => [
      f.name,
      f.location,
      f.selfMs.toFixed(1),
      `${((100 * f.selfMs) / summary.totalMs).toFixed(1)} %`,
      ...(ops ? [((1000 * f.selfMs) / ops).toFixed(1)] : []),
    ]);
}

/** Rows of inclusive time for functions whose location contains `filter` (e.g. "protocol/dist"). */
export function topInclusiveRows(summary, { top = 20, ops, filter }) {
  return summary.functions
    .filter((f) => f.location.includes(filter))
    .sort((a, b) => b.totalMs - a.totalMs)
    .slice(0, top)
    .map((f) => [
      f.name,
      f.location,
      f.totalMs.toFixed(1),
      `${((100 * f.totalMs) / summary.totalMs).toFixed(1)} %`,
      ...(ops ? [((1000 * f.totalMs) / ops).toFixed(1)] : []),
    ]);
}

/**
 * Coarse categories for the crypto work of the protocol benchmarks, matched on function name
 * and location, first match wins. Everything else lands in "other".
 */
const CATEGORIES = [
  ["X25519 DH (node:crypto)", (f) => f.name.includes("statelessDH")],
  ["Ed25519 verify (node:crypto)", (f) => f.name.includes("verifyOneShot")],
  ["Ed25519 sign (node:crypto)", (f) => f.name.includes("signOneShot")],
  ["X25519 keygen (generateKeyPairSync)", (f) => f.name.includes("generateKeyPairSync") || f.location.includes("crypto/keygen")],
  ["hkdfSync (incl. its secret KeyObject)", (f) => /hkdf|HKDF|createSecretKey/.test(f.name) || f.location.includes("crypto/hkdf")],
  [
    "JWK key import + KeyObject",
    (f) =>
      /initEDRaw|getKeyObjectHandleFromJwk|createPrivateKey|createPublicKey|base64|KeyObject/.test(f.name) ||
      f.location.includes("crypto/keys"),
  ],
  ["HMAC / SHA-256 (node:crypto)", (f) => /Hmac|digest|oneShotDigest/.test(f.name) || f.location.includes("crypto/hash")],
  ["ChaCha20-Poly1305 (createCipheriv)", (f) => /Cipher|initiv|setAAD|AuthTag/.test(f.name) || f.location.includes("crypto/cipher")],
  ["wasm (libsodium: ML-KEM, SHA-3, …)", (f) => f.name.startsWith("wasm-function")],
  ["@noble/* (pure JS crypto)", (f) => f.location.startsWith("@noble/")],
  ["garbage collector", (f) => f.name === "(garbage collector)"],
  ["Parley JS (protocol/dist, self time)", (f) => f.location.includes("protocol/dist")],
  ["native addon / (program)", (f) => f.name === "(program)" || f.location.includes(".node")],
  ["benchmark loop", (f) => f.location.includes("bench/")],
];

/** Self time summed per category: `[{ category, ms, share }]`, largest first. */
export function categoryRows(summary, { ops } = {}) {
  const totals = new Map();
  for (const f of summary.functions) {
    const category = CATEGORIES.find(([, test]) => test(f))?.[0] ?? "other";
    totals.set(category, (totals.get(category) ?? 0) + f.selfMs);
  }
  return [...totals]
    .sort((a, b) => b[1] - a[1])
    .map(([category, ms]) => [
      category,
      ms.toFixed(1),
      `${((100 * ms) / summary.totalMs).toFixed(1)} %`,
      ...(ops ? [((1000 * ms) / ops).toFixed(1)] : []),
    ]);
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? "").href) {
  const { markdownTable } = await import("./table.mjs");
  const args = process.argv.slice(2);
  const option = (name, fallback) => {
    const at = args.indexOf(name);
    return at >= 0 ? args[at + 1] : fallback;
  };
  const file = args.find((a) => a.endsWith(".cpuprofile"));
  if (!file) {
    console.error("usage: node bench/lib/cpuprofile.mjs <file.cpuprofile> [--ops N] [--top 25] [--filter protocol/dist]");
    process.exit(2);
  }
  const ops = option("--ops") ? Number(option("--ops")) : undefined;
  const top = Number(option("--top", "25"));
  const summary = summariseProfile(JSON.parse(readFileSync(file, "utf8")));
  const perOp = ops ? ["µs/op"] : [];
  console.log(`${summary.totalMs.toFixed(0)} ms sampled${ops ? `, ${ops} operations` : ""}\n`);
  console.log(markdownTable(["function (self time)", "location", "ms", "share", ...perOp], topSelfRows(summary, { top, ops })));
  console.log(`\n${markdownTable(["category (self time)", "ms", "share", ...perOp], categoryRows(summary, { ops }))}`);
  const filter = option("--filter");
  if (filter) {
    console.log(
      `\n${markdownTable(["function (inclusive)", "location", "ms", "share", ...perOp], topInclusiveRows(summary, { top, ops, filter }))}`,
    );
  }
}
