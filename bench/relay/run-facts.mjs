// Facts about the run that go into the report header: the disk's fsync floor, the filesystem,
// the load average, and which source the relay was built from (commit, uncommitted changes, and a
// fingerprint of the built files, so a build that changes during the run is caught).
import { execFileSync } from "node:child_process";
import { readdirSync, readFileSync, rmSync, statSync } from "node:fs";
import { createRequire } from "node:module";
import os from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { ENVELOPE_BYTES } from "./config.mjs";

const ROOT = fileURLToPath(new URL("../..", import.meta.url));
const RELAY_DIR = join(ROOT, "packages/relay");
const BUILT = [join(ROOT, "packages/relay/dist"), join(ROOT, "packages/protocol/dist")];

/** Median commit time of a one-row transaction with the relay's durability settings, in the data directory. */
export function fsyncFloor(dir) {
  const require = createRequire(join(RELAY_DIR, "package.json"));
  const Database = require("better-sqlite3");
  const db = new Database(join(dir, "fsync-probe.sqlite"));
  try {
    db.pragma("journal_mode = WAL");
    db.pragma("synchronous = FULL");
    db.exec("CREATE TABLE t (id INTEGER PRIMARY KEY, b BLOB)");
    const insert = db.prepare("INSERT INTO t (b) VALUES (?)");
    const commit = db.transaction(() => insert.run(Buffer.alloc(ENVELOPE_BYTES)));
    const times = [];
    for (let i = 0; i < 300; i++) {
      const started = performance.now();
      commit();
      times.push(performance.now() - started);
    }
    times.sort((a, b) => a - b);
    const sqlite = db.prepare("SELECT sqlite_version() AS v").get().v;
    return { p50: times[150], p90: times[270], sqlite };
  } finally {
    db.close();
    rmSync(join(dir, "fsync-probe.sqlite"), { force: true });
    rmSync(join(dir, "fsync-probe.sqlite-wal"), { force: true });
    rmSync(join(dir, "fsync-probe.sqlite-shm"), { force: true });
  }
}

export function filesystemOf(dir) {
  try {
    const mounts = readFileSync("/proc/mounts", "utf8")
      .split("\n")
      .map((l) => l.split(" "));
    const match = mounts.filter((m) => m[1] && dir.startsWith(m[1])).sort((a, b) => b[1].length - a[1].length)[0];
    return match ? `${match[2]} (${match[0]})` : "unknown";
  } catch {
    return "unknown";
  }
}

/** 1/5/15-minute load averages. */
export const loadAverage = () => os.loadavg().map((l) => Number(l.toFixed(2)));

/** Newest modification time and file count of the built relay and protocol: changes if either is rebuilt. */
export function buildFingerprint() {
  let newest = 0;
  let files = 0;
  const walk = (dir) => {
    for (const entry of readdirSync(dir, { withFileTypes: true })) {
      const path = join(dir, entry.name);
      if (entry.isDirectory()) walk(path);
      else {
        files++;
        newest = Math.max(newest, statSync(path).mtimeMs);
      }
    }
  };
  for (const dir of BUILT) walk(dir);
  return `${files}@${newest}`;
}

/** The commit the relay and protocol sources are at, and whether they have uncommitted changes. */
export function sourceState() {
  const git = (...args) =>
    execFileSync("git", args, { cwd: ROOT, stdio: ["ignore", "pipe", "ignore"] })
      .toString()
      .trim();
  try {
    const commit = git("log", "-1", "--format=%h", "--", "packages/relay", "packages/protocol");
    const dirty = git("status", "--porcelain", "--", "packages/relay/src", "packages/protocol/src") !== "";
    return { commit, dirty };
  } catch {
    return { commit: "unknown", dirty: false };
  }
}
