/**
 * The client's byte pipe to a relay. One small interface, so the SDK runs over the browser's
 * WebSocket, the `ws` package in Node (see `@parley/protocol/node`), or an in-process pipe in
 * tests. Frames are whole binary messages; the transport does not parse them.
 */

export interface TransportHandlers {
  onOpen(): void;
  onMessage(data: Uint8Array): void;
  /** Called once, when the connection is gone (after an error too). */
  onClose(code: number, reason: string): void;
}

export interface Transport {
  send(data: Uint8Array): void;
  close(code?: number, reason?: string): void;
}

/** Opens a connection to `url`; handlers are called as it progresses. */
export type TransportFactory = (url: string, handlers: TransportHandlers) => Transport;

/** The subset of the WebSocket API the SDK uses (browser WebSocket and `ws` both have it). */
export interface WebSocketLike {
  binaryType: string;
  onopen: ((event: unknown) => void) | null;
  onmessage: ((event: { data: unknown }) => void) | null;
  onclose: ((event: { code: number; reason: string }) => void) | null;
  onerror: ((event: unknown) => void) | null;
  send(data: Uint8Array): void;
  close(code?: number, reason?: string): void;
}

/** A WebSocket constructor (browser `WebSocket`, or `ws`'s `WebSocket`). */
export type WebSocketConstructor = new (url: string) => WebSocketLike;

/** A transport over a WebSocket implementation; defaults to `globalThis.WebSocket`. */
export function webSocketTransport(impl?: WebSocketConstructor): TransportFactory {
  return (url, handlers) => {
    const Impl = impl ?? (globalThis as { WebSocket?: WebSocketConstructor }).WebSocket;
    if (!Impl) throw new TypeError("no WebSocket implementation: pass one (in Node: `nodeTransport` from @parley/protocol/node)");
    const socket = new Impl(url);
    socket.binaryType = "arraybuffer";
    let closed = false;
    socket.onopen = () => handlers.onOpen();
    socket.onmessage = (event) => {
      const data = event.data;
      if (data instanceof ArrayBuffer) handlers.onMessage(new Uint8Array(data));
      else if (ArrayBuffer.isView(data)) handlers.onMessage(new Uint8Array(data.buffer, data.byteOffset, data.byteLength));
      // Text frames are not part of the protocol: ignore them.
    };
    socket.onclose = (event) => {
      if (closed) return;
      closed = true;
      handlers.onClose(event.code, event.reason);
    };
    socket.onerror = () => {
      // An error is followed by a close event; nothing to do here.
    };
    return {
      send: (data) => socket.send(data),
      close: (code, reason) => socket.close(code, reason),
    };
  };
}
