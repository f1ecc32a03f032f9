// The load generator's connections, one class per server: the only code that differs between the
// relay and the bare forwarder is here (framing and login). Both expose the same few methods, so
// the phases (phases.mjs) drive them with identical logic:
//   send(reqId, toAddress, messageId, envelope)   one message per frame
//   queueAck(messageId)                           acknowledgements batched per event-loop turn
//   pendingAcks                                   relay acks not yet answered (0 for bare)
//   terminate()
// Callbacks given at connect: onSent(reqId, ok), onMessage(messageId, peer), onClose(code).
import { decodeFrame, encodeFrame, signAuthChallenge } from "@parley/protocol/wire";
import WebSocket from "ws";

/** Most message ids per `ack` frame (the wire's batch maximum). */
const MAX_ACK_BATCH = 1024;
const noop = () => {};

/** Shared state and ack batching; subclasses send the bytes. */
class Peer {
  constructor(ws, { onSent = noop, onMessage = noop, onClose = noop }) {
    this.ws = ws;
    this.onSent = onSent;
    this.onMessage = onMessage;
    this.pendingAcks = 0;
    this.errors = [];
    this.closed = false;
    this.closeCode = undefined;
    this.toAck = [];
    this.ackScheduled = false;
    ws.on("close", (code) => {
      this.closed = true;
      this.closeCode = code;
      onClose(code);
    });
    ws.on("error", (error) => this.errors.push(error.message));
  }

  /** Acknowledges a received message; acks of one turn go out as one frame. */
  queueAck(messageId) {
    this.toAck.push(messageId);
    if (this.ackScheduled) return;
    this.ackScheduled = true;
    setImmediate(() => {
      this.ackScheduled = false;
      const ids = this.toAck;
      this.toAck = [];
      for (let i = 0; i < ids.length && !this.closed; i += MAX_ACK_BATCH) this.sendAck(ids.slice(i, i + MAX_ACK_BATCH));
    });
  }

  get open() {
    return this.ws.readyState === WebSocket.OPEN;
  }

  terminate() {
    this.ws.terminate();
  }
}

/** Opens a WebSocket; resolves once open. */
function openSocket(url, localAddress, timeoutMs) {
  const ws = new WebSocket(url, { perMessageDeflate: false, localAddress, handshakeTimeout: timeoutMs });
  ws.binaryType = "nodebuffer";
  return ws;
}

/** Resolves when `ready` is called, rejects on close, error or timeout. */
function untilReady(ws, timeoutMs, what, detail = () => "") {
  let ready;
  const promise = new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      ws.terminate();
      reject(new Error(`${what}: not ready within ${timeoutMs} ms`));
    }, timeoutMs);
    ready = (value) => {
      clearTimeout(timer);
      resolve(value);
    };
    ws.once("error", (e) => {
      clearTimeout(timer);
      reject(new Error(`${what}: ${e.message}`));
    });
    ws.once("close", (code) => {
      clearTimeout(timer);
      reject(new Error(`${what}: closed (${code}) before ready ${detail()}`.trim()));
    });
  });
  return { promise, ready };
}

/** A device on the Parley relay: real frames (`@parley/protocol/wire`), real login signatures. */
export class RelayPeer extends Peer {
  static #nextAckId = 0x8000_0000;

  /**
   * Connects, answers the challenge with `auth` (or `register` when `register` is true) signed by
   * the identity's device key, and resolves once the relay said `ok`.
   */
  static async connect(url, identity, deps, { localAddress, timeoutMs = 10_000, register = false, ...callbacks } = {}) {
    const ws = openSocket(url, localAddress, timeoutMs);
    const peer = new RelayPeer(ws, callbacks);
    const { promise, ready } = untilReady(ws, timeoutMs, register ? "register" : "auth", () => peer.errors.join("; "));
    peer.loginId = 1;
    peer.onLogin = (frame) => {
      if (frame.t === "ok") ready(peer);
      else {
        peer.errors.push(`${frame.code}: ${frame.message ?? ""}`);
        ws.terminate();
      }
    };
    peer.onChallenge = (frame) => {
      const signature = signAuthChallenge(deps, identity.device, frame.nonce, frame.relayId);
      const login = register
        ? { t: "register", id: peer.loginId, certificate: identity.device.certificate, deviceList: identity.deviceList, signature }
        : { t: "auth", id: peer.loginId, userId: identity.account.userId, deviceId: identity.device.deviceId, signature };
      ws.send(encodeFrame(login));
    };
    return promise;
  }

