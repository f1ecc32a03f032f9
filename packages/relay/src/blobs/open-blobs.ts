/**
 * Opens the blob storage `--blobs` names: a directory (default `<data>/blobs`), or a shared
 * backend for a cluster.
 */

import { join } from "node:path";
import type { Logger } from "pino";
import { redactUrl } from "../store/open-store.js";

/** The blob directory of `blobsUrl` (undefined: `<dataDir>/blobs`). Throws RangeError for a URL it cannot use. */
export async function openBlobs(blobsUrl: string | undefined, dataDir: string, _log: Logger): Promise<string> {
  if (blobsUrl === undefined) return join(dataDir, "blobs");
  if (blobsUrl.startsWith("file:")) return blobsUrl.slice("file:".length);
  throw new RangeError(`--blobs "${redactUrl(blobsUrl)}" is not supported`);
}
