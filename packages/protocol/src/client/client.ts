/**
 * ParleyClient: the SDK apps embed. It owns one device of one account, keeps a connection to a
 * relay, and offers chat as a user sees it — contacts, conversations, messages with replies,
 * reactions, edits and deletes, receipts, typing and presence, safety numbers — with everything
 * end-to-end encrypted and persisted through a `Store`. The terminal and web clients are views
 * over this class; no protocol logic lives in them.
 *
 * This file is the public facade: construction, getters and delegations with their docs. The
 * work lives in modules of its own — client-setup.ts (making a client), client-lifecycle.ts
 * (login, connection, pushes, close), conversation-actions.ts, and the feature modules.
 */

import type { AttachmentPointer } from "../attachment/pointer.js";
import { hexToBytes } from "../crypto/bytes.js";
import type { CryptoProvider } from "../crypto/provider.js";
import { ErrorCode, ParleyError } from "../errors.js";
import { compareSafetyQr, type SafetyNumber, safetyNumber } from "../safety-number.js";
import type { HandleFrame } from "../wire/frames.js";
import { changeDisplayName, replaceAccountToken } from "./account-profile.js";
import {
  type AttachmentStream,
  Attachments,
  type DownloadOptions,
  type FileSource,
  type SendFileOptions,
  type UploadRecord,
} from "./attachments.js";
import { type BackupImportResult, commitRestore, exportBackup, importBackup } from "./backup.js";
import { CallsApi } from "./calls/calls-api.js";
import { ClientLifecycle, relayConnections } from "./client-lifecycle.js";
import { CONNECT_TIMEOUT_MS, type ConnectOptions, type ParleyClientOptions } from "./client-options.js";
import type { ClientSetup } from "./client-setup.js";
import * as setup from "./client-setup.js";
import { acceptIdentity, learnHandle, saveContact } from "./contact-identity.js";
import { ClientContext } from "./context.js";
import type { AttachmentInfo, ChatMessage } from "./conversation.js";
import { ConversationActions } from "./conversation-actions.js";
import { type ConversationSummary, listConversations } from "./conversation-list.js";
import { DEFAULT_UNSEALED_FALLBACK } from "./delivery-token.js";
import { publishListWithout, refreshOwnList } from "./device-lists.js";
import { type ClientEvents, Emitter } from "./events.js";
import { GroupsApi } from "./groups/api.js";
import type { MessagePageOptions } from "./history.js";
import { IceServerCache } from "./ice-servers.js";
import { IdentityRefresher } from "./identity-refresh.js";
import { decodeLinkRequest, grantLink, linkCode, PendingLinkApproval } from "./linking.js";
import { errorFields, Log } from "./logger.js";
import { PreKeyMaintenance } from "./prekey-maintenance.js";
import { sendPresence } from "./presence.js";
import {
  fetchIceServers,
  fetchPushConfig,
  type IceServers,
  type PushConfig,
  sendPushSubscription,
  type WebPushSubscription,
} from "./push.js";
import type { Contact } from "./records.js";
import type { ConnectionState } from "./relay-connection.js";
import { type PrivacySettings, privacySettings, updatePrivacySettings } from "./settings.js";
import type { Store } from "./store/store.js";

export { CONNECT_TIMEOUT_MS, type ConnectOptions, type ConversationSummary, type ParleyClientOptions };

export class ParleyClient extends Emitter<ClientEvents> {
  private readonly ctx: ClientContext;
  /** Login, connection state, pushed frames, close and takeover (client-lifecycle.ts). */
  private readonly lifecycle: ClientLifecycle;
  private readonly log: Log;
  private readonly identities: IdentityRefresher;
  /** Groups: create them, change members, roles, info and settings. Their messages use the conversation methods with `GroupInfo.id`. */
  readonly groups: GroupsApi;
  /** Voice and video calls: placing, answering, hanging up; signalling only — media is the app's (spec/calls.md). */
  readonly calls: CallsApi;
  private readonly attachments: Attachments;
  private readonly ice: IceServerCache;
  /** Actions on a conversation, routed to a contact's or a group's (conversation-actions.ts). */
  private readonly actions: ConversationActions;

