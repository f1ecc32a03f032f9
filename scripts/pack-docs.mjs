#!/usr/bin/env node
// Makes a package's docs whole inside its tarball. A package README links to the repository
// (`../../spec/errors.md`) and doc comments name `spec/….md`; once installed, only the package
// folder exists. `npm pack` and `npm publish` run, in the package folder:
//
//   prepack:  node ../../scripts/pack-docs.mjs prepare
//             copies spec/*.md and every linked example into the package, and rewrites the
//             package's Markdown links to those copies. Links to another package's README go to
//             its npm page; links to anything else not shipped become plain text naming the path.
//   postpack: node ../../scripts/pack-docs.mjs restore
//             puts the README back and removes the copies (prepare also does this first, in case
//             an earlier pack stopped midway).
//
// The originals and the list of copies live in `.pack-backup/` until restored.
import { copyFileSync, existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { dirname, join, relative, resolve, sep } from "node:path";

const packageDir = process.cwd();
const repoRoot = resolve(packageDir, "../..");
const backupDir = join(packageDir, ".pack-backup");
const manifestPath = join(backupDir, "manifest.json");
/** Repository folders whose linked files are copied into the package, at the same relative path. */
const SHIPPED_ROOTS = ["spec", "examples"];
/** Package Markdown files whose links are rewritten. */
const PACKAGE_DOCS = ["README.md", "CHANGELOG.md"];

const inside = (dir, path) => {
  const rel = relative(dir, path);
  return rel !== "" && !rel.startsWith("..") && !rel.startsWith(sep);
};
const toPosix = (path) => path.split(sep).join("/");

function restore() {
  if (!existsSync(manifestPath)) return;
  const { staged, backups } = JSON.parse(readFileSync(manifestPath, "utf8"));
  for (const file of backups) copyFileSync(join(backupDir, file), join(packageDir, file));
  for (const path of staged) rmSync(join(packageDir, path), { recursive: true, force: true });
  rmSync(backupDir, { recursive: true, force: true });
}

function prepare() {
  restore();
  for (const root of SHIPPED_ROOTS)
    if (existsSync(join(packageDir, root))) throw new Error(`${root}/ already exists in ${packageDir}; it would be overwritten`);
  const packageName = (dir) => JSON.parse(readFileSync(join(dir, "package.json"), "utf8")).name;
  const staged = new Set();
  const backups = [];
  const queue = [];
  // Kept current after every change, so `restore` can undo a prepare that stopped midway.
  const save = () => writeFileSync(manifestPath, JSON.stringify({ staged: [...staged], backups }));
  mkdirSync(backupDir, { recursive: true });
  save();

  /** The shipped location of repository file `abs`, copying it in if needed; undefined if not shipped. */
  const shippedPath = (abs) => {
    if (inside(packageDir, abs)) return abs;
    const rel = relative(repoRoot, abs);
    const top = rel.split(sep)[0];
    if (!SHIPPED_ROOTS.includes(top) || !existsSync(abs)) return undefined;
    const target = join(packageDir, rel);
    if (!existsSync(target)) {
      mkdirSync(dirname(target), { recursive: true });
      staged.add(top);
      save();
      copyFileSync(abs, target);
      if (abs.endsWith(".md")) queue.push([abs, target]);
    }
    return target;
  };

  /** `text` with every relative link rewritten for a file at `shipped` that came from `original`. */
  const rewrite = (text, original, shipped) => {
    // Code blocks are left alone: the link syntax only counts in prose.
    return text.replace(/(^```[\s\S]*?^```)|\[([^\]]*)\]\(([^)\s]+)\)/gm, (match, code, label, link) => {
      if (code !== undefined || /^[a-z][a-z0-9+.-]*:/i.test(link) || link.startsWith("#")) return match;
      const [path, fragment] = link.split("#");
      const abs = resolve(dirname(original), decodeURI(path));
      const suffix = fragment === undefined ? "" : `#${fragment}`;
      const other = relative(join(repoRoot, "packages"), abs).split(sep);
      if (other.length === 2 && other[1] === "README.md" && !inside(packageDir, abs) && !other[0].startsWith(".."))
        return `[${label}](https://www.npmjs.com/package/${packageName(join(repoRoot, "packages", other[0]))})`;
      const target = shippedPath(abs);
      if (target !== undefined) return `[${label}](${toPosix(relative(dirname(shipped), target))}${suffix})`;
      const repoPath = toPosix(relative(repoRoot, abs));
      if (label.replace(/`/g, "") === repoPath) return `\`${repoPath}\` in the Parley source repository`;
      return `${label} (\`${repoPath}\` in the Parley source repository)`;
    });
  };

  // Doc comments name spec files by their repository path: ship the whole spec.
  for (const name of readdirSync(join(repoRoot, "spec"))) if (name.endsWith(".md")) shippedPath(join(repoRoot, "spec", name));

  for (const name of PACKAGE_DOCS) {
    const file = join(packageDir, name);
    if (!existsSync(file)) continue;
    const text = readFileSync(file, "utf8");
    const rewritten = rewrite(text, file, file);
    if (rewritten === text) continue;
    copyFileSync(file, join(backupDir, name));
    backups.push(name);
    save();
    writeFileSync(file, rewritten);
  }
  while (queue.length > 0) {
    const [original, shipped] = queue.shift();
    writeFileSync(shipped, rewrite(readFileSync(shipped, "utf8"), original, shipped));
  }
}

const command = process.argv[2];
if (command === "prepare") prepare();
else if (command === "restore") restore();
else {
  console.error("usage: pack-docs.mjs prepare|restore (run in a package folder)");
  process.exit(2);
}
