// A hostile relay, as seen by one client: a transport over the real `ws` connection to a real
// relay that records every frame the client sends and lets a test answer a request itself or
// rewrite the relay's answer. What it can do is exactly what a relay operator can do.
import type { TransportFactory } from "@parley/protocol/client";
import { nodeTransport } from "@parley/protocol/node";
import { type ClientFrame, decodeFrame, encodeFrame, type Frame, type ServerFrame } from "@parley/protocol/wire";

export interface Tampering {
  /** Answer a request without forwarding it (return undefined to forward). */
  answer?: (request: ClientFrame) => ServerFrame | undefined;
  /** Rewrite the relay's answer to a request (return it unchanged to pass it on). */
  rewrite?: (response: ServerFrame, request: ClientFrame | undefined) => ServerFrame;
}

export interface TamperingTransport {
  readonly factory: TransportFactory;
  /** Every frame the client sent, on any of its connections, in order. */
  readonly sent: ClientFrame[];
  /** What to do from now on; change it at any time. */
  tampering: Tampering;
}

export function tamperingTransport(): TamperingTransport {
  const state: TamperingTransport = {
    sent: [],
    tampering: {},
    factory: (url, handlers) => {
      const requests = new Map<number, ClientFrame>();
      const deliver = (frame: Frame) => handlers.onMessage(encodeFrame(frame));
      const inner = nodeTransport(url, {
        onOpen: () => handlers.onOpen(),
        onClose: (code, reason) => handlers.onClose(code, reason),
        onMessage: (data) => {
          const frame = decodeFrame(data) as ServerFrame;
          const id = "id" in frame && typeof frame.id === "number" ? frame.id : undefined;
          const request = id === undefined ? undefined : requests.get(id);
          if (id !== undefined) requests.delete(id);
          const rewrite = state.tampering.rewrite;
          if (!rewrite) return handlers.onMessage(data);
          deliver(rewrite(frame, request));
        },
      });
      return {
        send: (data) => {
          const frame = decodeFrame(data) as ClientFrame;
          state.sent.push(frame);
          const local = state.tampering.answer?.(frame);
          if (local) {
            queueMicrotask(() => deliver(local));
            return;
          }
          requests.set(frame.id, frame);
          inner.send(data);
        },
        close: (code, reason) => inner.close(code, reason),
      };
    },
  };
  return state;
}