  private constructor({ options, deps, local, onTakenOver }: ClientSetup) {
    super();
    this.log = new Log(options.logger);
    const { connection, anonymous } = relayConnections(options, () => this.lifecycle);
    this.ctx = new ClientContext(
      deps,
      options.store,
      local,
      connection,
      () => this.lifecycle.startAnonymous(),
      (event, payload) => this.emit(event, payload),
      options.unsealedFallback ?? DEFAULT_UNSEALED_FALLBACK,
    );
    this.actions = new ConversationActions(this.ctx, () => this.assertOpen());
    const prekeys = new PreKeyMaintenance(this.ctx, this.log);
    this.identities = new IdentityRefresher(this.ctx, this.log, options.identityRecheck);
    this.groups = new GroupsApi(
      this.ctx,
      () => this.assertOpen(),
      (source, uploadOptions) => this.attachments.upload(source, uploadOptions),
    );
    this.calls = new CallsApi(this.ctx, () => this.assertOpen(), options.calls);
    this.attachments = new Attachments(
      this.ctx,
      { relayUrl: options.relayUrl, ...(options.fetch === undefined ? {} : { fetch: options.fetch }) },
      (conversationId, pointer, writes) => this.actions.sendPointer(conversationId, pointer, writes),
    );
    this.ice = new IceServerCache(
      () => fetchIceServers(this.ctx.connection),
      () => this.ctx.now(),
    );
    this.lifecycle = new ClientLifecycle(options, {
      ctx: this.ctx,
      anonymous,
      log: this.log,
      prekeys,
      identities: this.identities,
      calls: this.calls,
      iceServers: this.ice,
    });
    onTakenOver((error) => this.lifecycle.takenOver(error));
  }

  /** True when `store` holds an account (then use `open`; else `create` or the linking steps). */
  static async hasAccount(store: Store): Promise<boolean> {
    return setup.hasAccount(store);
  }

  /** Creates a new account and device in an empty store (`ERR_ACCOUNT_EXISTS` otherwise). Call `connect()` next. */
  static async create(options: ParleyClientOptions & { displayName: string }): Promise<ParleyClient> {
    return new ParleyClient(await setup.createAccount(options));
  }

  /** Opens the account and device kept in `store` (`ERR_NO_ACCOUNT` when it holds none: see `hasAccount`). */
  static async open(options: ParleyClientOptions): Promise<ParleyClient> {
    return new ParleyClient(await setup.openAccount(options));
  }

  /**
   * Restores an encrypted backup (`exportBackup`) into an EMPTY store as a new device of the
   * backed-up account (spec/backup.md): fresh device keys and prekeys certified by the account
   * key in the backup, published in a new device list next to the old device (remove that with
   * `removeDevice`); contacts, groups and history from the backup. No session is restored: new
   * ones are made on the first messages. Needs the relay (it reads the account's current device
   * list). ERR_BACKUP_PASSPHRASE, ERR_BACKUP_CORRUPT, ERR_BACKUP_ACCOUNT (a linked device's
   * backup), ERR_ACCOUNT_EXISTS; nothing is written on any error. Call `connect()` next.
   */
  static async restoreBackup(options: ParleyClientOptions, backup: Uint8Array, passphrase: string): Promise<ParleyClient> {
    const restored = await setup.restoreAccount(options, backup, passphrase);
    const client = new ParleyClient(restored.setup);
    await commitRestore(client.ctx, restored.prepared);
    return client;
  }

  /**
   * Device linking, step 1 — on the NEW device: creates this device's keys in `store` and returns
   * the request to hand to your primary device (show it as a QR code, or copy it), and the check
   * code to show: 40 digits that commit to this device's keys, which the user compares with (or
   * types into) the primary device before it approves.
   */
  static async requestLink(options: { store: Store; crypto?: CryptoProvider }): Promise<{ request: string; code: string }> {
    return setup.requestLink(options);
  }

  /**
   * Device linking, step 2 — on the PRIMARY device: prepares the approval of a request and returns
   * it pending, with the check code computed from the keys received. Nothing is certified or
   * published until the user has compared the codes and the app calls `confirm` (pass it the
   * code typed or scanned from the new device to have it checked); `confirm` resolves with the
   * approval to hand back to the new device.
   */
  async approveLink(request: string): Promise<PendingLinkApproval> {
    this.assertOpen();
    const parsed = decodeLinkRequest(request);
    const local = this.ctx.local;
    if (!local.account) throw new ParleyError(ErrorCode.IdentityMismatch, "only the primary device can link devices");
    return new PendingLinkApproval(parsed.deviceId, linkCode(this.ctx.deps, parsed), () => grantLink(this.ctx, parsed));
  }

