#!/usr/bin/env node
// Bundles the interactive view for a fast first screen (`npm run build` runs it after tsc): the
// compiled view (dist/ui/root.js) with Ink, React and the rest of its pure-JS modules into
// dist/view/, with the chat screen in a chunk of its own that loads after the first frame. Node 20
// loads these few files several times faster than the hundreds of small modules they come from.
// Left outside the bundle, and imported at run time as before: Node's built-ins, @parley/protocol
// (the SDK and its crypto, loaded once the first screen is drawn), ws (and its optional native
// add-ons), React DevTools (Ink's DEV=true mode), and this package's modules outside dist/ui/,
// which `parley` has loaded already (one CliError class, one profile module).
// Also written: manifest.json (each compiled module that went in, with its size and CRC-32: the
// bin runs the bundle only while they all match, see src/ui/bundle.ts) and THIRD-PARTY-LICENSES.txt
// (the licence of every package inside).
// Like `tsc -b`, a no-op when the bundle is current: same compiled modules, same lockfile, same
// script (--force rebuilds anyway). A new bundle is written to a folder of its own, then swapped
// in, so a `parley` starting meanwhile sees the old bundle, the new one, or none (and then runs
// the compiled modules), never half of one.
import { existsSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from "node:fs";
import { builtinModules } from "node:module";
import { dirname, join, relative, sep } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { build } from "vite";

const PACKAGE_DIR = fileURLToPath(new URL("..", import.meta.url));
const DIST = join(PACKAGE_DIR, "dist");
const ENTRY = join(DIST, "ui", "root.js");
const ENTRY_FILE = "view.js";
const LOCKFILE = join(PACKAGE_DIR, "..", "..", "package-lock.json");

if (!existsSync(ENTRY)) {
  console.error("bundle-view: dist/ui/root.js is missing; run `tsc -b` first (`npm run build` does both).");
  process.exit(1);
}
const { BUNDLE_DIR, BUNDLE_MANIFEST, currentBundle, fingerprint } = await import(join(DIST, "ui", "bundle.js"));
const OUT_DIR = join(DIST, BUNDLE_DIR);
const TMP_DIR = join(DIST, `.${BUNDLE_DIR}-${process.pid}`);

/** What the bundle depends on besides the compiled modules: this script and the installed packages' versions. */
const toolchain = fingerprint(
  Buffer.concat([readFileSync(fileURLToPath(import.meta.url)), existsSync(LOCKFILE) ? readFileSync(LOCKFILE) : Buffer.alloc(0)]),
);

/** True when dist/view holds a bundle of the current compiled modules, made by this script from the same packages. */
function upToDate() {
  try {
    const manifest = JSON.parse(readFileSync(join(OUT_DIR, BUNDLE_MANIFEST), "utf8"));
    const same = manifest.toolchain?.size === toolchain.size && manifest.toolchain?.crc32 === toolchain.crc32;
    return same && currentBundle(pathToFileURL(`${DIST}/`)) !== undefined;
  } catch {
    return false;
  }
}

if (!process.argv.includes("--force") && upToDate()) {
  console.error(`the interactive view's bundle (dist/${BUNDLE_DIR}/) is up to date`);
  process.exit(0);
}

/** Packages imported at run time rather than bundled (see the header). */
const EXTERNAL_PACKAGES = /^(@parley\/protocol(\/.*)?|ws|react-devtools-core)$/;
const BUILTINS = new Set(builtinModules);

/** True for an import the bundle leaves to Node at run time. */
function isExternal(id, importer) {
  if (id.startsWith("node:") || BUILTINS.has(id) || EXTERNAL_PACKAGES.test(id)) return true;
  // This package's own compiled modules outside dist/ui/ (errors.js, profile.js): parley has
  // loaded them before the view, and one copy keeps `instanceof CliError` true.
  const path = id.startsWith(".") && importer ? join(dirname(importer), id) : id;
  return path.startsWith(DIST + sep) && !path.startsWith(join(DIST, "ui") + sep);
}

// A build that fails leaves no half-written folder in dist/ (which npm pack would ship).
process.on("exit", () => rmSync(TMP_DIR, { recursive: true, force: true }));
const result = await build({
  configFile: false,
  root: PACKAGE_DIR,
  logLevel: "warn",
  mode: "production",
  // React's production build: the development one checks and warns at run time, for tests.
  define: { "process.env.NODE_ENV": JSON.stringify("production") },
  ssr: { noExternal: true, target: "node" },
  build: {
    ssr: ENTRY,
    outDir: TMP_DIR,
    emptyOutDir: true,
    target: "node20",
    minify: false,
    sourcemap: false,
    copyPublicDir: false,
    reportCompressedSize: false,
    rollupOptions: {
      external: isExternal,
      output: {
        format: "es",
        entryFileNames: ENTRY_FILE,
        chunkFileNames: (chunk) => (chunk.isDynamicEntry ? "[name]-[hash].js" : "shared-[hash].js"),
        banner:
          "// @parley/cli's interactive view, bundled by scripts/bundle-view.mjs; licences of the packages inside: THIRD-PARTY-LICENSES.txt",
      },
    },
  },
});

const chunks = (Array.isArray(result) ? result : [result]).flatMap((r) => r.output).filter((o) => o.type === "chunk");
const moduleIds = [...new Set(chunks.flatMap((c) => c.moduleIds ?? Object.keys(c.modules)))].filter((id) => !id.startsWith("\0"));

// The compiled modules of this package that went in: the bin checks them before using the bundle.
const inputs = {};
for (const id of moduleIds.filter((m) => m.startsWith(DIST + sep)).sort())
  inputs[relative(DIST, id).split(sep).join("/")] = fingerprint(readFileSync(id));
writeFileSync(join(TMP_DIR, BUNDLE_MANIFEST), `${JSON.stringify({ entry: ENTRY_FILE, inputs, toolchain }, null, 2)}\n`);

/** The folder of the package a bundled module belongs to (the innermost node_modules/<name>). */
function packageDirOf(id) {
  const parts = id.split(sep);
  const at = parts.lastIndexOf("node_modules");
  if (at < 0) return undefined;
  const nameParts = parts[at + 1]?.startsWith("@") ? 2 : 1;
  return parts.slice(0, at + 1 + nameParts).join(sep);
}

const packages = [...new Set(moduleIds.map(packageDirOf).filter(Boolean))].sort();
const notices = packages.map((dir) => {
  const manifest = JSON.parse(readFileSync(join(dir, "package.json"), "utf8"));
  const licenceFile = readdirSync(dir).find((f) => /^(licen[cs]e|copying)(\.(md|txt))?$/i.test(f));
  const text = licenceFile ? readFileSync(join(dir, licenceFile), "utf8").trim() : `License: ${manifest.license ?? "see the package"}`;
  return `${manifest.name}@${manifest.version} (${manifest.license ?? "unknown"})\n\n${text}\n`;
});
writeFileSync(
  join(TMP_DIR, "THIRD-PARTY-LICENSES.txt"),
  `The interactive view's bundle (dist/view/) contains code from these packages, under these licences.\n\n${notices.join(`\n${"-".repeat(72)}\n\n`)}`,
);

// Swap the new bundle in. Another build that swapped its own in first made the same bundle: keep that one.
const OLD_DIR = join(DIST, `.${BUNDLE_DIR}-old-${process.pid}`);
try {
  renameSync(OUT_DIR, OLD_DIR);
} catch (error) {
  if (error.code !== "ENOENT") throw error;
}
try {
  renameSync(TMP_DIR, OUT_DIR);
} catch (error) {
  if (error.code !== "ENOTEMPTY" && error.code !== "EEXIST") throw error;
  rmSync(TMP_DIR, { recursive: true, force: true });
}
rmSync(OLD_DIR, { recursive: true, force: true });

const bytes = chunks.reduce((sum, c) => sum + Buffer.byteLength(c.code), 0);
console.error(
  `bundled the interactive view: ${moduleIds.length} modules from ${packages.length} packages into ${chunks.length} files in dist/${BUNDLE_DIR}/ (${Math.round(bytes / 1024)} kB)`,
);
