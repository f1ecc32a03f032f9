// RelayConnection over an in-process transport: login on every connect, requests matched by
// id, requests made while offline sent after reconnecting, final close codes not retried.
import { describe, expect, test } from "vitest";
import { ErrorCode, ParleyError } from "../errors.js";
import { decodeFrame, encodeFrame } from "../wire/codec.js";
import type { ClientFrame, ServerFrame } from "../wire/frames.js";
import { RelayConnection } from "./relay-connection.js";
import type { TransportFactory, TransportHandlers } from "./transport.js";

/** A scripted relay: answers challenges and requests in process. */
function fakeRelay(answer: (frame: ClientFrame) => ServerFrame | undefined) {
  const sockets: { handlers: TransportHandlers; closed: boolean; received: ClientFrame[] }[] = [];
  const factory: TransportFactory = (_url, handlers) => {
    const socket = { handlers, closed: false, received: [] as ClientFrame[] };
    sockets.push(socket);
    queueMicrotask(() => {
      handlers.onOpen();
      handlers.onMessage(encodeFrame({ t: "challenge", nonce: new Uint8Array(32), relayId: "http://relay.test" }));
    });
    return {
      send: (data) => {
        const frame = decodeFrame(data) as ClientFrame;
        socket.received.push(frame);
        const reply = answer(frame);
        if (reply) queueMicrotask(() => handlers.onMessage(encodeFrame(reply)));
      },
      close: () => {
        if (socket.closed) return;
        socket.closed = true;
        queueMicrotask(() => handlers.onClose(1000, ""));
      },
    };
  };
  const drop = (code = 1006) => {
    const live = sockets.at(-1);
    if (!live || live.closed) return;
    live.closed = true;
    live.handlers.onClose(code, "dropped");
  };
  return { factory, sockets, drop };
}

const ok = (frame: ClientFrame): ServerFrame => ({ t: "ok", id: (frame as { id: number }).id });
const backoff = { baseMs: 5, capMs: 10 };
const until = async (check: () => boolean) => {
  for (let i = 0; i < 200 && !check(); i++) await new Promise((r) => setTimeout(r, 5));
  expect(check()).toBe(true);
};

describe("RelayConnection", () => {
  test("logs in on every connection and sends requests made while offline after reconnecting", async () => {
    const relay = fakeRelay(ok);
    const states: string[] = [];
    const conn = new RelayConnection({
      url: "ws://x",
      transport: relay.factory,
      backoff,
      login: () => ({ t: "auth", userId: new Uint8Array(16), deviceId: 1, signature: new Uint8Array(64) }),
      onState: (s) => states.push(s),
    });
    conn.start();
    await until(() => conn.state === "ready");
    relay.drop();
    const pending = conn.request({ t: "ping" });
    expect(await pending).toEqual({ t: "ok", id: expect.any(Number) });
    expect(relay.sockets).toHaveLength(2);
    expect(relay.sockets[1]?.received.map((f) => f.t)).toEqual(["auth", "ping"]);
    expect(states).toContain("disconnected");
    conn.close();
  });

  test("an error frame rejects the request with ERR_RELAY and the relay's code", async () => {
    const relay = fakeRelay((frame) => (frame.t === "ping" ? { t: "error", id: frame.id, code: "RATE_LIMITED" } : ok(frame)));
    const conn = new RelayConnection({ url: "ws://x", transport: relay.factory, backoff });
    conn.start();
    const error = await conn.request({ t: "ping" }).catch((e) => e);
    expect(ParleyError.is(error, ErrorCode.Relay)).toBe(true);
    expect(error.reason).toBe("RATE_LIMITED");
    conn.close();
  });

  test("a request with no answer times out with ERR_TIMEOUT", async () => {
    const relay = fakeRelay(() => undefined);
    const conn = new RelayConnection({ url: "ws://x", transport: relay.factory, backoff, requestTimeoutMs: 30 });
    conn.start();
    const error = await conn.request({ t: "ping" }).catch((e) => e);
    expect(ParleyError.is(error, ErrorCode.Timeout)).toBe(true);
    conn.close();
  });

  test("being replaced by a newer connection (4001) is final: no reconnect, pending requests fail", async () => {
    const relay = fakeRelay(ok);
    const conn = new RelayConnection({ url: "ws://x", transport: relay.factory, backoff });
    conn.start();
    await until(() => conn.state === "ready");
    relay.drop(4001);
    expect(conn.state).toBe("closed");
    await new Promise((r) => setTimeout(r, 30));
    expect(relay.sockets).toHaveLength(1);
    await expect(conn.request({ t: "ping" })).rejects.toSatisfy((e) => ParleyError.is(e, ErrorCode.Closed));
  });

  test("a login the client refuses (wrong relay id) closes the connection instead of signing", async () => {
    const relay = fakeRelay(ok);
    const conn = new RelayConnection({
      url: "ws://x",
      transport: relay.factory,
      backoff: { baseMs: 1000, capMs: 1000 },
      login: () => {
        throw new ParleyError(ErrorCode.IdentityMismatch, "wrong relay");
      },
    });
    conn.start();
    await until(() => relay.sockets[0]?.closed === true);
    expect(relay.sockets[0]?.received).toEqual([]);
    conn.close();
  });
  test("an idle anonymous connection closed for its login deadline (4002) stays closed until the next request", async () => {
    const relay = fakeRelay((frame) => ({ t: "pong", id: (frame as { id: number }).id }));
    const conn = new RelayConnection({ url: "ws://x", transport: relay.factory, backoff });
    conn.start();
    await conn.request({ t: "ping" });
    relay.drop(4002);
    await new Promise((r) => setTimeout(r, 60)); // several backoff periods
    expect(relay.sockets).toHaveLength(1);
    await conn.request({ t: "ping" });
    expect(relay.sockets).toHaveLength(2);
    conn.close();
  });
});