  /** Device linking, step 3 — on the NEW device: takes the approval and opens as a client of the account. */
  static async completeLink(options: ParleyClientOptions, approval: string): Promise<ParleyClient> {
    return new ParleyClient(await setup.completeLink(options, approval));
  }

  /**
   * Removes a linked device from the account (primary device only): publishes a shorter signed
   * device list. The relay disconnects the device and drops its mailbox; contacts and our other
   * devices refuse its messages once they have seen the new list.
   */
  async removeDevice(deviceId: number): Promise<void> {
    await publishListWithout(this.ctx, deviceId);
  }

  /**
   * Replaces the account's delivery token (primary device only), e.g. when unwanted senders got
   * hold of it. The new token is set at the relay, sent to our other devices, and our profile
   * with it is sent again to every contact. Until a contact has the new profile, its sealed
   * sends to us are refused (see `unsealedFallback`).
   */
  async replaceDeliveryToken(): Promise<void> {
    await replaceAccountToken(this.ctx);
  }

  /**
   * Changes the account's display name (primary device only, else ERR_IDENTITY_MISMATCH): stored
   * without leading and trailing white space, then sent in our profile to our other devices and
   * to every contact (group members we have written to included), who show it from then on. An
   * empty or blank name is ERR_INVALID_DISPLAY_NAME; one above MAX_DISPLAY_NAME_BYTES (1,024)
   * UTF-8 bytes is ERR_LIMIT_EXCEEDED. A contact we cannot reach now gets it before our next
   * message to it. Emits `profile`.
   *
   * @example
   * ```ts
   * await client.setDisplayName("Alice Liddell");
   * client.displayName; // "Alice Liddell"
   * ```
   */
  async setDisplayName(name: string): Promise<void> {
    this.assertOpen();
    await changeDisplayName(this.ctx, name);
  }

  /**
   * Re-reads our account's signed device list from the relay (through our handle; no prekey is
   * spent), e.g. when a device screen opens on a linked device, which otherwise learns of
   * devices linked or removed elsewhere at its next login. A newer list is stored and `devices`
   * fires. Without a handle, or when the relay does not answer, nothing changes.
   */
  async refreshDevices(): Promise<void> {
    this.assertOpen();
    await refreshOwnList(this.ctx);
  }

  /** The account's devices, from the newest signed device list this device has (`devices` event on change). */
  get devices(): readonly number[] {
    return this.ctx.local.deviceIds;
  }

  /** This user's id (hex). */
  get userId(): string {
    return this.ctx.me;
  }

  /**
   * True on a device that holds the account key (the first device, or one restored from a
   * backup): only such a device can approve linking (`approveLink`) and remove devices.
   */
  get isPrimary(): boolean {
    return this.ctx.local.account !== undefined;
  }

  get deviceId(): number {
    return this.ctx.local.device.deviceId;
  }

  get handle(): string | undefined {
    return this.ctx.local.identity.handle;
  }

  get displayName(): string {
    return this.ctx.local.identity.displayName;
  }

  get connectionState(): ConnectionState {
    return this.ctx.connection.state;
  }

  /**
   * Connects and logs in; resolves once logged in and set up at the relay. Rejects with
   * `ERR_TIMEOUT` after `timeoutMs` (default `connectTimeoutMs`, 30 s), with the signal's reason
   * when `signal` aborts, with the login's error when the relay is refused (`ERR_RELAY_ID_MISMATCH`)
   * or refuses us (`ERR_RELAY`), and with `ERR_CLOSED` after `close()`. When it rejects, the
   * client stops trying until `connect()` is called again; once connected, it reconnects by
   * itself after drops.
   */
  async connect(options: ConnectOptions = {}): Promise<void> {
    await this.lifecycle.connect(options);
  }

  /**
   * Closes the connections and the store (unless `keepStoreOpen`); later calls reject with
   * `ERR_CLOSED`. Pending sends stay in the outbox for the next session. Closing twice is harmless.
   */
  async close(): Promise<void> {
    return this.lifecycle.close();
  }

  /**
   * Resolves when every queued send has reached the relay; while the relay is unreachable it
   * keeps waiting (the sends stay queued). Rejects with ERR_CLOSED when this client, or its relay
   * connection for good (another login replaced it, the device was removed), is closed.
   */
  async flush(): Promise<void> {
    await this.lifecycle.flush();
  }

