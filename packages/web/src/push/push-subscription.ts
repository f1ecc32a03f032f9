/**
 * This device's Web Push subscription (spec/client.md §13, spec/relay.md §14): turning push on
 * asks for notification permission, subscribes the service worker's PushManager with the relay's
 * VAPID key and registers the subscription with the relay; turning it off unsubscribes and
 * removes it from the relay. The browser's subscription is the only record of "on" (nothing in
 * localStorage). Every failure becomes a PushUnavailableError with a sentence for the person.
 */
import type { ParleyClient, WebPushSubscription } from "@parley/protocol/client";
import { describeError } from "../sdk/errors.js";

/** How long to wait for the service worker and for the browser's push service to answer. */
export const PUSH_SUBSCRIBE_TIMEOUT_MS = 20_000;

/** A failure to turn push on or off, with a sentence to show as is. */
export class PushUnavailableError extends Error {
  override readonly name = "PushUnavailableError";
}

/** The sentences shown for each way push can fail. */
export const PUSH_SENTENCES = {
  unsupported: "Push notifications are not available in this browser.",
  refused: "Push notifications are not available in this browser: it refused to subscribe (private windows and some browsers cannot).",
  timeout: "The browser's push service did not answer, so push notifications are off. Try again later.",
  blocked: "Notifications are blocked for this site. Allow them in the browser's site settings, then turn push on again.",
  noWorker:
    "Push notifications need the app's offline support (its service worker), which is not running in this tab. Reload and try again.",
} as const;

/** The parts of the SDK client push needs. */
export type PushClient = Pick<ParleyClient, "pushConfig" | "setPushSubscription">;

/** True when this browser has the APIs Web Push needs (it may still refuse to subscribe). */
export function pushSupported(): boolean {
  return (
    typeof navigator !== "undefined" &&
    "serviceWorker" in navigator &&
    typeof PushManager !== "undefined" &&
    typeof Notification !== "undefined"
  );
}

function withTimeout<T>(promise: Promise<T>, ms: number, sentence: string): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const late = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new PushUnavailableError(sentence)), ms);
  });
  return Promise.race([promise, late]).finally(() => clearTimeout(timer));
}

async function registration(): Promise<ServiceWorkerRegistration> {
  if (!pushSupported()) throw new PushUnavailableError(PUSH_SENTENCES.unsupported);
  const existing = await navigator.serviceWorker.getRegistration();
  if (existing?.active) return existing;
  return withTimeout(navigator.serviceWorker.ready, PUSH_SUBSCRIBE_TIMEOUT_MS, PUSH_SENTENCES.noWorker);
}

/** This browser's current push subscription for the app, if any. */
export async function currentSubscription(): Promise<PushSubscription | null> {
  if (!pushSupported()) return null;
  const reg = await navigator.serviceWorker.getRegistration();
  return (await reg?.pushManager.getSubscription()) ?? null;
}

/** True when `subscription` was made with the VAPID key `key` (an uncompressed P-256 point). */
export function madeWithKey(subscription: PushSubscription, key: Uint8Array): boolean {
  const used = subscription.options.applicationServerKey;
  if (!used) return false;
  const bytes = new Uint8Array(used);
  return bytes.length === key.length && bytes.every((b, i) => b === key[i]);
}

async function subscribe(reg: ServiceWorkerRegistration, applicationServerKey: string): Promise<PushSubscription> {
  try {
    return await withTimeout(
      reg.pushManager.subscribe({ userVisibleOnly: true, applicationServerKey }),
      PUSH_SUBSCRIBE_TIMEOUT_MS,
      PUSH_SENTENCES.timeout,
    );
  } catch (error) {
    if (error instanceof PushUnavailableError) throw error;
    if (error instanceof DOMException && error.name === "NotAllowedError") throw new PushUnavailableError(PUSH_SENTENCES.blocked);
    throw new PushUnavailableError(PUSH_SENTENCES.refused);
  }
}

async function register(client: PushClient, subscription: PushSubscription): Promise<void> {
  try {
    await client.setPushSubscription(subscription.toJSON() as WebPushSubscription);
  } catch (error) {
    // The relay did not take it: leave no browser subscription behind that nothing uses.
    await subscription.unsubscribe().catch(() => false);
    throw new PushUnavailableError(`The relay did not accept this browser's push subscription. ${describeError(error)}`);
  }
}

/**
 * Turns push on for this device: permission, subscription with the relay's VAPID key (an older
 * subscription made with another key is replaced), registration with the relay.
 * Throws PushUnavailableError with a sentence to show.
 */
export async function enablePush(client: PushClient): Promise<void> {
  if (!pushSupported()) throw new PushUnavailableError(PUSH_SENTENCES.unsupported);
  const permission = await Notification.requestPermission();
  if (permission !== "granted") throw new PushUnavailableError(PUSH_SENTENCES.blocked);
  const reg = await registration();
  const config = await client.pushConfig().catch((error: unknown) => {
    throw new PushUnavailableError(`Could not get the relay's push key. ${describeError(error)}`);
  });
  let subscription = await reg.pushManager.getSubscription();
  if (subscription && !madeWithKey(subscription, config.vapidPublicKey)) {
    await subscription.unsubscribe().catch(() => false);
    subscription = null;
  }
  subscription ??= await subscribe(reg, config.applicationServerKey);
  await register(client, subscription);
}

/** Turns push off for this device: unsubscribes the browser and removes the subscription from the relay. */
export async function disablePush(client: PushClient): Promise<void> {
  const subscription = await currentSubscription();
  await subscription?.unsubscribe().catch(() => false);
  try {
    await client.setPushSubscription(null);
  } catch (error) {
    throw new PushUnavailableError(`Push is off in this browser, but the relay could not be told: ${describeError(error)}`);
  }
}

/**
 * Keeps an existing subscription in step with the relay: when the relay's VAPID key changed (its
 * key was lost or replaced), the old subscription no longer works, so it is replaced and
 * registered again. Does nothing when push is off. Resolves true when it re-subscribed.
 */
export async function refreshPushSubscription(client: PushClient): Promise<boolean> {
  const subscription = await currentSubscription();
  if (!subscription) return false;
  const config = await client.pushConfig();
  if (madeWithKey(subscription, config.vapidPublicKey)) return false;
  await enablePush(client);
  return true;
}

/** Whatever went wrong, as a sentence. */
export function describePushError(error: unknown): string {
  return error instanceof PushUnavailableError ? error.message : describeError(error);
}
