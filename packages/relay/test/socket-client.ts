// A small real client for socket tests: a WebSocket, the wire codec and the protocol's key
// functions. Requests resolve with the response that echoes their id; pushed frames (messages,
// queue_empty, notices) are collected and can be awaited.
import { type ClientFrame, decodeFrame, encodeFrame, type ServerFrame, signAuthChallenge } from "@parley/protocol/wire";
import WebSocket from "ws";
import { deps, type TestIdentity } from "./identities.js";

type Pushed = Exclude<ServerFrame, { id: number }>;
type DistributiveOmit<T, K extends PropertyKey> = T extends unknown ? Omit<T, K> : never;

export class SocketClient {
  readonly pushed: ServerFrame[] = [];
  readonly closed: Promise<{ code: number; reason: string }>;
  #nextId = 1;
  readonly #waiting = new Map<number, (frame: ServerFrame | Error) => void>();
  #watchers: { test: (f: ServerFrame) => boolean; resolve: (f: ServerFrame) => void }[] = [];
  challenge: Extract<ServerFrame, { t: "challenge" }> | undefined;
  closeInfo: { code: number; reason: string } | undefined;

  private constructor(readonly ws: WebSocket) {
    this.closed = new Promise((resolve) => {
      ws.on("close", (code, reason) => {
        this.closeInfo = { code, reason: reason.toString() };
        for (const waiter of this.#waiting.values()) waiter(new Error(`connection closed (${code})`));
        this.#waiting.clear();
        resolve(this.closeInfo);
      });
    });
    ws.on("error", () => {});
    ws.on("message", (data: Buffer) => {
      const frame = decodeFrame(new Uint8Array(data)) as ServerFrame;
      if (frame.t === "challenge") this.challenge = frame;
      const id = "id" in frame ? frame.id : undefined;
      const waiter = id === undefined ? undefined : this.#waiting.get(id);
      if (id !== undefined && waiter) {
        this.#waiting.delete(id);
        waiter(frame);
        return;
      }
      this.pushed.push(frame);
      this.#watchers = this.#watchers.filter((w) => {
        if (!w.test(frame)) return true;
        w.resolve(frame);
        return false;
      });
    });
  }

  /** Connects and waits for the challenge. */
  static async connect(url: string): Promise<SocketClient> {
    const ws = new WebSocket(url);
    const client = new SocketClient(ws);
    await new Promise<void>((resolve, reject) => {
      ws.once("open", () => resolve());
      ws.once("error", reject);
      ws.once("close", () => reject(new Error("closed before open")));
    });
    await Promise.race([client.next((f) => f.t === "challenge", 5000), client.closed]).catch(() => undefined);
    if (!client.challenge) throw new Error(`no challenge (closed with ${client.closeInfo?.code})`);
    return client;
  }

  /** Sends a request (id assigned) and resolves with its response. */
  request(frame: DistributiveOmit<ClientFrame, "id">, timeoutMs = 10_000): Promise<ServerFrame> {
    const id = this.#nextId++;
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`no response to ${frame.t} #${id}`)), timeoutMs);
      this.#waiting.set(id, (f) => {
        clearTimeout(timer);
        if (f instanceof Error) reject(f);
        else resolve(f);
      });
      this.ws.send(encodeFrame({ ...frame, id } as ClientFrame));
    });
  }

  /** Sends raw bytes (fuzzing). */
  sendRaw(bytes: Uint8Array): void {
    this.ws.send(bytes);
  }

  /** The next pushed frame matching `test` (already received ones included). */
  next(test: (f: ServerFrame) => boolean, timeoutMs = 10_000): Promise<ServerFrame> {
    const seen = this.pushed.find(test);
    if (seen) return Promise.resolve(seen);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error("timed out waiting for a frame")), timeoutMs);
      this.#watchers.push({
        test,
        resolve: (f) => {
          clearTimeout(timer);
          resolve(f);
        },
      });
    });
  }

  /** Pushed frames of type `t`. */
  ofType<T extends Pushed["t"] | "error">(t: T): Extract<ServerFrame, { t: T }>[] {
    return this.pushed.filter((f): f is Extract<ServerFrame, { t: T }> => f.t === t);
  }

  #signature(identity: TestIdentity): Uint8Array {
    if (!this.challenge) throw new Error("no challenge");
    return signAuthChallenge(deps, identity.device, this.challenge.nonce, this.challenge.relayId);
  }

  /** Registers the identity's device (and account); resolves with the response. */
  register(identity: TestIdentity): Promise<ServerFrame> {
    return this.request({
      t: "register",
      certificate: identity.device.certificate,
      deviceList: identity.deviceList,
      signature: this.#signature(identity),
    });
  }

  /** Logs in as an already registered device. */
  auth(identity: TestIdentity): Promise<ServerFrame> {
    return this.request({
      t: "auth",
      userId: identity.account.userId,
      deviceId: identity.device.deviceId,
      signature: this.#signature(identity),
    });
  }

  close(): Promise<{ code: number; reason: string }> {
    if (this.ws.readyState === WebSocket.OPEN || this.ws.readyState === WebSocket.CONNECTING) this.ws.close();
    return this.closed;
  }
}
