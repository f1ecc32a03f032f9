/**
 * ParleyClient: the SDK apps embed. It owns one device of one account, keeps a connection to a
 * relay, and offers chat as a user sees it — contacts, conversations, messages with replies,
 * reactions, edits and deletes, receipts, typing and presence, safety numbers — with everything
 * end-to-end encrypted and persisted through a `Store`. The terminal and web clients are views
 * over this class; no protocol logic lives in them.
 */

import { bytesToHex as hex, hexToBytes } from "../crypto/bytes.js";
import type { CryptoProvider } from "../crypto/provider.js";
import { loadCryptoProvider } from "../crypto/select.js";
import type { Deps } from "../deps.js";
import { StaticAgreementCache } from "../envelope/agreement-cache.js";
import { ErrorCode, ParleyError } from "../errors.js";
import { verifyDeviceList } from "../keys/device-list.js";
import { deriveUserId } from "../keys/identity.js";
import { compareSafetyQr, type SafetyNumber, safetyNumber } from "../safety-number.js";
import { signAuthChallenge } from "../wire/auth.js";
import type { ChallengeFrame, HandleFrame } from "../wire/frames.js";
import type { BackoffOptions } from "./backoff.js";
import { ClientContext } from "./context.js";
import { applyDelete, applyEdit, applyReaction, type ChatMessage } from "./conversation.js";
import { type ClientEvents, Emitter } from "./events.js";
import { receiveEphemeral, receiveMessage, sendReceipt, topUpPreKeys } from "./incoming.js";
import { type LinkApproval, type LinkRequest, LocalDevice, type PendingLink } from "./local-device.js";
import { flushOutbox, newContent, outboxEmpty, sendContent } from "./outgoing.js";
import { type Contact, decodeRecord, encodeRecord, NS } from "./records.js";
import { type ConnectionState, type PushedFrame, RelayConnection, type Request } from "./relay-connection.js";
import type { Store } from "./store/store.js";
import { type TransportFactory, webSocketTransport } from "./transport.js";

export interface ParleyClientOptions {
  /** The relay's WebSocket URL, e.g. `wss://relay.example` or `ws://localhost:8787`. */
  readonly relayUrl: string;
  /** Where everything is persisted (MemoryStore, FileStore, IndexedDbStore or your own). */
  readonly store: Store;
  /** Defaults to the fastest available (`loadCryptoProvider()`). */
  readonly crypto?: CryptoProvider;
  /** Defaults to the global WebSocket; in Node pass `nodeTransport` from `@parley/protocol/node`. */
  readonly transport?: TransportFactory;
  /**
   * The relay id (public origin) the relay's challenge must name, e.g. `https://relay.example`.
   * When set, a relay naming another id is refused: it could be relaying another relay's
   * challenge to log in there as this device. Unset, the client signs whatever id the relay
   * names (still bound to this connection's nonce).
   */
  readonly relayId?: string;
  readonly requestTimeoutMs?: number;
  readonly backoff?: BackoffOptions;
  /** Clock override (tests). */
  readonly now?: () => number;
}

/** A conversation summary for a list view. */
export interface ConversationSummary {
  readonly contact: Contact;
  readonly lastMessage: ChatMessage | undefined;
  readonly unread: number;
}

/** Things a user can send to a contact. */
export class ParleyClient extends Emitter<ClientEvents> {
  private readonly ctx: ClientContext;
  private readonly anonymousConnection: RelayConnection;
  private receiving: Promise<void> = Promise.resolve();
  private readyWaiters: Array<() => void> = [];
  private closed = false;

