// Chat traffic for the cluster tests: real ParleyClients dialling the balancer, paired up so each
// pair has exchanged a first message, senders that keep writing while a node, Redis or PostgreSQL
// fails, and the check that matters: every message a sender saw acknowledged by the relay shows
// up exactly once in its receiver's conversation (nothing lost, nothing shown twice).
import type { ChatMessage, ParleyClient } from "@parley/protocol/client";
import { expect } from "vitest";
import { newClient, waitFor } from "../../support/clients.js";
import { until } from "./child.js";

/** Errors the clients made by {@link clients} reported (shown when a delivery check fails). */
export const clientErrors: string[] = [];

/** Two clients that have written to each other once. */
export interface Pair {
  readonly sender: ParleyClient;
  readonly receiver: ParleyClient;
  /** The receiver as the sender's contact. */
  readonly receiverAtSender: string;
  /** The sender as the receiver's contact. */
  readonly senderAtReceiver: string;
  /** Prefix of this pair's message texts. */
  readonly tag: string;
}

/** `count` connected clients through `wsUrl`, each with a handle `${prefix}${i}`, created one after another. */
export async function clients(wsUrl: string, prefix: string, count: number): Promise<ParleyClient[]> {
  const out: ParleyClient[] = [];
  for (let i = 0; i < count; i++) {
    const client = await newClient(wsUrl, `${prefix}${i}`, undefined, { requestTimeoutMs: 8_000 });
    client.on("error", (error) => clientErrors.push(`${prefix}${i}: ${(error as Error).message}`));
    out.push(client);
    await client.claimHandle(`${prefix}${i}`);
  }
  return out;
}

/** Pairs `senders[i]` with `receivers[i]`: the sender writes first, the receiver answers. */
export async function pairUp(senders: readonly ParleyClient[], receivers: readonly ParleyClient[], tag: string): Promise<Pair[]> {
  const pairs: Pair[] = [];
  for (const [i, sender] of senders.entries()) {
    const receiver = receivers[i] as ParleyClient;
    const receiverAtSender = (await sender.findContact(receiver.handle as string)).id;
    const hello = `${tag}${i} hello`;
    const first = waitFor(receiver, "message", (m) => m.text === hello, 15_000);
    await sender.sendText(receiverAtSender, hello);
    const senderAtReceiver = (await first).contactId;
    const back = waitFor(sender, "message", (m) => m.text === `${tag}${i} back`, 15_000);
    await receiver.sendText(senderAtReceiver, `${tag}${i} back`);
    await back;
    pairs.push({ sender, receiver, receiverAtSender, senderAtReceiver, tag: `${tag}${i}` });
  }
  return pairs;
}

/** Senders writing steadily until stopped. */
export interface Traffic {
  /** Messages each pair's sender has queued so far (same order as the pairs). */
  readonly sent: ChatMessage[][];
  /** Sends that threw (e.g. refused while storage was down), as text. */
  readonly failures: string[];
  /** Stops sending; resolves once every sender's loop has ended. */
  stop(): Promise<void>;
}

/** Each pair's sender sends `${tag} #n` every `everyMs` until `stop()` (or `max` messages). */
export function startTraffic(pairs: readonly Pair[], everyMs = 40, max = 400): Traffic {
  let running = true;
  const sent: ChatMessage[][] = pairs.map(() => []);
  const failures: string[] = [];
  const loops = pairs.map(async (pair, p) => {
    for (let n = 0; running && n < max; n++) {
      try {
        (sent[p] as ChatMessage[]).push(await pair.sender.sendText(pair.receiverAtSender, `${pair.tag} #${n}`));
      } catch (error) {
        failures.push(`${pair.tag} #${n}: ${(error as Error).message}`);
      }
      await new Promise((r) => setTimeout(r, everyMs));
    }
  });
  return {
    sent,
    failures,
    stop: async () => {
      running = false;
      await Promise.all(loops);
    },
  };
}

/** Texts of the receiver's conversation with the pair's sender (text messages only). */
async function receivedTexts(pair: Pair): Promise<string[]> {
  return (await pair.receiver.messages(pair.senderAtReceiver)).filter((m) => m.kind === "text").map((m) => m.text ?? "");
}

const ACKNOWLEDGED = new Set(["sent", "delivered", "read"]);

/**
 * Waits until every message the senders queued is acknowledged by the relay and shown in the
 * receiver's conversation, then checks each is shown exactly once. Returns how many were
 * acknowledged (for the test to check there was traffic at all).
 */
export async function expectExactlyOnce(pairs: readonly Pair[], traffic: Traffic, ms = 30_000): Promise<number> {
  let acknowledged = 0;
  for (const [p, pair] of pairs.entries()) {
    const queued = (traffic.sent[p] as ChatMessage[]).map((m) => m.id);
    const texts = (traffic.sent[p] as ChatMessage[]).map((m) => m.text ?? "");
    // Every queued message ends up acknowledged (the SDK's outbox retries through any node) ...
    await until(
      `${pair.tag}: all ${queued.length} sends acknowledged by the relay`,
      async () => {
        const mine = await pair.sender.messages(pair.receiverAtSender);
        const status = new Map(mine.map((m) => [m.id, m.status]));
        return queued.every((id) => ACKNOWLEDGED.has(status.get(id) ?? "pending"));
      },
      ms,
      100,
    );
    // ... and arrives.
    let missing: string[] = [];
    await until(
      `${pair.tag}: all ${texts.length} messages shown at the receiver`,
      async () => {
        const got = new Set(await receivedTexts(pair));
        missing = texts.filter((t) => !got.has(t));
        return missing.length === 0;
      },
      ms,
      100,
    ).catch((error: Error) => {
      throw new Error(
        `${error.message}: missing ${missing.join(", ")} (receiver ${pair.receiver.connectionState}); client errors: ${clientErrors.slice(-10).join("; ")}`,
      );
    });
    const shown = await receivedTexts(pair);
    const counts = new Map<string, number>();
    for (const t of shown) counts.set(t, (counts.get(t) ?? 0) + 1);
    const duplicated = [...counts].filter(([, n]) => n > 1).map(([t]) => t);
    expect(duplicated, `${pair.tag}: shown more than once`).toEqual([]);
    // In the order they were sent (per-device order holds across nodes).
    expect(shown.filter((t) => t.startsWith(`${pair.tag} #`))).toEqual(texts);
    acknowledged += texts.length;
  }
  return acknowledged;
}
