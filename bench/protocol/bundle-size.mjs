// Browser bundle size of the Parley core with the noble provider. esbuild is not installed here
// (Vite 8 bundles with rolldown, which is), so this uses rolldown's JS API with the options a
// production Vite build uses: platform browser, tree-shaking, minification, ES modules.
//
// `createProvider` reaches every provider through dynamic imports, so the bundler emits the node
// and sodium providers as lazy chunks that a browser choosing "noble" never downloads. The honest
// "core + noble" size is therefore the entry chunk plus the noble chunk and everything they import
// statically; the other lazy chunks are reported separately. node:crypto and libsodium-wrappers
// are external: they are only reached from those other chunks.
import { fileURLToPath } from "node:url";
import { gzipSync } from "node:zlib";

const ENTRY = fileURLToPath(new URL("./bundle-entry.mjs", import.meta.url));
const EXTERNAL = ["node:crypto", "libsodium-wrappers", "libsodium"];

const gzipBytes = (code) => gzipSync(Buffer.from(code), { level: 9 }).length;

/** Chunks reachable from `start` through static imports. */
function staticClosure(chunks, start) {
  const seen = new Set();
  const visit = (name) => {
    if (seen.has(name)) return;
    seen.add(name);
    for (const dep of chunks.get(name)?.imports ?? []) visit(dep);
  };
  visit(start);
  return seen;
}

/** Top contributors by rendered (minified) length, grouped by package or protocol folder. */
function contributors(chunkList) {
  const groups = new Map();
  for (const chunk of chunkList) {
    for (const [id, info] of Object.entries(chunk.modules)) {
      const match = id.match(/node_modules\/((?:@[^/]+\/)?[^/]+)/) ?? id.match(/packages\/protocol\/dist\/([^/]+)/);
      const group = match ? match[1] : id;
      groups.set(group, (groups.get(group) ?? 0) + info.renderedLength);
    }
  }
  return [...groups.entries()].sort((a, b) => b[1] - a[1]).map(([group, bytes]) => ({ group, bytes }));
}

/**
 * Bundles the entry and measures it.
 *
 * @returns `{ tool, coreNoble: { minified, gzip }, otherChunks: [{ name, gzip }], contributors }`
 */
export async function measureBundle() {
  const { rolldown, VERSION } = await import("rolldown");
  const bundle = await rolldown({ input: ENTRY, platform: "browser", external: EXTERNAL, treeshake: true, logLevel: "silent" });
  const { output } = await bundle.generate({ format: "es", minify: true });
  await bundle.close();
  const chunks = new Map(output.filter((o) => o.type === "chunk").map((c) => [c.fileName, c]));
  const entry = [...chunks.values()].find((c) => c.isEntry);
  const noble = [...chunks.values()].find((c) => Object.keys(c.modules).some((id) => id.endsWith("crypto/noble.js")));
  if (!entry || !noble) throw new Error("bundle has no entry chunk or no chunk with the noble provider");
  const wanted = new Set([...staticClosure(chunks, entry.fileName), ...staticClosure(chunks, noble.fileName)]);
  const core = [...wanted].map((name) => chunks.get(name));
  return {
    tool: `rolldown ${VERSION}`,
    coreNoble: {
      chunks: core.length,
      minified: core.reduce((sum, c) => sum + Buffer.byteLength(c.code), 0),
      gzip: core.reduce((sum, c) => sum + gzipBytes(c.code), 0),
      gzipAsOneFile: gzipBytes(core.map((c) => c.code).join("\n")),
    },
    otherChunks: [...chunks.values()]
      .filter((c) => !wanted.has(c.fileName))
      .map((c) => ({
        name: c.fileName,
        modules: Object.keys(c.modules).map((id) => id.replace(/^.*\/(node_modules|packages)\//, "")),
        gzip: gzipBytes(c.code),
      })),
    contributors: contributors(core),
  };
}