  private constructor(options: ParleyClientOptions, deps: Deps, local: LocalDevice) {
    super();
    const transport = options.transport ?? webSocketTransport();
    const relayId = options.relayId;
    const common = {
      url: options.relayUrl,
      transport,
      ...optional("requestTimeoutMs", options.requestTimeoutMs),
      ...optional("backoff", options.backoff),
    };
    const connection = new RelayConnection({
      ...common,
      login: (challenge) => this.login(challenge, relayId),
      onPush: (frame) => this.onPush(frame),
      onState: (state, detail) => this.onState(state, detail),
    });
    this.anonymousConnection = new RelayConnection({ ...common });
    this.ctx = new ClientContext(
      deps,
      options.store,
      local,
      connection,
      () => this.startAnonymous(),
      (event, payload) => this.emit(event, payload),
    );
  }

  /** Creates a new account and device in an empty store. Call `connect()` next. */
  static async create(options: ParleyClientOptions & { displayName: string }): Promise<ParleyClient> {
    const deps = await depsFor(options);
    if (await LocalDevice.load(deps.crypto, options.store))
      throw new TypeError("this store already holds an account: use ParleyClient.open");
    const { device, writes } = LocalDevice.create(deps, options.displayName);
    await options.store.batch(writes);
    const client = new ParleyClient(options, deps, device);
    return client;
  }

  /** Opens the account and device kept in `store`. */
  static async open(options: ParleyClientOptions): Promise<ParleyClient> {
    const deps = await depsFor(options);
    const device = await LocalDevice.load(deps.crypto, options.store);
    if (!device) throw new TypeError("this store holds no account: use ParleyClient.create");
    const client = new ParleyClient(options, deps, device);
    return client;
  }

  /**
   * Device linking, step 1 — on the NEW device: creates this device's keys in `store` and returns
   * the request to hand to your primary device (copy it, or show it as a QR code), and a code
   * both devices display so you can check nothing was swapped on the way.
   */
  static async requestLink(options: { store: Store; crypto?: CryptoProvider }): Promise<{ request: string; code: string }> {
    const deps = await depsFor(options as ParleyClientOptions);
    if (await LocalDevice.load(deps.crypto, options.store)) throw new TypeError("this store already holds an account");
    const { pending, request } = LocalDevice.pendingLink(deps);
    await options.store.batch([{ namespace: NS.identity, key: "pending-link", value: encodeRecord(pending) }]);
    const bytes = encodeRecord(request);
    return { request: toBase64Url(bytes), code: linkCode(deps, bytes) };
  }

  /**
   * Device linking, step 2 — on the PRIMARY device (connected): certifies the new device, publishes
   * the account's new device list, and returns the approval to hand back, with the same check code.
   */
  async approveLink(request: string): Promise<{ approval: string; code: string }> {
    const bytes = fromBase64Url(request);
    const parsed = decodeRecord<LinkRequest>(bytes);
    if (
      !(parsed.signingKey instanceof Uint8Array) ||
      parsed.signingKey.length !== 32 ||
      !(parsed.identityKey instanceof Uint8Array) ||
      parsed.identityKey.length !== 32
    ) {
      throw new ParleyError(ErrorCode.InvalidEncoding, "invalid encoding: not a link request");
    }
    const { approval, writes } = this.ctx.local.approveLink(this.ctx.deps, parsed);
    await this.ctx.connection.request({ t: "publish_devices", deviceList: approval.deviceList });
    await this.ctx.store.batch(writes);
    return { approval: toBase64Url(encodeRecord(approval)), code: linkCode(this.ctx.deps, bytes) };
  }

  /** Device linking, step 3 — on the NEW device: takes the approval and opens as a client of the account. */
  static async completeLink(options: ParleyClientOptions, approval: string): Promise<ParleyClient> {
    const deps = await depsFor(options);
    const raw = await options.store.get(NS.identity, "pending-link");
    if (!raw) throw new TypeError("no link was requested with this store: call ParleyClient.requestLink first");
    const { device, writes } = LocalDevice.completeLink(
      deps,
      decodeRecord<PendingLink>(raw),
      decodeRecord<LinkApproval>(fromBase64Url(approval)),
    );
    await options.store.batch([...writes, device.update({}), { namespace: NS.identity, key: "pending-link", value: undefined }]);
    const client = new ParleyClient(options, deps, device);
    return client;
  }

