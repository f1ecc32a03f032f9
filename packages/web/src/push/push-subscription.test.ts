// Turning push on and off against a stand-in of the browser's Push API (Node has none, and
// headless Chromium refuses every subscription, so the success and key-change paths cannot run in
// a browser here; tests/e2e/web/push.test.ts covers the refusal in Chromium). The client is a
// recorder of what the relay would be told.
import type { PushConfig, WebPushSubscription } from "@parley/protocol/client";
import { afterEach, beforeEach, describe, expect, test, vi } from "vitest";
import {
  disablePush,
  enablePush,
  PUSH_SENTENCES,
  PUSH_SUBSCRIBE_TIMEOUT_MS,
  type PushClient,
  PushUnavailableError,
  refreshPushSubscription,
} from "./push-subscription.js";

const KEY_A = new Uint8Array(65).fill(4);
const KEY_B = new Uint8Array(65).fill(7);
const b64url = (bytes: Uint8Array) => Buffer.from(bytes).toString("base64url");

class FakeSubscription {
  unsubscribed = false;
  constructor(
    readonly owner: FakePushManager,
    readonly options: { applicationServerKey: ArrayBuffer },
    readonly endpoint: string,
  ) {}
  toJSON() {
    return { endpoint: this.endpoint, keys: { p256dh: "p", auth: "a" } };
  }
  async unsubscribe() {
    this.unsubscribed = true;
    if (this.owner.current === this) this.owner.current = null;
    return true;
  }
}

class FakePushManager {
  current: FakeSubscription | null = null;
  /** What subscribe does: succeed, reject with a DOMException name, or never settle. */
  mode: "ok" | "AbortError" | "NotAllowedError" | "hang" = "ok";
  made = 0;
  async getSubscription() {
    return this.current;
  }
  subscribe(options: { userVisibleOnly: boolean; applicationServerKey: string }): Promise<FakeSubscription> {
    if (!options.userVisibleOnly) return Promise.reject(new DOMException("userVisibleOnly", "NotSupportedError"));
    if (this.mode === "hang") return new Promise(() => {});
    if (this.mode !== "ok") return Promise.reject(new DOMException("Registration failed - permission denied", this.mode));
    const key = new Uint8Array(Buffer.from(options.applicationServerKey, "base64url"));
    this.current = new FakeSubscription(this, { applicationServerKey: key.buffer }, `https://push.example/${++this.made}`);
    return Promise.resolve(this.current);
  }
}

let pushManager: FakePushManager;
let permission: NotificationPermission;

function relay(key: Uint8Array, refuse = false) {
  const told: (WebPushSubscription | null)[] = [];
  const client: PushClient & { key: Uint8Array } = {
    key,
    pushConfig: async (): Promise<PushConfig> => ({ vapidPublicKey: client.key, applicationServerKey: b64url(client.key) }),
    setPushSubscription: async (sub) => {
      if (refuse && sub) throw new Error("refused");
      told.push(sub);
    },
  };
  return { client, told };
}

beforeEach(() => {
  pushManager = new FakePushManager();
  permission = "granted";
  const registration = { active: {}, pushManager };
  vi.stubGlobal("PushManager", FakePushManager);
  vi.stubGlobal("Notification", { requestPermission: async () => permission });
  vi.stubGlobal("navigator", { serviceWorker: { getRegistration: async () => registration, ready: Promise.resolve(registration) } });
});
afterEach(() => {
  vi.unstubAllGlobals();
  vi.useRealTimers();
});

const failure = (p: Promise<unknown>) =>
  p.then(
    () => "resolved",
    (e: unknown) => (e instanceof PushUnavailableError ? e.message : `other: ${String(e)}`),
  );

describe("enablePush", () => {
  test("subscribes with the relay's key and registers the subscription's JSON", async () => {
    const { client, told } = relay(KEY_A);
    await enablePush(client);
    expect(told).toEqual([{ endpoint: "https://push.example/1", keys: { p256dh: "p", auth: "a" } }]);
    expect(new Uint8Array(pushManager.current?.options.applicationServerKey ?? new ArrayBuffer(0))).toEqual(KEY_A);
  });

  test("a browser that refuses to subscribe: a sentence, nothing registered, nothing subscribed", async () => {
    const { client, told } = relay(KEY_A);
    pushManager.mode = "AbortError";
    expect(await failure(enablePush(client))).toBe(PUSH_SENTENCES.refused);
    pushManager.mode = "NotAllowedError";
    expect(await failure(enablePush(client))).toBe(PUSH_SENTENCES.blocked);
    expect(told).toEqual([]);
    expect(pushManager.current).toBeNull();
  });

  test("notifications not allowed: blocked, and subscribe is never tried", async () => {
    const { client, told } = relay(KEY_A);
    permission = "denied";
    expect(await failure(enablePush(client))).toBe(PUSH_SENTENCES.blocked);
    permission = "default";
    expect(await failure(enablePush(client))).toBe(PUSH_SENTENCES.blocked);
    expect(pushManager.made).toBe(0);
    expect(told).toEqual([]);
  });

  test("a push service that never answers: a timeout sentence, not a spinner for ever", async () => {
    vi.useFakeTimers();
    const { client } = relay(KEY_A);
    pushManager.mode = "hang";
    const result = failure(enablePush(client));
    await vi.advanceTimersByTimeAsync(PUSH_SUBSCRIBE_TIMEOUT_MS - 1);
    let settled = false;
    void result.then(() => {
      settled = true;
    });
    await vi.advanceTimersByTimeAsync(0);
    expect(settled).toBe(false);
    await vi.advanceTimersByTimeAsync(1);
    expect(await result).toBe(PUSH_SENTENCES.timeout);
  });

  test("the relay refuses the subscription: the browser's is removed again", async () => {
    const { client } = relay(KEY_A, true);
    const message = await failure(enablePush(client));
    expect(message).toMatch(/^The relay did not accept this browser's push subscription\./);
    expect(pushManager.current).toBeNull();
    expect(pushManager.made).toBe(1);
  });

  test("without the Push API: unsupported", async () => {
    vi.stubGlobal("PushManager", undefined);
    const { client } = relay(KEY_A);
    expect(await failure(enablePush(client))).toBe(PUSH_SENTENCES.unsupported);
  });
});

describe("disablePush and refreshPushSubscription", () => {
  test("off unsubscribes the browser and clears the relay's copy", async () => {
    const { client, told } = relay(KEY_A);
    await enablePush(client);
    const sub = pushManager.current;
    await disablePush(client);
    expect(sub?.unsubscribed).toBe(true);
    expect(told.at(-1)).toBeNull();
  });

  test("the relay's key changed: the old subscription is replaced and registered again; same key: nothing", async () => {
    const { client, told } = relay(KEY_A);
    expect(await refreshPushSubscription(client)).toBe(false); // push is off: nothing to do
    await enablePush(client);
    const first = pushManager.current;
    expect(await refreshPushSubscription(client)).toBe(false);
    expect(told).toHaveLength(1);
    client.key = KEY_B;
    expect(await refreshPushSubscription(client)).toBe(true);
    expect(first?.unsubscribed).toBe(true);
    expect(new Uint8Array(pushManager.current?.options.applicationServerKey ?? new ArrayBuffer(0))).toEqual(KEY_B);
    expect(told).toHaveLength(2);
    expect(told.at(-1)?.endpoint).toBe("https://push.example/2");
  });
});
