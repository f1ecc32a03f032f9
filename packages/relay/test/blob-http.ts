// Helpers for blob tests over real sockets: a relay on a data directory that survives a restart,
// with an injectable clock; a device that takes tickets; raw HTTP requests whose body can be sent
// in timed pieces, left hanging or cut off mid-way (node:http, so nothing is buffered for us).
import { mkdtempSync, rmSync } from "node:fs";
import { type IncomingHttpHeaders, request } from "node:http";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pino } from "pino";
import { expect } from "vitest";
import type { BlobStorage } from "../src/blobs/blob-storage.js";
import type { Limits } from "../src/limits.js";
import { createRelay, type Relay } from "../src/relay.js";
import { listen, type RelayServer } from "../src/server/server.js";
import { openSqliteStore } from "../src/store/sqlite-store.js";
import { deps, newIdentity } from "./identities.js";
import { SocketClient } from "./socket-client.js";

export interface BlobRelay {
  readonly relay: Relay;
  readonly server: RelayServer;
  readonly url: string;
  readonly httpUrl: string;
  readonly dataDir: string;
  readonly blobDir: string;
  readonly logFile: string;
  /** Stops the relay; the data directory stays unless `remove`. */
  stop(remove?: boolean): Promise<void>;
}

/** What {@link startBlobRelay} may be given. */
export interface BlobRelayOptions {
  readonly limits?: Partial<Limits>;
  readonly now?: () => number;
  readonly dataDir?: string;
  /** Blob storage (default: `<dataDir>/blobs`); the relay closes it when stopped. */
  readonly blobs?: BlobStorage;
  /** The SQLite store file (default `<dataDir>/relay.sqlite`): two relays on one file share their store. */
  readonly storePath?: string;
}

/** A relay on `dataDir` (a new temp dir by default) with `limits` and clock `now`. */
export async function startBlobRelay(options: BlobRelayOptions = {}): Promise<BlobRelay> {
  const dataDir = options.dataDir ?? mkdtempSync(join(tmpdir(), "parley-blobs-"));
  const logFile = join(dataDir, "relay.log");
  let httpUrl = "";
  const log = pino.destination({ dest: logFile, sync: true, append: true });
  const relay = await createRelay({
    store: openSqliteStore(options.storePath ?? join(dataDir, "relay.sqlite")),
    blobDir: join(dataDir, "blobs"),
    ...(options.blobs ? { blobs: options.blobs } : {}),
    relayId: () => httpUrl,
    limits: { minFreeStorageBytes: 1, ...options.limits },
    deps,
    ...(options.now ? { now: options.now } : {}),
    logger: pino({ level: "debug" }, log),
  });
  const server = await listen(relay, { port: 0, host: "127.0.0.1" });
  httpUrl = `http://127.0.0.1:${server.port}`;
  return {
    relay,
    server,
    url: `ws://127.0.0.1:${server.port}/`,
    httpUrl,
    dataDir,
    blobDir: join(dataDir, "blobs"),
    logFile,
    async stop(remove = true) {
      const closed = server.stopAccepting();
      server.server.closeAllConnections();
      await relay.shutdown();
      await closed;
      await new Promise((resolve) => {
        log.once("close", resolve);
        log.destroy();
      });
      if (remove) rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

/** A registered device on `r`. */
export async function blobDevice(r: BlobRelay): Promise<SocketClient> {
  const c = await SocketClient.connect(r.url);
  expect(await c.register(newIdentity())).toMatchObject({ t: "ok" });
  return c;
}

/** A granted ticket for `size` bytes. */
export async function grant(c: SocketClient, size: number): Promise<{ blobId: string; capability: string; expiresAt: number }> {
  const granted = await c.request({ t: "blob_ticket", size });
  if (granted.t !== "blob_granted") throw new Error(`no ticket: ${JSON.stringify(granted)}`);
  return granted;
}

export interface HttpAnswer {
  readonly status: number;
  readonly headers: IncomingHttpHeaders;
  readonly body: Buffer;
}

export interface SendOptions {
  readonly method: string;
  readonly headers?: Record<string, string>;
  /** Body pieces, written one after another `gapMs` apart. */
  readonly chunks?: readonly Uint8Array[];
  readonly gapMs?: number;
  /** Destroy the socket this long after the last piece was written instead of ending the request. */
  readonly cutAfterMs?: number;
}

/** One HTTP request; resolves with the answer, or with status 0 when the request was cut (or reset). */
export function send(url: string, options: SendOptions): Promise<HttpAnswer> {
  return new Promise((resolve, reject) => {
    const req = request(url, { method: options.method, headers: options.headers ?? {} }, (res) => {
      const parts: Buffer[] = [];
      res.on("data", (d: Buffer) => parts.push(d));
      res.on("end", () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(parts) }));
      res.on("error", () => resolve({ status: 0, headers: {}, body: Buffer.alloc(0) }));
    });
    req.on("error", (error) => {
      const code = (error as NodeJS.ErrnoException).code;
      // A cut request, or one refused before its body was sent: expected.
      if (options.cutAfterMs !== undefined || code === "ECONNRESET" || code === "EPIPE") {
        resolve({ status: 0, headers: {}, body: Buffer.alloc(0) });
        return;
      }
      reject(error);
    });
    const chunks = options.chunks ?? [];
    let i = 0;
    const next = () => {
      if (i === chunks.length) {
        if (options.cutAfterMs === undefined) req.end();
        else setTimeout(() => req.destroy(), options.cutAfterMs);
        return;
      }
      req.write(chunks[i++] as Uint8Array, () => setTimeout(next, options.gapMs ?? 0));
    };
    next();
  });
}

/** Headers of a PATCH at `offset` with `capability`. */
export function patchHeaders(capability: string, offset: number, extra: Record<string, string> = {}): Record<string, string> {
  return {
    authorization: `Bearer ${capability}`,
    "upload-offset": String(offset),
    "content-type": "application/offset+octet-stream",
    ...extra,
  };
}

/** PATCHes `body` at `offset` in one request with a Content-Length. */
export function patch(
  r: Pick<BlobRelay, "httpUrl">,
  blobId: string,
  capability: string,
  offset: number,
  body: Uint8Array,
): Promise<HttpAnswer> {
  return send(`${r.httpUrl}/blobs/${blobId}`, {
    method: "PATCH",
    headers: patchHeaders(capability, offset, { "content-length": String(body.length) }),
    chunks: body.length > 0 ? [body] : [],
  });
}

/** HEAD with the capability: the upload's stored offset and length. */
export async function uploadOffset(
  r: Pick<BlobRelay, "httpUrl">,
  blobId: string,
  capability: string,
): Promise<{ status: number; offset: number; length: number }> {
  const answer = await send(`${r.httpUrl}/blobs/${blobId}`, { method: "HEAD", headers: { authorization: `Bearer ${capability}` } });
  return { status: answer.status, offset: Number(answer.headers["upload-offset"]), length: Number(answer.headers["upload-length"]) };
}

/** Deterministic, non-repeating test bytes (so a misplaced range shows). */
export function pattern(size: number, seed = 1): Uint8Array {
  const out = new Uint8Array(size);
  let x = seed * 2654435761;
  for (let i = 0; i < size; i++) {
    x = (x * 1103515245 + 12345) >>> 0;
    out[i] = x >>> 24;
  }
  return out;
}

export const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
