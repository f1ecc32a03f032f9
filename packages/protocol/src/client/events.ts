/**
 * Typed events of a ParleyClient. A tiny emitter (no Node `events` import) so the SDK runs in
 * browsers unchanged; a listener that throws is reported on `error`, never breaks delivery.
 */

import type { ParleyError } from "../errors.js";
import type { ChatMessage } from "./conversation.js";
import type { GroupInfo } from "./groups/info.js";
import type { GroupTokenRefusedEvent } from "./groups/token-refused.js";
import type { Contact } from "./records.js";
import type { ConnectionState } from "./relay-connection.js";
import type { PrivacySettings } from "./settings.js";

export interface ClientEvents {
  /** A new message in a conversation (incoming, a sync copy from another own device, or a notice). */
  message: ChatMessage;
  /** A stored message changed: edit, delete, reaction, status (sent/delivered/read). */
  messageUpdated: ChatMessage;
  /** A contact is typing (true) or stopped (false); in a group, `contactId` is the group's conversation id and `userId` the member. */
  typing: { contactId: string; typing: boolean; userId?: string };
  /** A group was created, joined, or changed (members, roles, info, settings), or we left it. */
  group: GroupInfo;
  /**
   * A group change (or a snapshot handing us a group) was refused: its author lacks the right
   * (ERR_GROUP_PERMISSION), it replays or forks the state (ERR_GROUP_STALE), breaks the group's
   * rules (ERR_GROUP_INVALID) or its signature does not verify (ERR_INVALID_SIGNATURE). The
   * group's state stays as it was.
   */
  groupChangeRefused: { conversationId: string; groupId: string; author: string | undefined; error: ParleyError };
  /** A contact's presence changed (or was repeated); `lastSeen` is our clock when it arrived (see `Contact.lastSeen`). */
  presence: { contactId: string; presence: "offline" | "online" | "away"; lastSeen?: number };
  /** Our privacy settings changed (`updateSettings`). */
  settings: PrivacySettings;
  /** A contact's identity changed; sending to it is blocked until `acceptIdentity`. */
  identityChanged: Contact;
  /**
   * Our account's profile: the display name was changed on this device (`setDisplayName`), or
   * our primary device's profile (a new name or delivery token) arrived on this linked device.
   * `ParleyClient.displayName` already gives the new name.
   */
  profile: { displayName: string };
  /**
   * Our account's device list changed: a device was linked or removed here, or this device
   * learned a newer signed list (at login, or from a device it did not know).
   * `ParleyClient.devices` already gives the new list.
   */
  devices: { deviceIds: readonly number[] };
  /** A contact was added or updated (profile, devices, verification). */
  contact: Contact;
  /** The relay connection's state. */
  connection: { state: ConnectionState; code?: number; reason?: string };
  /** Every message queued at the relay while offline has been received. */
  synced: undefined;
  /**
   * A contact's relay refused the delivery token we hold for them (TOKEN_INVALID: a token they
   * replaced, or a relay forcing it), so a sealed send could not go. Under `unsealedFallback:
   * "allow"` it went as an authenticated send that names this account to the relay (`sent:
   * true`, and the message is flagged `sentUnsealed`); under `"never"` it was not sent (`sent:
   * false`, the message is marked `failed`).
   */
  unsealedFallback: UnsealedFallbackEvent;
  /**
   * A group send the relay refused for a member's delivery token (TOKEN_INVALID): never resent in
   * a way that names us. `resent`: queued again for that member with a newer token (from the
   * group state's `setOwnToken` or the member's profile); otherwise the member's status for the
   * message (`receipts[userId]`) is `failed`.
   */
  groupTokenRefused: GroupTokenRefusedEvent;
  /**
   * A message from a device that is not on its account's newest signed device list (a removed
   * device, or one never listed) was refused; an `error` with ERR_DEVICE_REMOVED goes with it.
   */
  deviceRemoved: { contactId: string | undefined; userId: string; deviceId: number };
  /**
   * Messages from a contact's device that can no longer be decrypted because their keys were
   * evicted (more than MAX_SKIPPED_KEYS outstanding, spec/ratchet.md §5 step 5). `count` is the
   * number of message keys dropped; the messages themselves never appear.
   */
  messageLost: { userId: string; deviceId: number; count: number };
  /**
   * A message dropped as already received: `session` when the ratchet said so (a replay or a
   * redelivery), `content` when its content id was already stored.
   */
  duplicate: { userId: string; deviceId: number; reason: "session" | "content" };
  /** A problem the app may want to show or log; never contains secrets. */
  error: Error;
}

/** Payload of `unsealedFallback`. */
export interface UnsealedFallbackEvent {
  /** The conversation, when the send was to a contact (undefined for copies to our own devices). */
  readonly contactId: string | undefined;
  /** The recipient user id, hex. */
  readonly userId: string;
  /** The conversation message this send carried, if it was one (receipts, reactions… carry none). */
  readonly messageId: string | undefined;
  readonly reason: "TOKEN_INVALID";
  /** True: sent unsealed (policy "allow"). False: not sent (policy "never"). */
  readonly sent: boolean;
}

type Listener<T> = (payload: T) => void;

export class Emitter<E> {
  private readonly listeners = new Map<keyof E, Set<Listener<never>>>();

  /** Subscribes; returns a function that unsubscribes. */
  on<K extends keyof E>(event: K, listener: Listener<E[K]>): () => void {
    let set = this.listeners.get(event);
    if (!set) {
      set = new Set();
      this.listeners.set(event, set);
    }
    set.add(listener as Listener<never>);
    return () => set?.delete(listener as Listener<never>);
  }

  /** Resolves with the next payload of `event` that satisfies `filter`. */
  once<K extends keyof E>(event: K, filter: (payload: E[K]) => boolean = () => true): Promise<E[K]> {
    return new Promise((resolve) => {
      const off = this.on(event, (payload) => {
        if (!filter(payload)) return;
        off();
        resolve(payload);
      });
    });
  }

  protected emit<K extends keyof E>(event: K, payload: E[K]): void {
    for (const listener of this.listeners.get(event) ?? []) {
      try {
        (listener as Listener<E[K]>)(payload);
      } catch (error) {
        if (event !== "error") this.emit("error" as K, (error instanceof Error ? error : new Error(String(error))) as E[K]);
      }
    }
  }
}