  // ---- push and calls ------------------------------------------------------------------

  /**
   * The relay's Web Push identity: pass `applicationServerKey` to `PushManager.subscribe`.
   *
   * @example
   * const { applicationServerKey } = await client.pushConfig();
   * const sub = await registration.pushManager.subscribe({ userVisibleOnly: true, applicationServerKey });
   * await client.setPushSubscription(sub.toJSON() as WebPushSubscription);
   */
  async pushConfig(): Promise<PushConfig> {
    this.assertOpen();
    return fetchPushConfig(this.ctx.connection);
  }

  /**
   * Registers this device's Web Push subscription with the relay (replacing any earlier one), or
   * removes it with `null`. While the device is offline, the relay then sends a content-free
   * wake-up when mail arrives (no sender, no text). Throws TypeError/RangeError for a malformed
   * subscription; the relay refuses endpoints that are not https to a public host (ERR_RELAY,
   * reason BAD_REQUEST).
   */
  async setPushSubscription(subscription: WebPushSubscription | null): Promise<void> {
    this.assertOpen();
    await sendPushSubscription(this.ctx.connection, subscription);
  }

  /**
   * STUN/TURN servers for `new RTCPeerConnection({ iceServers })`, TURN with short-lived
   * credentials for this device (empty when the relay has none). The answer is cached: calls
   * before `refreshAt` (when a fifth of the credentials' lifetime is left, at least 60 s before
   * `expiresAt`, at most half-way) reuse it without asking the relay; later calls, and calls
   * after the client logged in again (a restarted relay may have a new TURN secret), fetch new
   * credentials. Call it for every new peer connection, and again at `refreshAt` to update
   * running ones (`pc.setConfiguration`), so credentials never expire under a call.
   */
  async iceServers(): Promise<IceServers> {
    this.assertOpen();
    return this.ice.get();
  }

  // ---- directory -----------------------------------------------------------------------

  /** Claims `handle` for this account (case-insensitive; the relay normalises it). */
  async claimHandle(handle: string): Promise<void> {
    this.assertOpen();
    await this.ctx.connection.request({ t: "claim_handle", handle });
    await this.ctx.store.batch([this.ctx.local.update({ handle: handle.toLowerCase() })]);
  }

  /**
   * Looks a handle up and adds (or refreshes) the contact. If the handle now belongs to another
   * account than the one pinned, the contact is marked changed and `identityChanged` fires.
   */
  async findContact(handle: string): Promise<Contact> {
    this.assertOpen();
    const answer = (await this.ctx.connection.request({ t: "lookup_handle", handle })) as HandleFrame;
    const contact = await learnHandle(this.ctx, handle.toLowerCase(), answer);
    this.identities.noteChecked(contact.id);
    return contact;
  }

  async contacts(): Promise<Contact[]> {
    this.assertOpen();
    return this.ctx.contacts();
  }

  async contact(contactId: string): Promise<Contact | undefined> {
    this.assertOpen();
    return this.ctx.contact(contactId);
  }

  /**
   * Conversations with their last message and unread count, most recent first: every group we
   * are or were in, and a contact's 1:1 conversation only when it is a real one — it has messages
   * (sent, received or a notice line), or the user started it by looking the contact up by handle
   * (`findContact`; `sendText` to a contact adds a message). A group member this account never
   * wrote with is a contact (`contacts()`: the group send needs its devices and keys) but has no
   * conversation here. Reads one summary record per conversation (kept up to date with every
   * message write), never a conversation's history.
   */
  async conversations(): Promise<ConversationSummary[]> {
    this.assertOpen();
    return listConversations(this.ctx, await this.groups.list());
  }

  /**
   * Messages of a conversation in arrival order: all of them, or a page. With `limit`, the newest
   * `limit` messages (at most `MAX_PAGE_LIMIT`, 1,000; RangeError above); with `before`, only the
   * messages that arrived before that message (RangeError if it is not in the conversation).
   * A page reads only the storage buckets it needs, not the whole history.
   *
   * @example
   * ```ts
   * const newest = await client.messages(id, { limit: 50 });
   * const older = await client.messages(id, { limit: 50, before: newest[0]?.id });
   * ```
   */
  async messages(contactId: string, options?: MessagePageOptions): Promise<ChatMessage[]> {
    this.assertOpen();
    return this.ctx.messages(contactId, options);
  }

