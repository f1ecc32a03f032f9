/**
 * Opens the store `--store` names: SQLite in the data directory by default, PostgreSQL for a
 * `postgres://` URL (several relay nodes share it).
 */

import { join } from "node:path";
import type { Logger } from "pino";
import { openPostgresStore } from "./pg-store.js";
import { openSqliteStore } from "./sqlite-store.js";
import type { Store } from "./store.js";

/** URL schemes that open the PostgreSQL store. */
const POSTGRES_SCHEMES = new Set(["postgres:", "postgresql:"]);

/**
 * Opens the store of `storeUrl` (undefined: `relay.sqlite` in `dataDir`; `postgres://` or
 * `postgresql://`: PostgreSQL, with an optional `?schema=NAME`). Throws RangeError for a URL it
 * cannot use; the URL's password appears in no message or log line.
 */
export async function openStore(storeUrl: string | undefined, dataDir: string, log: Logger): Promise<Store> {
  if (storeUrl === undefined) return openSqliteStore(join(dataDir, "relay.sqlite"));
  const scheme = /^[a-z][a-z0-9+.-]*:/i.exec(storeUrl)?.[0].toLowerCase();
  if (scheme !== undefined && POSTGRES_SCHEMES.has(scheme)) {
    const store = await openPostgresStore(storeUrl, { log });
    log.info({ store: redactUrl(storeUrl) }, "opened the PostgreSQL store");
    return store;
  }
  throw new RangeError(`--store "${redactUrl(storeUrl)}" is not supported: use a postgres:// or postgresql:// URL, or omit it for SQLite`);
}

/** A URL without its password, for messages and logs. */
export function redactUrl(url: string): string {
  try {
    const parsed = new URL(url);
    if (parsed.password) parsed.password = "***";
    return parsed.toString();
  } catch {
    return url.replace(/:[^:@/]*@/, ":***@");
  }
}
