// A slow link for browser tests: an HTTP proxy in front of the relay that forwards everything
// (pages, API calls, WebSocket upgrades) unchanged, except the bodies of blob downloads
// (`GET /blobs/…`), which it sends at a fixed rate and counts. A browser that opens the app
// through it sees a relay whose attachment downloads take seconds; the test can ask at any
// moment how many bytes of a download the browser has been given so far. Clients check the
// relay id the relay names in its login challenge against the address they dial, so the relay
// behind the proxy is started with `--public-url` set to the proxy's address (see `front`).
import { createServer, type IncomingMessage, request, type ServerResponse } from "node:http";
import { connect } from "node:net";
import type { WebRelay } from "./web.js";

/** One blob download seen by the proxy. */
export interface ProxiedDownload {
  readonly path: string;
  /** The body's size as the relay announced it (Content-Length). */
  readonly total: number;
  /** Body bytes written to the browser so far. */
  served: number;
  /** Date.now() when the last byte was written; undefined while it runs. */
  finishedAt?: number;
}

export interface ThrottleProxy {
  /** http://127.0.0.1:PORT, the proxy's address: the relay's `--public-url`. */
  readonly url: string;
  /** Forwards to `relay` from now on; returns it as seen through the proxy (its URLs point here). */
  front(relay: WebRelay): WebRelay;
  /** Every blob download so far, oldest first. */
  readonly downloads: readonly ProxiedDownload[];
  close(): Promise<void>;
}

const SLICE_BYTES = 8 * 1024;

/** Starts a proxy that sends blob download bodies at `bytesPerSecond`; `front(relay)` says where to. */
export async function startThrottleProxy(bytesPerSecond: number): Promise<ThrottleProxy> {
  let port = 0;
  const downloads: ProxiedDownload[] = [];

  const server = createServer((req, res) => {
    if (port === 0) {
      res.writeHead(503).end("no relay behind the proxy yet");
      return;
    }
    const upstream = request({ host: "127.0.0.1", port, method: req.method, path: req.url, headers: req.headers }, (answer) => {
      res.writeHead(answer.statusCode ?? 502, answer.headers);
      const slow =
        req.method === "GET" && (req.url ?? "").startsWith("/blobs/") && answer.statusCode !== undefined && answer.statusCode < 300;
      if (slow) void pace(answer, res, req.url ?? "");
      else answer.pipe(res);
    });
    upstream.on("error", () => res.destroy());
    req.pipe(upstream);
  });

  async function pace(answer: IncomingMessage, res: ServerResponse, path: string): Promise<void> {
    const download: ProxiedDownload = { path, total: Number(answer.headers["content-length"] ?? 0), served: 0 };
    downloads.push(download);
    res.on("close", () => answer.destroy());
    try {
      for await (const chunk of answer as AsyncIterable<Buffer>) {
        for (let at = 0; at < chunk.length; at += SLICE_BYTES) {
          if (res.destroyed) return;
          const slice = chunk.subarray(at, at + SLICE_BYTES);
          res.write(slice);
          download.served += slice.length;
          await new Promise((r) => setTimeout(r, (slice.length / bytesPerSecond) * 1000));
        }
      }
      download.finishedAt = Date.now();
      res.end();
    } catch {
      res.destroy();
    }
  }

  // WebSocket (and any other) upgrades: replay the request head to the relay, then splice the sockets.
  const upgraded = new Set<{ destroy(): void }>();
  server.on("upgrade", (req, socket, head) => {
    const up = connect(port, "127.0.0.1", () => {
      const lines = [`${req.method} ${req.url} HTTP/${req.httpVersion}`];
      for (let i = 0; i < req.rawHeaders.length; i += 2) lines.push(`${req.rawHeaders[i]}: ${req.rawHeaders[i + 1]}`);
      up.write(`${lines.join("\r\n")}\r\n\r\n`);
      if (head.length > 0) up.write(head);
      socket.pipe(up);
      up.pipe(socket);
    });
    up.on("error", () => socket.destroy());
    socket.on("error", () => up.destroy());
    upgraded.add(socket).add(up);
    socket.on("close", () => upgraded.delete(socket));
    up.on("close", () => upgraded.delete(up));
  });

  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const address = server.address();
  if (!address || typeof address === "string") throw new Error("the proxy has no port");
  const url = `http://127.0.0.1:${address.port}`;
  return {
    url,
    front(relay) {
      // With --public-url the relay names the proxy as its URL; where it listens is in "bound to HOST:PORT".
      const bound = relay.output().match(/bound to 127\.0\.0\.1:(\d+)/)?.[1];
      if (!bound) throw new Error(`the relay did not say where it listens:\n${relay.output()}`);
      port = Number(bound);
      return { ...relay, url, wsUrl: url.replace(/^http/, "ws"), appUrl: url };
    },
    downloads,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        for (const socket of upgraded) socket.destroy();
        server.close(() => resolve());
      }),
  };
}
