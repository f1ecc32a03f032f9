// What the cluster tests need from the machine: haproxy, redis-server, PostgreSQL's server
// binaries (for a private instance) and the shared PostgreSQL on 127.0.0.1:5432. Locally a file
// skips with the reason when one is missing; with CI set it fails instead (CI must run them).
import { execFileSync } from "node:child_process";
import pg from "pg";
import { haproxyBinary } from "./balancer.js";
import { postgresBinDir } from "./private-postgres.js";

/** The shared PostgreSQL every machine of the project runs (trust auth, database `test`). */
export const SHARED_POSTGRES = "postgres://postgres@127.0.0.1:5432/test";

/** Which servers a test file needs. */
export interface Needs {
  /** A private PostgreSQL it can stop (server binaries); otherwise the shared one. */
  readonly privatePostgres?: boolean;
}

/** Why the cluster tests cannot run here, or undefined when they can. */
export async function missingPrerequisite(needs: Needs = {}): Promise<string | undefined> {
  if (!haproxyBinary()) return "haproxy is not installed (apt-get install haproxy)";
  if (!commandExists("redis-server")) return "redis-server is not installed (apt-get install redis-server)";
  if (needs.privatePostgres) {
    if (!postgresBinDir()) return "PostgreSQL server binaries are not under /usr/lib/postgresql/*/bin";
    return undefined;
  }
  const client = new pg.Client({ connectionString: SHARED_POSTGRES, connectionTimeoutMillis: 3_000 });
  try {
    await client.connect();
    await client.query("select 1");
    return undefined;
  } catch (error) {
    return `the shared PostgreSQL on 127.0.0.1:5432 does not answer (${(error as Error).message})`;
  } finally {
    await client.end().catch(() => undefined);
  }
}

/**
 * Resolves with the reason to skip (locally), or undefined to run; with CI set a missing
 * prerequisite throws, so the file fails loudly instead of skipping.
 */
export async function skipReason(needs: Needs = {}): Promise<string | undefined> {
  const missing = await missingPrerequisite(needs);
  if (missing && process.env.CI) throw new Error(`cluster tests cannot run in CI: ${missing}`);
  if (missing) console.warn(`skipping the cluster tests: ${missing}`);
  return missing;
}

function commandExists(command: string): boolean {
  try {
    execFileSync("sh", ["-c", `command -v ${command}`], { stdio: "ignore" });
    return true;
  } catch {
    return false;
  }
}
