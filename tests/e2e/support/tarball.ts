// Checks on an unpacked npm tarball (the `package/` folder): what it ships, and whether every
// path its docs, source maps and package.json point at exists inside it.
import { existsSync, readdirSync, readFileSync, statSync } from "node:fs";
import { dirname, join, relative, resolve, sep } from "node:path";

/** Every file under `dir`, as paths relative to it with `/` separators. */
export function listFiles(dir: string): string[] {
  const out: string[] = [];
  const walk = (current: string) => {
    for (const name of readdirSync(current)) {
      const path = join(current, name);
      if (statSync(path).isDirectory()) walk(path);
      else out.push(relative(dir, path).split(sep).join("/"));
    }
  };
  walk(dir);
  return out.sort();
}

/** True if `target` (absolute) is a file inside `root`. */
function insideAndExists(root: string, target: string): boolean {
  const rel = relative(root, target);
  return !rel.startsWith("..") && rel !== "" && existsSync(target) && statSync(target).isFile();
}

/** Markdown link targets outside fenced code blocks, without titles; external and in-page links excluded. */
export function relativeMarkdownLinks(markdown: string): string[] {
  const prose = markdown.replace(/^```[\s\S]*?^```/gm, "");
  const links: string[] = [];
  for (const match of prose.matchAll(/\]\(\s*<?([^)\s>]+)>?(?:\s+"[^"]*")?\s*\)/g)) {
    const target = match[1] as string;
    if (/^[a-z][a-z0-9+.-]*:/i.test(target) || target.startsWith("#")) continue;
    links.push(target);
  }
  return links;
}

/** `file: target` for every relative link in a shipped Markdown file that does not resolve inside the package. */
export function deadMarkdownLinks(packageDir: string): string[] {
  const dead: string[] = [];
  for (const file of listFiles(packageDir).filter((f) => f.endsWith(".md"))) {
    const text = readFileSync(join(packageDir, file), "utf8");
    for (const link of relativeMarkdownLinks(text)) {
      const target = resolve(dirname(join(packageDir, file)), decodeURI(link.split("#")[0] as string));
      if (!insideAndExists(packageDir, target)) dead.push(`${file}: ${link}`);
    }
  }
  return dead;
}

/**
 * `file: path` for every repository path a shipped declaration or source file mentions in its doc
 * comments (`spec/….md`, `examples/…`) that is not in the package. Those paths are written relative
 * to the repository root, which is the package root once installed.
 */
export function deadDocPaths(packageDir: string): string[] {
  const dead: string[] = [];
  for (const file of listFiles(packageDir).filter((f) => /\.(d\.ts|ts|js)$/.test(f))) {
    const text = readFileSync(join(packageDir, file), "utf8");
    for (const match of text.matchAll(/\b((?:spec|examples)\/[\w./-]+\.(?:md|mjs|ts))\b/g)) {
      const path = match[1] as string;
      if (!insideAndExists(packageDir, join(packageDir, path))) dead.push(`${file}: ${path}`);
    }
  }
  return [...new Set(dead)];
}

/** `map: source` for every source-map entry that does not resolve inside the package. */
export function deadSourceMapSources(packageDir: string): string[] {
  const dead: string[] = [];
  for (const file of listFiles(packageDir).filter((f) => f.endsWith(".map"))) {
    const map = JSON.parse(readFileSync(join(packageDir, file), "utf8")) as { sources?: string[]; sourceRoot?: string };
    for (const source of map.sources ?? []) {
      const target = resolve(dirname(join(packageDir, file)), map.sourceRoot ?? "", source);
      if (!insideAndExists(packageDir, target)) dead.push(`${file}: ${source}`);
    }
  }
  return dead;
}

/** Every path in package.json's `exports` (all conditions) and `bin` that is missing from the package. */
export function missingEntryPoints(packageDir: string): string[] {
  const pkg = JSON.parse(readFileSync(join(packageDir, "package.json"), "utf8")) as { exports?: unknown; bin?: unknown };
  const targets: string[] = [];
  const collect = (value: unknown) => {
    if (typeof value === "string") targets.push(value);
    else if (value && typeof value === "object") for (const inner of Object.values(value)) collect(inner);
  };
  collect(pkg.exports);
  collect(pkg.bin);
  return targets.filter((target) => !insideAndExists(packageDir, resolve(packageDir, target)));
}
