/**
 * What the client persists, and how: plain objects encoded with msgpack (no extensions, so
 * any msgpack library reads them), in the namespaces listed here. Secret-holding records are
 * only ever written through a `Store`; the encrypted file store keeps them encrypted at rest.
 */

import { Packr } from "msgpackr";
import { ErrorCode, ParleyError } from "../errors.js";
import type { PrivacySettings } from "./settings.js";

const packr = new Packr({ useRecords: false, mapsAsObjects: true, variableMapSize: true });

/** Encodes a record for the store. */
export function encodeRecord(value: unknown): Uint8Array {
  return packr.pack(value);
}

/** Decodes a record; a corrupt one is ERR_INVALID_STATE. Buffers come back as plain Uint8Array. */
export function decodeRecord<T>(bytes: Uint8Array): T {
  try {
    return normalise(packr.unpack(bytes)) as T;
  } catch (error) {
    throw new ParleyError(ErrorCode.InvalidState, "stored client record is corrupt", { cause: error });
  }
}

function normalise(value: unknown): unknown {
  if (value instanceof Uint8Array) return value.constructor === Uint8Array ? value : new Uint8Array(value);
  if (Array.isArray(value)) return value.map(normalise);
  if (value && typeof value === "object") {
    for (const [k, v] of Object.entries(value)) (value as Record<string, unknown>)[k] = normalise(v);
  }
  return value;
}

/** Store namespaces used by the client. */
export const NS = {
  /** "self": the local identity. */
  identity: "identity",
  /** "s:<id>", "o:<id>", "k:<id>": signed, one-time and ML-KEM prekeys. */
  preKeys: "prekeys",
  /** addressKey → encoded SessionRecord. */
  sessions: "sessions",
  /** contactId → Contact. */
  contacts: "contacts",
  /** userId hex → contactId. */
  contactByUser: "contact-by-user",
  /** "<contactId>/<receivedAt, 15 digits>-<id hex>" → ChatMessage. */
  messages: "messages",
  /** "<contactId>/<message id hex>" → messages key. */
  messageIndex: "message-index",
  /** "<seq>" → OutboxEntry. */
  outbox: "outbox",
  /** "<sender userId hex>/<content id hex>" → receive time: de-duplication of contents. */
  seen: "seen",
} as const;

/** The local account and device as stored. */
export interface IdentityRecord {
  /** The account's Ed25519 seed: only on the primary device, which certifies the others. */
  readonly accountSeed?: Uint8Array;
  readonly accountPublicKey: Uint8Array;
  readonly deviceId: number;
  readonly signingSeed: Uint8Array;
  readonly identityPrivateKey: Uint8Array;
  readonly identityPublicKey: Uint8Array;
  readonly certificate: Uint8Array;
  readonly deviceList: Uint8Array;
  readonly deviceListSequence: number;
  readonly deliveryToken: Uint8Array;
  readonly displayName: string;
  readonly handle?: string;
  readonly registered: boolean;
  readonly nextPreKeyId: number;
  readonly nextKemPreKeyId: number;
  readonly signedPreKeyId: number;
  /** The user's privacy settings (settings.ts); absent: every default. */
  readonly privacy?: PrivacySettings;
}

/** A contact: one user, pinned to an account key. */
export interface Contact {
  /** Local, opaque and stable: `@handle` or the first user id seen (hex). */
  readonly id: string;
  readonly userId: Uint8Array;
  readonly accountKey: Uint8Array;
  readonly handle?: string;
  readonly displayName?: string;
  readonly deviceIds: readonly number[];
  readonly deviceListSequence: number;
  /** Set when the user compared safety numbers and confirmed them. */
  readonly verified: boolean;
  /** A different account now answers for this contact (handle re-pointed): sending is blocked until accepted. */
  readonly pendingIdentity?: { readonly userId: Uint8Array; readonly accountKey: Uint8Array; readonly deviceList: Uint8Array };
  readonly deliveryToken?: Uint8Array;
  /** Whether our profile (display name, delivery token) has been sent to this contact. */
  readonly profileSent: boolean;
  readonly presence?: "offline" | "online" | "away";
  /** Our clock when the contact was last seen online or away, or when it went offline (written at most once a minute per repeat). */
  readonly lastSeen?: number;
}

/** One queued relay send: the envelopes for one user's devices. */
export interface OutboxEntry {
  readonly key: string;
  readonly userId: Uint8Array;
  /** Send over the anonymous connection with this delivery token; otherwise authenticated. */
  readonly token?: Uint8Array;
  readonly messages: readonly { readonly deviceId: number; readonly messageId: Uint8Array; readonly envelope: Uint8Array }[];
  /** The conversation message this delivers, to mark it sent. */
  readonly messageRef?: { readonly contactId: string; readonly id: string };
  readonly createdAt: number;
  /** A group message: one `multi_send` (then `userId` is ours and `messages` is empty). */
  readonly multi?: MultiSendRecord;
}

/** A queued `multi_send`: the payload once, a header per recipient device (client/groups/delivery.ts). */
export interface MultiSendRecord {
  /** The group the message is for (absent in entries queued before it was recorded). */
  readonly groupId?: Uint8Array;
  readonly payload: Uint8Array;
  readonly recipients: readonly MultiSendRecipient[];
}

/** One recipient user of a queued `multi_send`. */
export interface MultiSendRecipient {
  readonly userId: Uint8Array;
  readonly token?: Uint8Array;
  readonly devices: readonly { readonly deviceId: number; readonly header: Uint8Array; readonly messageId: Uint8Array }[];
  /** A second try with a newer token after the relay refused the first: not retried again. */
  readonly resent?: boolean;
}
