/**
 * The lock that keeps two processes (or two `FileStore`s in one process) from opening the same
 * store directory: a lock file naming its holder, created atomically, taken over only when the
 * holder is provably gone.
 *
 * Creation is `link(temp, lock)`: the temp file already holds the full content, and link fails
 * with EEXIST if a lock exists, so nobody ever reads a half-written lock file (which `open(…, "wx")`
 * followed by a write would allow). A lock is stale when it was made on this host and either in
 * an earlier boot (Linux boot id) or by a pid that no longer exists. Taking over renames the stale
 * file aside first and checks it is still the stale one, so two processes racing for the same
 * stale lock cannot both win.
 */
import { readFileSync } from "node:fs";
import { link, readFile, rename, unlink, writeFile } from "node:fs/promises";
import { hostname } from "node:os";
import { bytesToHex, secureRandomBytes } from "../../crypto/bytes.js";
import { StoreError, StoreErrorCode } from "./store-error.js";

/** First line of every lock file. */
const LOCK_TAG = "parley-store-lock 1";
/** Attempts to create the lock after removing stale ones; more means someone keeps racing us. */
const LOCK_ATTEMPTS = 3;

/** This boot's id on Linux (it changes on every boot), or "" where there is none. */
function currentBootId(): string {
  try {
    return readFileSync("/proc/sys/kernel/random/boot_id", "utf8").trim();
  } catch {
    return "";
  }
}

/** Holder fields of a lock file, or undefined when it does not parse (treated as held). */
function parseLock(content: string): { pid: number; host: string; boot: string } | undefined {
  const lines = content.split("\n");
  if (lines[0] !== LOCK_TAG) return undefined;
  const fields = new Map(lines.slice(1).map((line) => [line.slice(0, line.indexOf(" ")), line.slice(line.indexOf(" ") + 1)]));
  const pid = Number(fields.get("pid"));
  const host = fields.get("host");
  // pid 0 and negative pids would make process.kill signal a whole process group.
  if (!Number.isSafeInteger(pid) || pid <= 0 || host === undefined) return undefined;
  return { pid, host, boot: fields.get("boot") ?? "" };
}

/** True only when the lock's holder certainly no longer runs. */
function isStale(content: string): boolean {
  const holder = parseLock(content);
  // Another host (a shared drive) or an unreadable lock: we cannot know, so it stays held.
  if (holder === undefined || holder.host !== hostname()) return false;
  const boot = currentBootId();
  if (boot !== "" && holder.boot !== "" && holder.boot !== boot) return true;
  if (holder.pid === process.pid) return false;
  try {
    process.kill(holder.pid, 0);
    return false;
  } catch (error) {
    // EPERM: the process exists but belongs to someone else — alive.
    return (error as NodeJS.ErrnoException).code === "ESRCH";
  }
}

const errorCode = (error: unknown) => (error as NodeJS.ErrnoException).code;

const locked = () =>
  new StoreError(
    StoreErrorCode.Locked,
    "the store is open in another process (or another FileStore here); if it is not, delete its store.lock file",
  );

/** A held store lock. */
export class StoreLock {
  readonly #path: string;
  readonly #content: string;

  private constructor(path: string, content: string) {
    this.#path = path;
    this.#content = content;
  }

  /** Takes the lock at `path` or throws `ERR_STORE_LOCKED`. */
  static async acquire(path: string): Promise<StoreLock> {
    const token = bytesToHex(secureRandomBytes(16));
    const content = `${LOCK_TAG}\npid ${process.pid}\nhost ${hostname()}\nboot ${currentBootId()}\ntoken ${token}\n`;
    const temp = `${path}.${token}.tmp`;
    await writeFile(temp, content, { flag: "wx", mode: 0o600 });
    try {
      for (let attempt = 0; attempt < LOCK_ATTEMPTS; attempt++) {
        try {
          await link(temp, path);
          return new StoreLock(path, content);
        } catch (error) {
          if (errorCode(error) !== "EEXIST") throw error;
        }
        let holder: string;
        try {
          holder = await readFile(path, "utf8");
        } catch (error) {
          if (errorCode(error) === "ENOENT") continue; // released meanwhile: try again
          throw error;
        }
        if (!isStale(holder)) throw locked();
        await StoreLock.#removeStale(path, holder);
      }
      throw locked();
    } finally {
      await unlink(temp).catch(() => {});
    }
  }

  /** Removes the lock at `path` if it still holds `stale`; if someone replaced it meanwhile, puts theirs back and throws. */
  static async #removeStale(path: string, stale: string): Promise<void> {
    const aside = `${path}.${bytesToHex(secureRandomBytes(8))}.stale`;
    try {
      await rename(path, aside);
    } catch (error) {
      if (errorCode(error) === "ENOENT") return; // another process removed it first
      throw error;
    }
    const moved = await readFile(aside, "utf8");
    if (moved !== stale) {
      // We moved a live lock that replaced the stale one after we read it: restore it.
      await link(aside, path).catch(() => {});
      await unlink(aside).catch(() => {});
      throw locked();
    }
    await unlink(aside);
  }

  /** Releases the lock, unless it is no longer ours (someone judged it stale and took it over). */
  async release(): Promise<void> {
    try {
      if ((await readFile(this.#path, "utf8")) === this.#content) await unlink(this.#path);
    } catch (error) {
      if (errorCode(error) !== "ENOENT") throw error;
    }
  }
}
