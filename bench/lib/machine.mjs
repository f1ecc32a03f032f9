// What the numbers were measured on: CPU model, cores, memory, OS, Node, and the exact versions
// of the packages being compared (read from their installed package.json files).
import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import os from "node:os";
import { dirname, join, resolve } from "node:path";

/** The CPU model name from /proc/cpuinfo (Linux), else from os.cpus(). */
function cpuModel() {
  try {
    const line = readFileSync("/proc/cpuinfo", "utf8")
      .split("\n")
      .find((l) => l.startsWith("model name"));
    if (line) return line.split(":")[1].trim();
  } catch {
    // Not Linux: fall through.
  }
  return os.cpus()[0]?.model ?? "unknown";
}

/**
 * The installed version of `name`, resolved from `fromDir` as Node would. Walks up from the
 * entry point because some packages do not export their package.json.
 */
export function packageVersion(name, fromDir = process.cwd()) {
  const require = createRequire(join(resolve(fromDir), "noop.js"));
  let dir;
  try {
    dir = dirname(require.resolve(name));
  } catch {
    return "not installed";
  }
  for (; dir !== dirname(dir); dir = dirname(dir)) {
    try {
      const pkg = JSON.parse(readFileSync(join(dir, "package.json"), "utf8"));
      if (pkg.name === name) return pkg.version;
    } catch {
      // No package.json at this level.
    }
  }
  return "unknown";
}

/** Machine facts for the report header. */
export function machineInfo() {
  return {
    cpu: cpuModel(),
    cores: os.availableParallelism?.() ?? os.cpus().length,
    memoryGiB: Math.round(os.totalmem() / 2 ** 30),
    os: `${os.type()} ${os.release()} ${os.arch()}`,
    node: process.version,
    date: new Date().toISOString().replace(/\.\d+Z$/, "Z"),
  };
}
