// A man in the middle between one browser and the relay: an HTTP + WebSocket proxy on [::1] at
// the relay's own port. It forwards pages and API calls unchanged and relays every WebSocket
// frame, decoding the relay frames (msgpack, protocol/wire) so a test can rewrite the sealed
// envelopes it forwards, in either direction, as a hostile network or relay operator could.
//
// Why [::1] and the same port: clients sign the relay's login challenge only for the relay they
// dialled (REL-013), compared as canonical relay ids where 127.0.0.1, [::1] and localhost are
// the same host. A browser that opens http://[::1]:PORT (through the proxy) and one that opens
// http://127.0.0.1:PORT (direct) both log in to the one relay; a proxy on another port could
// only front a relay that every client reaches through it.
import { createServer, request } from "node:http";
import type { Duplex } from "node:stream";
import { type ClientFrame, decodeFrame, encodeFrame, type ServerFrame } from "@parley/protocol/wire";
import { WebSocket, WebSocketServer } from "ws";
import type { WebRelay } from "./web.js";

/** Rewrites one frame on its way; return it unchanged to pass it on. */
export type FrameRewrite<F> = (frame: F) => F;

export interface MitmProxy {
  /** http://[::1]:PORT — the app's origin for the browser behind the proxy. */
  readonly appUrl: string;
  /** The relay as seen through the proxy (for openApp/signUp). */
  readonly relay: WebRelay;
  /** Rewrites frames from the relay to the browser (unset: forwarded byte for byte). */
  toBrowser: FrameRewrite<ServerFrame> | undefined;
  /** Rewrites frames from the browser to the relay (unset: forwarded byte for byte). */
  toRelay: FrameRewrite<ClientFrame> | undefined;
  /** WebSocket connections the browser has open through the proxy. */
  readonly openSockets: number;
  close(): Promise<void>;
}

/** A copy of `envelope` with one bit flipped 20 bytes before its end (inside the last AEAD ciphertext, before its tag). */
export function flipOneBit(envelope: Uint8Array): Uint8Array {
  const altered = envelope.slice();
  const at = Math.max(0, altered.length - 20);
  altered[at] = (altered[at] as number) ^ 0x01;
  return altered;
}

/** Starts the proxy in front of `relay` (which must listen on 127.0.0.1). */
export async function startMitmProxy(relay: WebRelay): Promise<MitmProxy> {
  const port = Number(new URL(relay.appUrl).port);
  const upstreamBase = `127.0.0.1:${port}`;
  const sockets = new Set<Duplex | WebSocket>();
  let open = 0;

  const server = createServer((req, res) => {
    const upstream = request({ host: "127.0.0.1", port, method: req.method, path: req.url, headers: req.headers }, (answer) => {
      res.writeHead(answer.statusCode ?? 502, answer.headers);
      answer.pipe(res);
    });
    upstream.on("error", () => res.destroy());
    req.pipe(upstream);
  });

  const wss = new WebSocketServer({ noServer: true, maxPayload: 64 * 1024 * 1024 });
  server.on("upgrade", (req, socket, head) => {
    sockets.add(socket);
    socket.on("close", () => sockets.delete(socket));
    wss.handleUpgrade(req, socket, head, (browser) => {
      open++;
      const upstream = new WebSocket(`ws://${upstreamBase}${req.url ?? "/"}`, { maxPayload: 64 * 1024 * 1024 });
      sockets.add(upstream);
      const early: (Buffer | Uint8Array)[] = [];
      upstream.on("open", () => {
        for (const data of early.splice(0)) upstream.send(data);
      });
      browser.on("message", (data: Buffer) => {
        const out = rewrite(data, state.toRelay as FrameRewrite<unknown> | undefined);
        if (upstream.readyState === WebSocket.OPEN) upstream.send(out);
        else early.push(out);
      });
      upstream.on("message", (data: Buffer) => {
        if (browser.readyState === WebSocket.OPEN) browser.send(rewrite(data, state.toBrowser as FrameRewrite<unknown> | undefined));
      });
      const closeBoth = (code: number, reason: Buffer) => {
        const sendable = code >= 3000 || (code >= 1000 && code <= 1014 && code !== 1005 && code !== 1006);
        for (const ws of [browser, upstream]) {
          if (ws.readyState === WebSocket.OPEN) ws.close(sendable ? code : 1000, reason);
          else if (ws.readyState === WebSocket.CONNECTING) ws.terminate();
        }
      };
      browser.on("close", closeBoth);
      upstream.on("close", closeBoth);
      browser.on("close", () => {
        open--;
        sockets.delete(upstream);
      });
      browser.on("error", () => upstream.terminate());
      upstream.on("error", () => browser.terminate());
    });
  });

  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(port, "::1", resolve);
  });
  const appUrl = `http://[::1]:${port}`;
  const state: MitmProxy = {
    appUrl,
    relay: { ...relay, url: appUrl, wsUrl: appUrl.replace(/^http/, "ws"), appUrl },
    toBrowser: undefined,
    toRelay: undefined,
    get openSockets() {
      return open;
    },
    close: () =>
      new Promise<void>((resolve) => {
        for (const socket of sockets) socket instanceof WebSocket ? socket.terminate() : socket.destroy();
        wss.close();
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
  return state;
}

/** The frame in `data` after `change` (no change: the same bytes; a frame that does not decode passes as is). */
function rewrite(data: Buffer, change: FrameRewrite<unknown> | undefined): Buffer | Uint8Array {
  if (!change) return data;
  let frame: unknown;
  try {
    frame = decodeFrame(new Uint8Array(data.buffer, data.byteOffset, data.byteLength));
  } catch {
    return data;
  }
  const changed = change(frame);
  if (changed === frame) return data;
  const { v: _version, ...rest } = changed as { v?: number };
  return encodeFrame(rest as Parameters<typeof encodeFrame>[0]);
}
