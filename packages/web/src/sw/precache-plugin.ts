// Build-time half of the offline shell: after Vite has written the bundle, list the app shell's
// URLs (index.html as "/", the built JS/CSS/assets, the manifest and icons) and write that list
// and a version derived from it into sw.js (a separate entry, so it cannot import the list).
// Source maps and WebAssembly are left out (wasm, e.g. the QR scanner's, is cached on first use).
import type { Plugin } from "vite";

/** Files from public/ that belong to the shell. */
const PUBLIC_SHELL = ["/manifest.webmanifest", "/icon.svg", "/icon-192.png", "/icon-512.png"];

/** A short, stable hash (FNV-1a, 2×32 bits) of `text`: the shell version. */
export function shortHash(text: string): string {
  let a = 0x811c9dc5;
  let b = 0x01000193;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    a = Math.imul(a ^ c, 0x01000193) >>> 0;
    b = Math.imul(b ^ c, 0x5bd1e995) >>> 0;
  }
  return a.toString(36) + b.toString(36);
}

export function precacheManifest(): Plugin {
  return {
    name: "parley-precache-manifest",
    apply: "build",
    enforce: "post",
    generateBundle(_options, bundle) {
      const sw = Object.values(bundle).find((f) => f.type === "chunk" && f.fileName === "sw.js");
      if (sw?.type !== "chunk") return;
      const urls: string[] = ["/"];
      let fingerprint = "";
      for (const file of Object.values(bundle)) {
        const name = file.fileName;
        if (name === "sw.js" || name.endsWith(".map") || name.endsWith(".wasm")) continue;
        if (name === "index.html") {
          fingerprint += file.type === "asset" ? String(file.source) : "";
          continue;
        }
        urls.push(`/${name}`);
        fingerprint += `${name}\n`;
      }
      urls.push(...PUBLIC_SHELL);
      const version = shortHash(fingerprint + sw.code);
      sw.code = sw.code
        .replace(/([`"'])__PARLEY_PRECACHE_MANIFEST__\1/, () => JSON.stringify(JSON.stringify(urls)))
        .replace(/([`"'])__PARLEY_PRECACHE_VERSION__\1/, () => JSON.stringify(version));
      if (sw.code.includes("__PARLEY_PRECACHE_")) this.error("sw.js: the precache placeholders were not replaced");
    },
  };
}