  constructor(ws, callbacks) {
    super(ws, callbacks);
    ws.on("message", (data) => this.#receive(decodeFrame(data)));
  }

  #receive(frame) {
    switch (frame.t) {
      case "message":
        this.onMessage(frame.messageId, this);
        return;
      case "sent":
        this.onSent(frame.id, frame.results[0] === "OK");
        return;
      case "ok":
        if (frame.id === this.loginId && this.onLogin) {
          const onLogin = this.onLogin;
          this.onLogin = undefined;
          onLogin(frame);
        } else this.pendingAcks--;
        return;
      case "challenge":
        this.onChallenge?.(frame);
        return;
      case "error":
        if (frame.id === this.loginId && this.onLogin) this.onLogin(frame);
        else this.errors.push(`${frame.code}: ${frame.message ?? ""}`);
        return;
      default:
      // queue_empty, prekeys_low, expired: nothing to do for a benchmark device.
    }
  }

  send(reqId, toAddress, messageId, envelope) {
    this.ws.send(encodeFrame({ t: "send", id: reqId, messages: [{ userId: toAddress, deviceId: 1, messageId, envelope }] }));
  }

  sendAck(messageIds) {
    this.pendingAcks++;
    this.ws.send(encodeFrame({ t: "ack", id: RelayPeer.#nextAckId++, messageIds }));
  }
}

const HELLO = 0x48;
const HELLO_ANSWER = 0x68;
const SEND = 0x53;
const SENT = 0x41;
const ACK = 0x4b;

/** A connection to the bare forwarder: hello with its address, then raw send/ack frames. */
export class BarePeer extends Peer {
  /** Connects and registers `identity`'s user id as this connection's address. */
  static async connect(url, identity, _deps, { localAddress, timeoutMs = 10_000, ...callbacks } = {}) {
    const ws = openSocket(url, localAddress, timeoutMs);
    const peer = new BarePeer(ws, callbacks);
    const { promise, ready } = untilReady(ws, timeoutMs, "hello");
    peer.onHello = () => ready(peer);
    ws.once("open", () => ws.send(Buffer.concat([Buffer.of(HELLO), identity.account.userId])));
    return promise;
  }

  constructor(ws, callbacks) {
    super(ws, callbacks);
    ws.on("message", (data) => {
      switch (data[0]) {
        case SEND:
          this.onMessage(data.subarray(21, 37), this);
          return;
        case SENT:
          this.onSent(data.readUInt32BE(1), data[5] === 0);
          return;
        case HELLO_ANSWER:
          this.onHello?.();
          this.onHello = undefined;
      }
    });
  }

  send(reqId, toAddress, messageId, envelope) {
    const frame = Buffer.allocUnsafe(37 + envelope.length);
    frame[0] = SEND;
    frame.writeUInt32BE(reqId, 1);
    frame.set(toAddress, 5);
    frame.set(messageId, 21);
    frame.set(envelope, 37);
    this.ws.send(frame);
  }

  sendAck(messageIds) {
    const frame = Buffer.allocUnsafe(1 + 16 * messageIds.length);
    frame[0] = ACK;
    for (let i = 0; i < messageIds.length; i++) frame.set(messageIds[i], 1 + 16 * i);
    this.ws.send(frame);
  }
}

/** The peer class for a server kind. */
export const PEERS = { relay: RelayPeer, bare: BarePeer };