  /** This user's id (hex). */
  get userId(): string {
    return this.ctx.me;
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

  /** Connects (and keeps reconnecting); resolves once logged in and set up at the relay. */
  async connect(): Promise<void> {
    if (this.closed) throw new ParleyError(ErrorCode.Closed, "client is closed");
    const ready = new Promise<void>((resolve) => this.readyWaiters.push(resolve));
    this.ctx.connection.start();
    await ready;
  }

  /** Closes the connections. Pending sends stay in the outbox for the next session. */
  async close(): Promise<void> {
    this.closed = true;
    this.ctx.closed = true;
    this.ctx.connection.close();
    this.anonymousConnection.close();
    await this.receiving.catch(() => undefined);
    await this.ctx.settle();
  }

  /** Resolves when every queued send has reached the relay. */
  async flush(): Promise<void> {
    while (!(await outboxEmpty(this.ctx))) await flushOutbox(this.ctx);
  }

  // ---- directory -----------------------------------------------------------------------

  /** Claims `handle` for this account (case-insensitive; the relay normalises it). */
  async claimHandle(handle: string): Promise<void> {
    await this.ctx.connection.request({ t: "claim_handle", handle });
    await this.ctx.store.batch([this.ctx.local.update({ handle: handle.toLowerCase() })]);
  }

  /**
   * Looks a handle up and adds (or refreshes) the contact. If the handle now belongs to another
   * account than the one pinned, the contact is marked changed and `identityChanged` fires.
   */
  async findContact(handle: string): Promise<Contact> {
    const answer = (await this.ctx.connection.request({ t: "lookup_handle", handle })) as HandleFrame;
    return this.learnHandle(handle.toLowerCase(), answer);
  }

  async contacts(): Promise<Contact[]> {
    return this.ctx.contacts();
  }

  async contact(contactId: string): Promise<Contact | undefined> {
    return this.ctx.contact(contactId);
  }

  /** Conversations with their last message and unread count, most recent first. */
  async conversations(): Promise<ConversationSummary[]> {
    const out: ConversationSummary[] = [];
    for (const contact of await this.ctx.contacts()) {
      const messages = await this.ctx.messages(contact.id);
      out.push({
        contact,
        lastMessage: messages.at(-1),
        unread: messages.filter((m) => !m.outgoing && m.status === "received" && m.kind !== "notice").length,
      });
    }
    return out.sort((a, b) => (b.lastMessage?.receivedAt ?? 0) - (a.lastMessage?.receivedAt ?? 0));
  }

  /** Messages of a conversation in arrival order. */
  async messages(contactId: string): Promise<ChatMessage[]> {
    return this.ctx.messages(contactId);
  }

  // ---- sending -------------------------------------------------------------------------

  /** Sends a text (a reply when `replyTo` names a message id). Resolves once queued durably. */
  async sendText(contactId: string, text: string, options: { replyTo?: string } = {}): Promise<ChatMessage> {
    const contact = await this.requireContact(contactId);
    const content = options.replyTo
      ? newContent(this.ctx, { kind: "reply", target: hexToBytes(options.replyTo), text })
      : newContent(this.ctx, { kind: "text", text });
    const message: ChatMessage = {
      id: hex(content.id),
      contactId: contact.id,
      sender: this.ctx.me,
      senderDevice: this.deviceId,
      outgoing: true,
      kind: "text",
      text,
      ...(options.replyTo ? { replyTo: options.replyTo } : {}),
      sentAt: content.sentAt,
      receivedAt: this.ctx.arrivalTime(),
      deleted: false,
      reactions: {},
      status: "pending",
    };
    await sendContent(this.ctx, contact, content, {
      messageRef: { contactId: contact.id, id: message.id },
      writes: this.ctx.newMessageWrites(message),
    });
    this.emit("message", message);
    return message;
  }

  /** Adds (or with `remove`, removes) a reaction to a message. */
  async react(contactId: string, messageId: string, emoji: string, options: { remove?: boolean } = {}): Promise<void> {
    await this.act(contactId, messageId, { kind: "reaction", target: hexToBytes(messageId), emoji, remove: options.remove ?? false });
  }

  /** Edits one of our messages. */
  async edit(contactId: string, messageId: string, text: string): Promise<void> {
    await this.act(contactId, messageId, { kind: "edit", target: hexToBytes(messageId), text }, true);
  }

  /** Deletes one of our messages for everyone. */
  async deleteMessage(contactId: string, messageId: string): Promise<void> {
    await this.act(contactId, messageId, { kind: "delete", target: hexToBytes(messageId) }, true);
  }

  /** Marks received messages read (all unread ones by default) and tells the sender. */
  async markRead(contactId: string, messageIds?: readonly string[]): Promise<void> {
    const contact = await this.requireContact(contactId);
    const wanted = messageIds ? new Set(messageIds) : undefined;
    const read: ChatMessage[] = [];
    const writes = [];
    for (const message of await this.ctx.messages(contact.id)) {
      if (message.outgoing || message.status !== "received" || message.kind === "notice" || (wanted && !wanted.has(message.id))) continue;
      const found = await this.ctx.message(contact.id, message.id);
      if (!found) continue;
      const next = { ...message, status: "read" as const };
      writes.push(this.ctx.updateMessageWrite(found.key, next));
      read.push(next);
    }
    if (read.length === 0) return;
    await this.ctx.store.batch(writes);
    for (const m of read) this.emit("messageUpdated", m);
    for (let i = 0; i < read.length; i += 512) {
      await sendReceipt(
        this.ctx,
        contact.id,
        "read",
        read.slice(i, i + 512).map((m) => hexToBytes(m.id)),
      );
    }
  }

  /** Tells the contact we are typing (or stopped). Ephemeral: dropped if they are offline. */
  async setTyping(contactId: string, typing: boolean): Promise<void> {
    const contact = await this.requireContact(contactId);
    if (contact.pendingIdentity) return;
    await sendContent(this.ctx, contact, newContent(this.ctx, { kind: "typing", typing }), { ephemeral: true });
  }

  /** Tells every contact (and only contacts) our presence. Ephemeral. */
  async setPresence(presence: "offline" | "online" | "away"): Promise<void> {
    for (const contact of await this.ctx.contacts()) {
      if (contact.pendingIdentity || contact.deviceIds.length === 0) continue;
      await sendContent(this.ctx, contact, newContent(this.ctx, { kind: "presence", presence }), { ephemeral: true }).catch((e) =>
        this.emit("error", e),
      );
    }
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
    if (ok) await this.saveContact({ ...contact, verified: true });
    return ok;
  }

  /** Accepts a contact's changed identity; sending is possible again (verification is reset). */
  async acceptIdentity(contactId: string): Promise<Contact> {
    const contact = await this.requireContact(contactId);
    const pending = contact.pendingIdentity;
    if (!pending) return contact;
    const list = verifyDeviceList(this.ctx.deps, pending.deviceList, pending.accountKey);
    const { pendingIdentity: _accepted, deliveryToken: _old, ...rest } = contact;
    const next: Contact = {
      ...rest,
      userId: pending.userId,
      accountKey: pending.accountKey,
      deviceIds: list.deviceIds,
      deviceListSequence: list.sequence,
      verified: false,
      profileSent: false,
    };
    await this.saveContact(next);
    return next;
  }

  // ---- internals -----------------------------------------------------------------------

  private async act(contactId: string, messageId: string, body: Parameters<typeof newContent>[1], ownOnly = false): Promise<void> {
    const contact = await this.requireContact(contactId);
    const found = await this.ctx.message(contact.id, messageId);
    if (!found) throw new RangeError("no such message in this conversation");
    if (ownOnly && !found.message.outgoing) throw new RangeError("only your own messages can be edited or deleted");
    const content = newContent(this.ctx, body);
    // Apply locally the way the peer will, so both sides agree.
    const me = this.ctx.me;
    const next =
      content.kind === "edit"
        ? applyEdit(found.message, me, content.text, content.sentAt)
        : content.kind === "delete"
          ? applyDelete(found.message, me)
          : content.kind === "reaction"
            ? applyReaction(found.message, me, content.emoji, content.remove)
            : found.message;
    await sendContent(this.ctx, contact, content, { writes: [this.ctx.updateMessageWrite(found.key, next)] });
    if (next !== found.message) this.emit("messageUpdated", next);
  }

  private async requireContact(contactId: string): Promise<Contact> {
    const contact = await this.ctx.contact(contactId);
    if (!contact) throw new ParleyError(ErrorCode.UnknownContact, "no such contact");
    return contact;
  }

  private async saveContact(contact: Contact): Promise<void> {
    await this.ctx.store.batch(this.ctx.contactWrites(contact));
    this.emit("contact", contact);
  }

  /** Applies a handle lookup to the contact that has it (`known`, or found by handle or user id). */
  private async learnHandle(handle: string, answer: HandleFrame, known?: Contact): Promise<Contact> {
    const list = verifyDeviceList(this.ctx.deps, answer.deviceList, answer.accountKey);
    if (hex(deriveUserId(this.ctx.deps, answer.accountKey)) !== hex(answer.userId)) {
      throw new ParleyError(ErrorCode.IdentityMismatch, "the relay's answer does not match its account key");
    }
    const existing =
      known ?? (await this.ctx.contacts()).find((c) => c.handle === handle) ?? (await this.ctx.contactByUser(hex(answer.userId)));
    if (!existing) {
      const contact: Contact = {
        id: `@${handle}`,
        userId: answer.userId,
        accountKey: answer.accountKey,
        handle,
        deviceIds: list.deviceIds,
        deviceListSequence: list.sequence,
        verified: false,
        profileSent: false,
      };
      await this.saveContact(contact);
      return contact;
    }
    if (hex(existing.accountKey) !== hex(answer.accountKey)) {
      if (existing.pendingIdentity && hex(existing.pendingIdentity.accountKey) === hex(answer.accountKey)) return existing;
      const changed: Contact = {
        ...existing,
        pendingIdentity: { userId: answer.userId, accountKey: answer.accountKey, deviceList: answer.deviceList },
      };
      await this.ctx.store.batch(this.ctx.contactWrites(changed));
      this.emit("identityChanged", changed);
      return changed;
    }
    if (list.sequence < existing.deviceListSequence) return existing; // A replayed older list: keep ours.
    const updated: Contact = { ...existing, handle, deviceIds: list.deviceIds, deviceListSequence: list.sequence };
    await this.saveContact(updated);
    return updated;
  }

  /** Re-reads every contact's handle: new devices become known, and a re-pointed handle is caught. */
  private async refreshContacts(): Promise<void> {
    for (const contact of await this.ctx.contacts()) {
      if (!contact.handle) continue;
      try {
        const answer = (await this.ctx.connection.request({ t: "lookup_handle", handle: contact.handle })) as HandleFrame;
        await this.learnHandle(contact.handle, answer, contact);
      } catch (error) {
        // A released handle or a relay hiccup: keep what we know.
        if (!ParleyError.is(error, ErrorCode.Relay) && !ParleyError.is(error, ErrorCode.Timeout)) throw error;
      }
    }
  }

  private login(challenge: ChallengeFrame, relayId: string | undefined): Request {
    if (relayId !== undefined && challenge.relayId !== relayId) {
      throw new ParleyError(ErrorCode.IdentityMismatch, `relay names itself ${challenge.relayId}, expected ${relayId}`);
    }
    const local = this.ctx.local;
    const signature = signAuthChallenge(this.ctx.deps, local.device, challenge.nonce, challenge.relayId);
    // Until the relay has accepted this device once, log in by registering (the relay accepts
    // the same certificate and device list again, so a crash before we noted it is harmless).
    if (!local.identity.registered) {
      return { t: "register", certificate: local.identity.certificate, deviceList: local.identity.deviceList, signature };
    }
    return { t: "auth", userId: local.userId, deviceId: local.device.deviceId, signature };
  }

  private onState(state: ConnectionState, detail?: { code?: number; reason?: string }): void {
    this.emit("connection", { state, ...detail });
    if (state === "ready") this.ctx.spawn(() => this.afterLogin());
  }

  /** First login: publish prekeys and the delivery token. Every login: flush the outbox. */
  private async afterLogin(): Promise<void> {
    try {
      const local = this.ctx.local;
      if (!local.identity.registered) {
        await this.ctx.store.batch([local.update({ registered: true })]);
        await this.ctx.connection.request({ t: "upload_prekeys", ...local.fullUpload() });
        const tokenHash = this.ctx.deps.crypto.sha256(local.identity.deliveryToken);
        await this.ctx.connection.request({ t: "set_delivery_token", tokenHash, open: false });
      }
      this.ctx.spawn(() => this.refreshContacts());
      for (const resolve of this.readyWaiters.splice(0)) resolve();
      this.ctx.spawn(() => flushOutbox(this.ctx));
    } catch (error) {
      this.emit("error", error instanceof Error ? error : new Error(String(error)));
    }
  }

  private onPush(frame: PushedFrame): void {
    const run = async () => {
      switch (frame.t) {
        case "message":
          await receiveMessage(this.ctx, frame);
          break;
        case "ephemeral":
          await receiveEphemeral(this.ctx, frame.envelope);
          break;
        case "queue_empty":
          this.emit("synced", undefined);
          break;
        case "expired":
          this.emit(
            "error",
            new ParleyError(ErrorCode.LimitExceeded, `${frame.count} messages expired at the relay before this device collected them`, {
              reason: "EXPIRED",
            }),
          );
          break;
        case "prekeys_low":
          await topUpPreKeys(this.ctx);
          break;
      }
    };
    // One at a time, in arrival order: the relay delivers a mailbox in order and we keep it.
    if (this.closed) return;
    this.receiving = this.receiving.then(run).catch((error) => {
      if (!this.closed) this.emit("error", error instanceof Error ? error : new Error(String(error)));
    });
  }

  private startAnonymous(): RelayConnection {
    this.anonymousConnection.start();
    return this.anonymousConnection;
  }
}

async function depsFor(options: ParleyClientOptions): Promise<Deps> {
  const crypto = options.crypto ?? (await loadCryptoProvider());
  // One static–static agreement per peer identity key, remembered for sealed envelopes.
  return { crypto, agreements: new StaticAgreementCache(), ...(options.now ? { now: options.now } : {}) };
}

function optional<K extends string, V>(key: K, value: V | undefined): { [P in K]?: V } {
  return value === undefined ? {} : ({ [key]: value } as { [P in K]?: V });
}

/** Six digits both devices show during linking, from SHA-256 of the request. */
function linkCode(deps: Deps, request: Uint8Array): string {
  const hash = deps.crypto.sha256(request);
  const value = (((hash[0] ?? 0) << 16) | ((hash[1] ?? 0) << 8) | (hash[2] ?? 0)) % 1_000_000;
  return String(value).padStart(6, "0");
}

function toBase64Url(bytes: Uint8Array): string {
  let binary = "";
  for (const b of bytes) binary += String.fromCharCode(b);
  return btoa(binary).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
}

function fromBase64Url(text: string): Uint8Array {
  if (!/^[A-Za-z0-9_-]*$/.test(text.trim())) throw new ParleyError(ErrorCode.InvalidEncoding, "invalid encoding: not base64url");
  const binary = atob(text.trim().replace(/-/g, "+").replace(/_/g, "/"));
  return Uint8Array.from(binary, (c) => c.charCodeAt(0));
}