  /** One message of a conversation by id (for a reply's quote or a jump to it), or undefined. */
  async message(conversationId: string, id: string): Promise<ChatMessage | undefined> {
    this.assertOpen();
    if (typeof id !== "string") throw new TypeError("id must be a message id");
    return (await this.ctx.message(conversationId, id))?.message;
  }

  // ---- sending -------------------------------------------------------------------------

  /**
   * Sends a text (a reply when `replyTo` names a message id). Resolves once queued durably. In a
   * group (`group:<id>`), `mentions` names members by user id (hex).
   */
  async sendText(contactId: string, text: string, options: { replyTo?: string; mentions?: readonly string[] } = {}): Promise<ChatMessage> {
    return this.actions.sendText(contactId, text, options);
  }

  /**
   * Sends a file (spec/attachments.md): encrypted in chunks with a fresh key, uploaded once to
   * the relay's blob store (resuming after dropped connections; see `pendingUploads`), then its
   * pointer is sent like a message. `source` is a path (Node), a Blob or File, a ReadableStream
   * or an async iterable (give `options.size` for the last two), or an attachment of a message
   * to forward without uploading again. Resolves with the message once queued.
   */
  async sendFile(contactId: string, source: FileSource | AttachmentInfo, options: SendFileOptions = {}): Promise<ChatMessage> {
    await this.actions.checkAttachable(contactId);
    return this.attachments.sendFile(contactId, source, options);
  }

  /**
   * Encrypts and uploads a file without sending it: resolves with its pointer, to send later
   * (`sendFile(conversationId, pointer)`) or to use as a group's picture. Not resumable.
   */
  async uploadFile(source: FileSource, options: Omit<SendFileOptions, "caption"> = {}): Promise<AttachmentPointer> {
    this.assertOpen();
    return this.attachments.upload(source, options);
  }

  /** Unfinished uploads (failed, aborted or cut by a restart); continue one with `resumeUpload`. */
  async pendingUploads(): Promise<UploadRecord[]> {
    this.assertOpen();
    return this.attachments.pendingUploads();
  }

  /** Continues an unfinished upload from where the relay got to, then sends its message. Pass the file again unless it was a path. */
  async resumeUpload(uploadId: string, source?: FileSource, options: Omit<SendFileOptions, "size"> = {}): Promise<ChatMessage> {
    this.assertOpen();
    return this.attachments.resumeUpload(uploadId, source, options);
  }

  /** Forgets an unfinished upload. */
  async discardUpload(uploadId: string): Promise<void> {
    this.assertOpen();
    await this.attachments.discardUpload(uploadId);
  }

  /**
   * An attachment's plaintext as a stream (also async-iterable), from a message or a pointer:
   * every piece comes from a verified chunk, the last only after the whole blob's digest
   * matched; a tampered or truncated blob errors the stream with ERR_ATTACHMENT_CORRUPT or
   * ERR_ATTACHMENT_TRUNCATED. A video can start playing before the end arrives.
   */
  openAttachment(source: ChatMessage | AttachmentInfo | AttachmentPointer, options: DownloadOptions = {}): AttachmentStream {
    this.assertOpen();
    return this.attachments.open(attachmentOf(source), options);
  }

  /** Downloads an attachment into `path` (Node); the file appears there only once fully verified. */
  async saveAttachment(
    source: ChatMessage | AttachmentInfo | AttachmentPointer,
    path: string,
    options: DownloadOptions = {},
  ): Promise<void> {
    this.assertOpen();
    await this.attachments.saveToFile(attachmentOf(source), path, options);
  }

  /** Adds (or with `remove`, removes) a reaction to a message. */
  async react(contactId: string, messageId: string, emoji: string, options: { remove?: boolean } = {}): Promise<void> {
    await this.actions.act(contactId, messageId, {
      kind: "reaction",
      target: hexToBytes(messageId),
      emoji,
      remove: options.remove ?? false,
    });
  }

  /** Edits one of our messages. */
  async edit(contactId: string, messageId: string, text: string): Promise<void> {
    await this.actions.act(contactId, messageId, { kind: "edit", target: hexToBytes(messageId), text }, true);
  }

  /** Deletes one of our messages for everyone (in a group, an admin may delete anyone's). */
  async deleteMessage(contactId: string, messageId: string): Promise<void> {
    await this.actions.act(contactId, messageId, { kind: "delete", target: hexToBytes(messageId) }, true);
  }

