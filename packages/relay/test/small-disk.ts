// A small tmpfs for full-disk tests: mounted under a temporary directory when this process may
// mount (root), so a test can fill it to ENOSPC and free it again. Without the right the tests
// using it skip, except under CI=true, where mounting must work and a failure is loud.
import { execFileSync } from "node:child_process";
import { closeSync, mkdtempSync, openSync, rmdirSync, rmSync, writeSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

export interface SmallDisk {
  /** The mount point (a plain empty directory when `mounted` is false). */
  readonly dir: string;
  readonly mounted: boolean;
  /** Writes a filler file until ENOSPC, the last partial block included. */
  fill(): void;
  /** Deletes the filler file: the space is free again. */
  free(): void;
  /** Unmounts and removes the directory. */
  release(): void;
}

/** Mounts a tmpfs of `size` (e.g. "6m") under a new temporary directory named from `prefix`. */
export function smallDisk(prefix: string, size: string): SmallDisk {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  const filler = join(dir, "filler");
  let mounted = false;
  try {
    execFileSync("mount", ["-t", "tmpfs", "-o", `size=${size}`, "tmpfs", dir], { stdio: "pipe" });
    mounted = true;
  } catch (error) {
    if (process.env.CI === "true")
      throw new Error(`CI=true but a tmpfs cannot be mounted for the full-disk test: ${(error as Error).message}`);
  }
  return {
    dir,
    mounted,
    fill() {
      const fd = openSync(filler, "w");
      const chunk = Buffer.alloc(64 * 1024, 7);
      try {
        // Bounded by the tmpfs size: 1000 chunks is far more than it holds.
        for (let i = 0; i < 1000; i++) writeSync(fd, chunk);
        throw new Error("the disk did not fill");
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code !== "ENOSPC") throw error;
        for (const bytes of [4096, 512, 64, 1]) {
          try {
            for (let i = 0; i < 1000; i++) writeSync(fd, chunk.subarray(0, bytes));
          } catch {}
        }
      } finally {
        closeSync(fd);
      }
    },
    free() {
      rmSync(filler);
    },
    release() {
      if (mounted) execFileSync("umount", [dir]);
      rmdirSync(dir);
    },
  };
}
