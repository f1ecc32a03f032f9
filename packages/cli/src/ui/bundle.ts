/**
 * The interactive view's bundle. `npm run build` bundles the compiled view (dist/ui/root.js) with
 * Ink, React and the rest of its pure-JS modules into a few files in dist/view/
 * (scripts/bundle-view.mjs), because Node 20 loads those few files several times faster than the
 * hundreds of small modules they come from. The bundle's manifest lists every compiled module of
 * this package that went into it, with its size and CRC-32: the bundle is used only while they all
 * still match, so a `tsc -b` after an edit runs the edited modules (dist/ui/root.js), never a
 * stale bundle.
 */
import { readFileSync } from "node:fs";
import { crc32 } from "node:zlib";

/** The bundle's folder inside dist/. */
export const BUNDLE_DIR = "view";

/** The manifest's file name in the bundle's folder. */
export const BUNDLE_MANIFEST = "manifest.json";

/** A file's size and CRC-32: enough to tell a rebuilt module from the one bundled (not a security check). */
export interface Fingerprint {
  readonly size: number;
  readonly crc32: number;
}

/** What a bundle was made from: its entry file (in the bundle's folder) and each compiled input (path relative to dist/). */
export interface BundleManifest {
  readonly entry: string;
  readonly inputs: Readonly<Record<string, Fingerprint>>;
}

/** The fingerprint of a file's bytes. */
export function fingerprint(bytes: Uint8Array): Fingerprint {
  return { size: bytes.length, crc32: crc32(bytes) };
}

/**
 * The bundle's entry file when `distDir` (a folder URL ending in "/") holds a bundle made from the
 * compiled modules it holds now; undefined when there is none, or when any input changed since.
 */
export function currentBundle(distDir: URL): URL | undefined {
  const bundleDir = new URL(`${BUNDLE_DIR}/`, distDir);
  let manifest: BundleManifest;
  try {
    manifest = JSON.parse(readFileSync(new URL(BUNDLE_MANIFEST, bundleDir), "utf8")) as BundleManifest;
  } catch {
    return undefined;
  }
  for (const [path, expected] of Object.entries(manifest.inputs ?? {})) {
    let actual: Fingerprint;
    try {
      actual = fingerprint(readFileSync(new URL(path, distDir)));
    } catch {
      return undefined;
    }
    if (actual.size !== expected.size || actual.crc32 !== expected.crc32) return undefined;
  }
  return typeof manifest.entry === "string" ? new URL(manifest.entry, bundleDir) : undefined;
}