  /** Marks received messages read (all unread ones by default) and tells the sender, unless read receipts are off (`settings`). */
  async markRead(contactId: string, messageIds?: readonly string[]): Promise<void> {
    await this.actions.markRead(contactId, messageIds);
  }

  /** Tells the contact (or group) we are typing (or stopped), unless typing indicators are off (`settings`). Ephemeral: dropped if they are offline. */
  async setTyping(contactId: string, typing: boolean): Promise<void> {
    await this.actions.setTyping(contactId, typing);
  }

  /** Tells every contact (and only contacts) our presence, unless presence sharing is off (`settings`). Ephemeral. */
  async setPresence(presence: "offline" | "online" | "away"): Promise<void> {
    this.assertOpen();
    await sendPresence(this.ctx, presence);
  }

  // ---- privacy settings and backups ----------------------------------------------------

  /** The privacy settings: read receipts, typing indicators, presence (each on by default; persisted). */
  get settings(): PrivacySettings {
    return privacySettings(this.ctx.local);
  }

  /** Changes privacy settings (only the fields given); turning presence off sends one last "offline". Emits `settings`. */
  async updateSettings(patch: Partial<PrivacySettings>): Promise<PrivacySettings> {
    this.assertOpen();
    return updatePrivacySettings(this.ctx, patch);
  }

  // ---- verification --------------------------------------------------------------------

  /** The safety number to compare with the contact (in person, or by scanning its QR code). */
  async safetyNumber(contactId: string): Promise<SafetyNumber> {
    const contact = await this.requireContact(contactId);
    const me = { accountKey: this.ctx.local.accountPublicKey, userId: this.ctx.local.userId };
    return safetyNumber(this.ctx.deps, me, { accountKey: contact.accountKey, userId: contact.userId });
  }

  /** Marks the contact verified: after comparing digits, or by a scanned QR payload (then returns whether it matched). */
  async markVerified(contactId: string, scannedQr?: Uint8Array): Promise<boolean> {
    const contact = await this.requireContact(contactId);
    const ok = scannedQr ? compareSafetyQr(await this.safetyNumber(contactId), scannedQr) : true;
    if (ok) await saveContact(this.ctx, { ...contact, verified: true });
    return ok;
  }

  /** Accepts a contact's changed identity; sending is possible again (verification is reset). */
  async acceptIdentity(contactId: string): Promise<Contact> {
    return acceptIdentity(this.ctx, await this.requireContact(contactId));
  }

  /**
   * An encrypted backup of this account's profile, settings, contacts, groups and history
   * (spec/backup.md; attachments as pointers, not their blobs), sealed under a key derived from
   * `passphrase` (PBKDF2-HMAC-SHA256, 600 000 iterations). Never sessions or device keys. Made
   * on the primary device it can be restored (`ParleyClient.restoreBackup`); made on a linked
   * device it holds no account key and can only be imported (`importBackup`).
   */
  async exportBackup(passphrase: string): Promise<Uint8Array> {
    this.assertOpen();
    return exportBackup(this.ctx, passphrase);
  }

  /**
   * Merges a backup of this same account into this device: what is missing here is added, what
   * is here is kept. Emits `contact` for each contact added (read `conversations()` and
   * `groups.list()` again for the rest). ERR_BACKUP_ACCOUNT for another account's backup,
   * ERR_BACKUP_PASSPHRASE, ERR_BACKUP_CORRUPT; nothing is written on any error.
   */
  async importBackup(backup: Uint8Array, passphrase: string): Promise<BackupImportResult> {
    this.assertOpen();
    return importBackup(this.ctx, backup, passphrase);
  }

  // ---- internals -----------------------------------------------------------------------

  private assertOpen(): void {
    this.lifecycle.assertOpen();
  }

  private requireContact(contactId: string): Promise<Contact> {
    return this.actions.requireContact(contactId);
  }

  /** Every `error` event is also logged (code and message only). */
  protected override emit<K extends keyof ClientEvents>(event: K, payload: ClientEvents[K]): void {
    if (event === "error") this.log?.warn("error", errorFields(payload));
    super.emit(event, payload);
  }
}

function attachmentOf(source: ChatMessage | AttachmentInfo | AttachmentPointer): AttachmentInfo {
  if ("blobId" in source) return source;
  if (!source.attachment) throw new RangeError("this message has no attachment");
  return source.attachment;
}
