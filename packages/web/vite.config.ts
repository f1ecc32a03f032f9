// Builds the web client into dist/, which the relay serves at `/` (`parley-relay --static`).
// The protocol is compiled from its TypeScript source ("@parley/source" condition), so the web
// build never waits for, or goes stale against, packages/protocol/dist. Two entries: the app
// (index.html) and the service worker, emitted unhashed as /sw.js so its scope is the origin.
import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import react from "@vitejs/plugin-react";
import { defaultClientConditions, defineConfig, type Plugin, type Rollup } from "vite";
import { precacheManifest } from "./src/sw/precache-plugin.js";

export default defineConfig({
  plugins: [react(), emojibaseData(), precacheManifest(), preloadCrypto()],
  // The version shown in Settings → About.
  define: { __PARLEY_WEB_VERSION__: JSON.stringify(JSON.parse(readFileSync(new URL("package.json", import.meta.url), "utf8")).version) },
  resolve: { conditions: ["@parley/source", ...defaultClientConditions] },
  build: {
    target: "es2022",
    outDir: "dist",
    emptyOutDir: true,
    rollupOptions: {
      input: { main: "index.html", sw: "src/sw/main.ts" },
      output: { entryFileNames: (chunk) => (chunk.name === "sw" ? "sw.js" : "assets/[name]-[hash].js") },
    },
  },
});

/**
 * The emoji picker's data (emojibase-data en/data.json + messages.json) served from our own
 * origin at /emojibase/en/ (emitted into the build; served by the dev server), so the picker
 * never fetches from a CDN.
 */
function emojibaseData(): Plugin {
  const require = createRequire(import.meta.url);
  const files = ["data.json", "messages.json"];
  const read = (file: string) => readFileSync(require.resolve(`emojibase-data/en/${file}`));
  return {
    name: "parley-emojibase-data",
    generateBundle() {
      for (const file of files) this.emitFile({ type: "asset", fileName: `emojibase/en/${file}`, source: read(file) });
    },
    configureServer(server) {
      server.middlewares.use((req, res, next) => {
        const file = files.find((f) => req.url === `/emojibase/en/${f}`);
        if (!file) return next();
        res.setHeader("Content-Type", "application/json");
        res.end(read(file));
      });
    },
  };
}

/**
 * Links the crypto provider's chunks from index.html as modulepreloads: libsodium (its wasm, ~150
 * KB gzip) and the provider module with the chunks it imports. The app cannot show the chat list
 * before the crypto has loaded, but reaches it two dynamic imports deep (provider selection, then
 * the provider, then libsodium), so without this the browser would only start fetching each one
 * after the one before has run. Preloading fetches and compiles; nothing runs before the import.
 */
function preloadCrypto(): Plugin {
  return {
    name: "parley-preload-crypto",
    apply: "build",
    transformIndexHtml: {
      order: "post",
      handler(_html, ctx) {
        const chunks = Object.values(ctx.bundle ?? {}).filter((c): c is Rollup.OutputChunk => c.type === "chunk");
        const entry = chunks.find((c) => c.isEntry && c.name === "main");
        const linked = new Set([entry?.fileName, ...(entry?.imports ?? [])]);
        const files: string[] = [];
        const visit = (chunk: Rollup.OutputChunk | undefined, what: string) => {
          if (!chunk) throw new Error(`parley-preload-crypto: no chunk for ${what} in the build`);
          if (linked.has(chunk.fileName)) return;
          linked.add(chunk.fileName);
          files.push(chunk.fileName);
          for (const file of chunk.imports)
            visit(
              chunks.find((c) => c.fileName === file),
              file,
            );
        };
        visit(
          chunks.find((c) => c.facadeModuleId?.endsWith("/protocol/src/crypto/sodium.ts")),
          "the libsodium provider",
        );
        visit(
          chunks.find((c) => c.facadeModuleId?.includes("/node_modules/libsodium-wrappers/")),
          "libsodium-wrappers",
        );
        return files.map((file) => ({
          tag: "link",
          attrs: { rel: "modulepreload", crossorigin: true, href: `/${file}` },
          injectTo: "head" as const,
        }));
      },
    },
  };
}
