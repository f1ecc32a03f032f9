// A private PostgreSQL for tests that stop and start it (never the shared server on 5432):
// `initdb` into a temporary directory, trust auth, loopback only, a free port, no fsync. As root
// it runs as the `postgres` user (`runuser -u postgres --`), since PostgreSQL refuses root.
import { execFile } from "node:child_process";
import { chmodSync, chownSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { tmpdir, userInfo } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { freePort } from "./child.js";

const run = promisify(execFile);

/** The directory of PostgreSQL's server binaries (the newest under /usr/lib/postgresql), or undefined. */
export function postgresBinDir(): string | undefined {
  const base = "/usr/lib/postgresql";
  if (!existsSync(base)) return undefined;
  const versions = readdirSync(base)
    .filter((v) => existsSync(join(base, v, "bin", "initdb")))
    .sort((a, b) => Number(b) - Number(a));
  return versions[0] === undefined ? undefined : join(base, versions[0], "bin");
}

/** A running private PostgreSQL. */
export interface PrivatePostgres {
  readonly port: number;
  /** `postgres://postgres@127.0.0.1:PORT/postgres` */
  readonly url: string;
  /** Stops it (`-m immediate`: every connection drops at once, as on a crash). */
  stop(): Promise<void>;
  /** Starts it again on the same port and data. */
  start(): Promise<void>;
  /** Stops it and removes its data directory. */
  destroy(): Promise<void>;
}

/** Creates and starts a private PostgreSQL on a free port. */
export async function startPrivatePostgres(): Promise<PrivatePostgres> {
  const bin = postgresBinDir();
  if (!bin) throw new Error("PostgreSQL server binaries not found under /usr/lib/postgresql/*/bin");
  const asRoot = userInfo().uid === 0;
  const dir = mkdtempSync(join(tmpdir(), "parley-cluster-pg-"));
  const data = join(dir, "data");
  if (asRoot) {
    const { uid, gid } = postgresUser();
    chownSync(dir, uid, gid);
  }
  chmodSync(dir, 0o700);
  const as = (tool: string, args: string[]) =>
    asRoot ? run("runuser", ["-u", "postgres", "--", join(bin, tool), ...args]) : run(join(bin, tool), args);
  const port = await freePort();
  await as("initdb", ["-D", data, "-A", "trust", "-U", "postgres", "-E", "UTF8", "--no-sync", "--no-instructions"]);
  // fsync off only risks data on an operating-system crash; a killed or stopped server keeps every
  // commit it acknowledged. synchronous_commit must stay on: with it off, an immediate stop loses
  // the last acknowledged commits, and the relay has already acknowledged those messages.
  const options = `-p ${port} -k ${dir} -c listen_addresses=127.0.0.1 -c fsync=off -c full_page_writes=off -c max_connections=200`;
  const start = async () => {
    await as("pg_ctl", ["-D", data, "-o", options, "-l", join(dir, "log"), "-w", "-t", "30", "start"]);
  };
  const stop = async () => {
    await as("pg_ctl", ["-D", data, "-m", "immediate", "-w", "-t", "15", "stop"]).catch(() => killPostmaster(data));
  };
  await start();
  // If the worker dies before teardown, do not leave a postmaster behind.
  const onExit = () => killPostmaster(data);
  process.once("exit", onExit);
  return {
    port,
    url: `postgres://postgres@127.0.0.1:${port}/postgres`,
    stop,
    start,
    destroy: async () => {
      process.off("exit", onExit);
      await stop();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

function postgresUser(): { uid: number; gid: number } {
  const line = readFileSync("/etc/passwd", "utf8")
    .split("\n")
    .find((l) => l.startsWith("postgres:"));
  const [, , uid, gid] = line?.split(":") ?? [];
  if (uid === undefined || gid === undefined) throw new Error("no postgres user to run PostgreSQL as (PostgreSQL refuses root)");
  return { uid: Number(uid), gid: Number(gid) };
}

/** SIGKILLs the postmaster named in `data`/postmaster.pid, if any (its backends exit with it). */
function killPostmaster(data: string): void {
  try {
    const pid = Number(readFileSync(join(data, "postmaster.pid"), "utf8").split("\n")[0]);
    if (Number.isInteger(pid) && pid > 0) process.kill(pid, "SIGKILL");
  } catch {
    // Not running.
  }
}
