/**
 * The actions a view may take, over the client and the view store: one stable object per
 * session (components get it from useActions(), so it never causes a re-render). Each returns
 * the SDK's promise; callers show failures with describeError().
 */
import type { SafetyNumber } from "@parley/protocol";
import type { ChatMessage, Contact, GroupsApi, ParleyClient } from "@parley/protocol/client";
import { loadOlder, loadUntil, openTimeline } from "./history.js";
import type { ParleyStore } from "./store.js";

export class Actions {
  readonly #store: ParleyStore;

  constructor(store: ParleyStore) {
    this.#store = store;
  }

  get #client(): ParleyClient {
    const client = this.#store.client;
    if (!client) throw new Error("no account is open");
    return client;
  }

  readonly openTimeline = (conversationId: string): Promise<void> => openTimeline(this.#store, conversationId);
  readonly loadOlder = (conversationId: string): Promise<void> => loadOlder(this.#store, conversationId);
  /** Loads older pages until `messageId` is loaded; false when it is not in the history. */
  readonly loadUntil = (conversationId: string, messageId: string): Promise<boolean> => loadUntil(this.#store, conversationId, messageId);

  /** Looks a handle up at the relay and adds the contact (a new 1:1 conversation). */
  readonly findContact = async (handle: string): Promise<Contact> => {
    const contact = await this.#client.findContact(handle.replace(/^@/, "").trim());
    await this.#store.refreshConversations();
    return contact;
  };

  readonly sendText = (
    conversationId: string,
    text: string,
    options: { replyTo?: string; mentions?: readonly string[] } = {},
  ): Promise<ChatMessage> => this.#client.sendText(conversationId, text, options);
  readonly react = (conversationId: string, messageId: string, emoji: string, remove = false): Promise<void> =>
    this.#client.react(conversationId, messageId, emoji, { remove });
  readonly edit = (conversationId: string, messageId: string, text: string): Promise<void> =>
    this.#client.edit(conversationId, messageId, text);
  readonly deleteMessage = (conversationId: string, messageId: string): Promise<void> =>
    this.#client.deleteMessage(conversationId, messageId);
  readonly markRead = (conversationId: string, messageIds?: readonly string[]): Promise<void> =>
    this.#client.markRead(conversationId, messageIds);
  readonly setTyping = (conversationId: string, typing: boolean): Promise<void> => this.#client.setTyping(conversationId, typing);
  readonly acceptIdentity = (contactId: string): Promise<Contact> => this.#client.acceptIdentity(contactId);
  readonly dismissToast = (id: number): void => this.#store.dismissToast(id);
  /** Groups: create, add/remove members, roles, info, settings, leave (each resolves with the new GroupInfo). */
  get groups(): GroupsApi {
    return this.#client.groups;
  }
  /** The safety number with a contact (digits and QR payload). */
  readonly safetyNumber = (contactId: string): Promise<SafetyNumber> => this.#client.safetyNumber(contactId);
  /** Marks a contact verified; with a scanned or pasted QR payload, only when it matches (returns whether it did). */
  readonly markVerified = (contactId: string, scannedQr?: Uint8Array): Promise<boolean> => this.#client.markVerified(contactId, scannedQr);
  /** This account's device ids (newest signed list this device has); views read `devices` from the snapshot to follow changes. */
  readonly devices = (): readonly number[] => this.#client.devices;
  /** Asks the relay for this account's current device list; the snapshot's `devices` follows when it changed. */
  readonly refreshDevices = (): Promise<void> => this.#client.refreshDevices();
  /**
   * Changes the account's display name (primary device only; the SDK trims it and refuses an
   * empty or too long one). The header and Settings follow through the snapshot's `me`.
   */
  readonly setDisplayName = async (name: string): Promise<void> => {
    await this.#client.setDisplayName(name);
    this.#store.refreshMe();
  };
  /** Claims a handle for this account (after a first claim failed at sign-up); `me.handle` follows. */
  readonly claimHandle = async (handle: string): Promise<void> => {
    await this.#client.claimHandle(handle);
    this.#store.refreshMe();
  };
  /** True when this device holds the account key: it can link and remove devices. */
  readonly isPrimary = (): boolean => this.#client.isPrimary;
  readonly removeDevice = (deviceId: number): Promise<void> => this.#client.removeDevice(deviceId);
  /** Device linking on this (primary) device: prepares the approval of a new device's request. */
  readonly approveLink = (request: string) => this.#client.approveLink(request);
}
