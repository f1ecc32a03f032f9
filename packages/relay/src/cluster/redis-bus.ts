/**
 * The bus over Redis: one pub/sub channel `<prefix>bus` carries every message to every node,
 * and a hash `<prefix>generations` holds each device's connection generation (HINCRBY, atomic
 * across nodes). The prefix lets several clusters or test runs share one Redis server.
 *
 * Two connections (a subscribed connection cannot run other commands). Neither may take the
 * process down nor grow memory while Redis is away: `error` events are handled (logged once per
 * outage), reconnects back off up to RECONNECT_MAX_MS, and the offline queue is disabled so a
 * publish while down fails at once and is dropped (the node polls the store meanwhile). The bus
 * is up when both connections are ready and the channel is subscribed.
 *
 * What Redis sees: mailbox ids (user id and device number) with the timing of their mail, rate
 * keys (accounts, network addresses) and connection generations, never a message or a key.
 * Keep it private to the cluster, as the store is (a password in the URL, TLS with rediss://).
 */

import { randomBytes } from "node:crypto";
import { Redis } from "ioredis";
import type { Logger } from "pino";
import { redactUrl } from "../store/open-store.js";
import type { Bus, BusListener, BusStateListener } from "./bus.js";
import { type BusMessage, decodeEnvelope, encodeEnvelope } from "./bus-messages.js";

/** Longest wait between reconnect attempts: Redis returning is noticed within about this. */
const RECONNECT_MAX_MS = 2000;
/** First reconnect wait; doubled per failed attempt up to RECONNECT_MAX_MS. */
const RECONNECT_MIN_MS = 50;
/** Key prefix when `--bus` names none. */
export const DEFAULT_BUS_PREFIX = "parley:";

/** Raises a hash field to at least ARGV[1] (generations after Redis lost its data). */
const RAISE_SCRIPT = `local c = tonumber(redis.call('HGET', KEYS[1], ARGV[1]) or '0')
if c < tonumber(ARGV[2]) then redis.call('HSET', KEYS[1], ARGV[1], ARGV[2]) end
return 0`;

/** Options of {@link RedisBus}. */
export interface RedisBusOptions {
  /** `redis://[user:password@]host:port[/db]`. */
  readonly url: string;
  readonly nodeId: string;
  /** Prefix of the channel and keys (default `parley:`). */
  readonly prefix?: string;
  readonly log: Logger;
}

/** A {@link Bus} over a Redis server. */
export class RedisBus implements Bus {
  readonly nodeId: string;
  /** This bus instance (a node id could be reused by mistake; this never is). */
  readonly #instance = randomBytes(8).toString("hex");
  readonly #channel: string;
  readonly #generations: string;
  readonly #commands: Redis;
  readonly #subscriber: Redis;
  readonly #log: Logger;
  #subscribed = false;
  #up = false;
  #closed = false;
  #listener: BusListener | undefined;
  #stateListener: BusStateListener | undefined;
  #outageLogged = false;

  constructor(options: RedisBusOptions) {
    this.nodeId = options.nodeId;
    const prefix = options.prefix ?? DEFAULT_BUS_PREFIX;
    this.#channel = `${prefix}bus`;
    this.#generations = `${prefix}generations`;
    this.#log = options.log;
    const redisOptions = {
      enableOfflineQueue: false,
      maxRetriesPerRequest: 1,
      autoResubscribe: false,
      connectTimeout: 5000,
      retryStrategy: (attempt: number) => Math.min(RECONNECT_MIN_MS * 2 ** Math.min(attempt, 10), RECONNECT_MAX_MS),
    };
    this.#commands = new Redis(options.url, { ...redisOptions, connectionName: `parley-${options.nodeId}` });
    this.#subscriber = new Redis(options.url, { ...redisOptions, connectionName: `parley-${options.nodeId}-sub` });
    const target = redactUrl(options.url);
    for (const connection of [this.#commands, this.#subscriber]) {
      connection.on("error", (error: Error) => this.#onError(target, error));
      connection.on("close", () => this.#onClose(connection));
      connection.on("ready", () => this.#refresh());
    }
    this.#subscriber.on("ready", () => this.#subscribe());
    this.#subscriber.on("message", (channel: string, text: string) => this.#receive(channel, text));
  }

  get up(): boolean {
    return this.#up;
  }

  publish(message: BusMessage): boolean {
    if (!this.#up) return false;
    this.#commands.publish(this.#channel, encodeEnvelope(this.#instance, message)).catch(() => {});
    return true;
  }

  onMessage(listener: BusListener): void {
    this.#listener = listener;
  }

  onStateChange(listener: BusStateListener): void {
    this.#stateListener = listener;
  }

  async nextGeneration(key: string): Promise<number | undefined> {
    if (!this.#up) return undefined;
    try {
      return await this.#commands.hincrby(this.#generations, key, 1);
    } catch {
      return undefined;
    }
  }

  async restoreGeneration(key: string, generation: number): Promise<void> {
    if (!this.#up) return;
    await this.#commands.eval(RAISE_SCRIPT, 1, this.#generations, key, String(generation)).catch(() => {});
  }

  /** Resolves once the bus is up, or rejects after `timeoutMs` (startup and tests). */
  ready(timeoutMs: number): Promise<void> {
    if (this.#up) return Promise.resolve();
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        clearInterval(poll);
        reject(new Error(`the bus did not connect within ${timeoutMs} ms`));
      }, timeoutMs);
      const poll = setInterval(() => {
        if (!this.#up) return;
        clearInterval(poll);
        clearTimeout(timer);
        resolve();
      }, 10);
    });
  }

  async close(): Promise<void> {
    // Closing is not an outage: nobody is told, nothing is logged.
    this.#closed = true;
    this.#listener = undefined;
    this.#stateListener = undefined;
    this.#up = false;
    await Promise.all([this.#commands, this.#subscriber].map((c) => c.quit().catch(() => c.disconnect())));
  }

  #subscribe(): void {
    this.#subscriber.subscribe(this.#channel).then(
      () => {
        this.#subscribed = true;
        this.#refresh();
      },
      (error: Error) => this.#onError(this.#channel, error),
    );
  }

  #receive(channel: string, text: string): void {
    if (channel !== this.#channel) return;
    const envelope = decodeEnvelope(text);
    if (!envelope) {
      this.#log.warn("bus: dropped a malformed message");
      return;
    }
    if (envelope.from === this.#instance) return;
    this.#listener?.(envelope.message);
  }

  #refresh(): void {
    this.#setUp(!this.#closed && this.#subscribed && this.#commands.status === "ready" && this.#subscriber.status === "ready");
  }

  #onClose(connection: Redis): void {
    if (connection === this.#subscriber) this.#subscribed = false;
    this.#setUp(false);
  }

  #onError(target: string, error: Error): void {
    // ioredis reports every failed reconnect attempt: one line per outage is enough.
    if (this.#outageLogged) return;
    this.#outageLogged = true;
    this.#log.warn({ bus: target, err: { message: error.message } }, "bus connection error");
  }

  #setUp(up: boolean): void {
    if (up === this.#up) return;
    this.#up = up;
    if (up) this.#outageLogged = false;
    this.#log[up ? "info" : "warn"]({ node: this.nodeId }, up ? "bus up" : "bus down");
    this.#stateListener?.(up);
  }
}
