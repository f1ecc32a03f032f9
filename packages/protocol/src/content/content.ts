/**
 * Typed message content, the plaintext inside a session message (spec/content.md). Every
 * content has a kind, a 16-byte message id chosen by the sender, and the sender's timestamp;
 * the encoding is padded (padding.ts) before encryption.
 */

import { type AttachmentPointer, readAttachmentFields, writeAttachmentFields } from "../attachment/pointer.js";
import { ByteReader } from "../encoding/reader.js";
import { ByteWriter } from "../encoding/writer.js";
import { ErrorCode, invalidEncoding, ParleyError } from "../errors.js";
import { PROTOCOL_VERSION } from "../labels.js";
import {
  MAX_CONTENT_BYTES,
  MAX_MENTIONS,
  MAX_RECEIPT_IDS,
  MAX_SENDER_KEY_DISTRIBUTION_BYTES,
  MAX_SHORT_STRING_BYTES,
  MAX_TEXT_BYTES,
} from "../limits.js";
import { pad, paddedLength, unpad } from "./padding.js";

/** Length of a message id. */
export const MESSAGE_ID_LENGTH = 16;

/** Kind byte of each content type. */
export const ContentKind = {
  text: 1,
  reply: 2,
  reaction: 3,
  edit: 4,
  delete: 5,
  receipt: 6,
  typing: 7,
  presence: 8,
  attachment: 9,
  groupChange: 10,
  callSignal: 11,
  sessionReset: 12,
  profile: 13,
  sync: 14,
  senderKey: 15,
  group: 16,
  groupSnapshot: 17,
} as const;

/** Length of a delivery token (spec/relay.md §Delivery tokens). */
export const DELIVERY_TOKEN_LENGTH = 32;

export type ReceiptType = "delivered" | "read";
export type PresenceState = "offline" | "online" | "away";
/**
 * What a call signal says (spec/calls.md §4): SDP `offer`/`answer` (also renegotiation and mesh
 * legs), a batch of `ice` candidates, `hangup` (with a reason), `busy`, `ringing` (a callee device
 * rings), `decline`, and `join` (a group participant answered and tells the others).
 */
export type CallSignalType = "offer" | "answer" | "ice" | "hangup" | "busy" | "ringing" | "decline" | "join";

/** Body of each content kind. */
export type ContentBody =
  | { readonly kind: "text"; readonly text: string; readonly mentions?: readonly Uint8Array[] }
  | { readonly kind: "reply"; readonly target: Uint8Array; readonly text: string; readonly mentions?: readonly Uint8Array[] }
  | { readonly kind: "reaction"; readonly target: Uint8Array; readonly emoji: string; readonly remove: boolean }
  | { readonly kind: "edit"; readonly target: Uint8Array; readonly text: string }
  | { readonly kind: "delete"; readonly target: Uint8Array }
  | { readonly kind: "receipt"; readonly receipt: ReceiptType; readonly targets: readonly Uint8Array[] }
  | { readonly kind: "typing"; readonly typing: boolean }
  | { readonly kind: "presence"; readonly presence: PresenceState }
  | ({ readonly kind: "attachment" } & AttachmentPointer)
  | { readonly kind: "groupChange"; readonly groupId: Uint8Array; readonly change: Uint8Array }
  | { readonly kind: "callSignal"; readonly callId: Uint8Array; readonly signal: CallSignalType; readonly payload: string }
  | { readonly kind: "sessionReset" }
  | { readonly kind: "profile"; readonly displayName: string; readonly deliveryToken: Uint8Array }
  | { readonly kind: "sync"; readonly peer: Uint8Array; readonly peerAccountKey: Uint8Array; readonly content: Content }
  /** Our sender key for a group (spec/groups.md), sent pairwise to each member device. */
  | { readonly kind: "senderKey"; readonly groupId: Uint8Array; readonly distribution: Uint8Array }
  /** A content about a group sent pairwise (receipts to a group message's author): never a group, sync, senderKey or snapshot. */
  | { readonly kind: "group"; readonly groupId: Uint8Array; readonly content: Content }
  /**
   * A group for a new member: the change that added them and the encoded state that change
   * replaced (checked like any change). For a group's creation `state` is empty: the create
   * change carries the whole state.
   */
  | { readonly kind: "groupSnapshot"; readonly groupId: Uint8Array; readonly state: Uint8Array; readonly change: Uint8Array };

/** A decoded content: id and time plus one body. */
export type Content = ContentBody & { readonly id: Uint8Array; readonly sentAt: number };

/** Kinds that are never stored or queued (typing indicators and presence). */
export function isEphemeral(content: Pick<Content, "kind">): boolean {
  return content.kind === "typing" || content.kind === "presence";
}

const RECEIPTS: readonly ReceiptType[] = ["delivered", "read"];
const PRESENCE: readonly PresenceState[] = ["offline", "online", "away"];
const SIGNALS: readonly CallSignalType[] = ["offer", "answer", "ice", "hangup", "busy", "ringing", "decline", "join"];

function checkId(id: Uint8Array, name: string): void {
  if (!(id instanceof Uint8Array) || id.length !== MESSAGE_ID_LENGTH) throw new RangeError(`${name} must be ${MESSAGE_ID_LENGTH} bytes`);
}

function checkText(text: string, max: number, name: string): void {
  if (typeof text !== "string") throw new TypeError(`${name} must be a string`);
  if (new TextEncoder().encode(text).length > max) throw new ParleyError(ErrorCode.LimitExceeded, `${name} is longer than ${max} bytes`);
}

/** Encodes and pads a content. Throws RangeError/TypeError on bad arguments, ERR_LIMIT_EXCEEDED on oversize. */
export function encodeContent(content: Content): Uint8Array {
  return pad(encodeUnpadded(content, 0));
}

function encodeUnpadded(content: Content, depth: number): Uint8Array {
  checkId(content.id, "message id");
  const w = new ByteWriter().u8(PROTOCOL_VERSION).u8(ContentKind[content.kind]).bytes(content.id).u64(content.sentAt);
  switch (content.kind) {
    case "text":
      checkText(content.text, MAX_TEXT_BYTES, "text");
      w.string32(content.text);
      writeMentions(w, content.mentions);
      break;
    case "reply":
      checkId(content.target, "target");
      checkText(content.text, MAX_TEXT_BYTES, "text");
      w.bytes(content.target).string32(content.text);
      writeMentions(w, content.mentions);
      break;
    case "edit":
      checkId(content.target, "target");
      checkText(content.text, MAX_TEXT_BYTES, "text");
      w.bytes(content.target).string32(content.text);
      break;
    case "reaction":
      checkId(content.target, "target");
      checkText(content.emoji, MAX_SHORT_STRING_BYTES, "emoji");
      w.bytes(content.target)
        .u8(content.remove ? 1 : 0)
        .string16(content.emoji);
      break;
    case "delete":
      checkId(content.target, "target");
      w.bytes(content.target);
      break;
    case "receipt":
      if (content.targets.length < 1 || content.targets.length > MAX_RECEIPT_IDS) {
        throw new RangeError(`a receipt names 1 to ${MAX_RECEIPT_IDS} messages`);
      }
      w.u8(RECEIPTS.indexOf(content.receipt) + 1).u16(content.targets.length);
      for (const t of content.targets) {
        checkId(t, "target");
        w.bytes(t);
      }
      break;
    case "typing":
      w.u8(content.typing ? 1 : 0);
      break;
    case "presence":
      w.u8(PRESENCE.indexOf(content.presence));
      break;
    case "attachment":
      writeAttachmentFields(w, content);
      break;
    case "groupChange":
      checkId(content.groupId, "group id");
      if (content.change.length > MAX_TEXT_BYTES) throw new ParleyError(ErrorCode.LimitExceeded, "group change is too large");
      w.bytes(content.groupId).bytes32(content.change);
      break;
    case "callSignal":
      checkId(content.callId, "call id");
      checkText(content.payload, MAX_TEXT_BYTES, "call payload");
      w.bytes(content.callId)
        .u8(SIGNALS.indexOf(content.signal) + 1)
        .string32(content.payload);
      break;
    case "sessionReset":
      break;
    case "sync":
      if (depth > 0) throw new RangeError("a sync content cannot contain another sync content");
      checkId(content.peer, "peer user id");
      if (content.peerAccountKey.length !== 32) throw new RangeError("peer account key must be 32 bytes");
      w.bytes(content.peer)
        .bytes(content.peerAccountKey)
        .bytes32(encodeUnpadded(content.content, depth + 1));
      break;
    case "profile":
      checkText(content.displayName, MAX_SHORT_STRING_BYTES, "display name");
      if (content.deliveryToken.length !== DELIVERY_TOKEN_LENGTH)
        throw new RangeError(`delivery token must be ${DELIVERY_TOKEN_LENGTH} bytes`);
      w.string16(content.displayName).bytes(content.deliveryToken);
      break;
    case "senderKey":
      checkId(content.groupId, "group id");
      if (content.distribution.length < 1 || content.distribution.length > MAX_SENDER_KEY_DISTRIBUTION_BYTES)
        throw new RangeError(`a sender key distribution is 1 to ${MAX_SENDER_KEY_DISTRIBUTION_BYTES} bytes`);
      w.bytes(content.groupId).bytes16(content.distribution);
      break;
    case "group":
      if (depth > 0) throw new RangeError("a group content cannot be nested");
      checkId(content.groupId, "group id");
      if (!GROUP_WRAPPED.has(content.content.kind)) throw new RangeError(`a ${content.content.kind} content cannot be wrapped for a group`);
      w.bytes(content.groupId).bytes32(encodeUnpadded(content.content, depth + 1));
      break;
    case "groupSnapshot":
      checkId(content.groupId, "group id");
      if (content.state.length > MAX_TEXT_BYTES || content.change.length > MAX_TEXT_BYTES)
        throw new ParleyError(ErrorCode.LimitExceeded, "group snapshot is too large");
      if (content.change.length === 0) throw new RangeError("a group snapshot carries a change");
      w.bytes(content.groupId).bytes32(content.state).bytes32(content.change);
      break;
  }
  const encoded = w.finish();
  if (encoded.length > MAX_CONTENT_BYTES) throw new ParleyError(ErrorCode.LimitExceeded, "content is too large");
  return encoded;
}

/** Largest padded content a decoder accepts. */
export const MAX_PADDED_CONTENT_BYTES = paddedLength(MAX_CONTENT_BYTES);

/** Strips padding and decodes a content. Throws ERR_INVALID_ENCODING / ERR_UNSUPPORTED_VERSION. */
export function decodeContent(padded: Uint8Array): Content {
  if (padded.length > MAX_PADDED_CONTENT_BYTES) throw invalidEncoding("content is too large");
  return decodeUnpadded(unpad(padded), 0);
}

function decodeUnpadded(bytes: Uint8Array, depth: number): Content {
  const r = new ByteReader(bytes, "content");
  r.version(PROTOCOL_VERSION);
  const code = r.u8();
  const id = r.bytes(MESSAGE_ID_LENGTH);
  const sentAt = r.u64();
  const body = decodeBody(r, code, depth);
  r.end();
  return { ...body, id, sentAt } as Content;
}

function decodeBody(r: ByteReader, code: number, depth: number): ContentBody {
  switch (code) {
    case ContentKind.text:
      return withMentions({ kind: "text", text: r.string32(MAX_TEXT_BYTES) }, r);
    case ContentKind.reply:
      return withMentions({ kind: "reply", target: r.bytes(MESSAGE_ID_LENGTH), text: r.string32(MAX_TEXT_BYTES) }, r);
    case ContentKind.reaction: {
      const target = r.bytes(MESSAGE_ID_LENGTH);
      const remove = flag(r.u8());
      return { kind: "reaction", target, remove, emoji: r.string16(MAX_SHORT_STRING_BYTES) };
    }
    case ContentKind.edit:
      return { kind: "edit", target: r.bytes(MESSAGE_ID_LENGTH), text: r.string32(MAX_TEXT_BYTES) };
    case ContentKind.delete:
      return { kind: "delete", target: r.bytes(MESSAGE_ID_LENGTH) };
    case ContentKind.receipt: {
      const receipt = RECEIPTS[r.u8() - 1];
      const count = r.u16();
      if (!receipt || count < 1 || count > MAX_RECEIPT_IDS) throw invalidEncoding("receipt is malformed");
      const targets: Uint8Array[] = [];
      for (let i = 0; i < count; i++) targets.push(r.bytes(MESSAGE_ID_LENGTH));
      return { kind: "receipt", receipt, targets };
    }
    case ContentKind.typing:
      return { kind: "typing", typing: flag(r.u8()) };
    case ContentKind.presence: {
      const presence = PRESENCE[r.u8()];
      if (!presence) throw invalidEncoding("presence state is unknown");
      return { kind: "presence", presence };
    }
    case ContentKind.attachment:
      // The attachment body is the content's last field: its optional block runs to the end.
      return { kind: "attachment", ...readAttachmentFields(r) };
    case ContentKind.groupChange:
      return { kind: "groupChange", groupId: r.bytes(MESSAGE_ID_LENGTH), change: r.bytes32(MAX_TEXT_BYTES) };
    case ContentKind.callSignal: {
      const callId = r.bytes(MESSAGE_ID_LENGTH);
      const signal = SIGNALS[r.u8() - 1];
      if (!signal) throw invalidEncoding("call signal type is unknown");
      return { kind: "callSignal", callId, signal, payload: r.string32(MAX_TEXT_BYTES) };
    }
    case ContentKind.sessionReset:
      return { kind: "sessionReset" };
    case ContentKind.sync: {
      if (depth > 0) throw invalidEncoding("sync content nested in sync content");
      const peer = r.bytes(MESSAGE_ID_LENGTH);
      const peerAccountKey = r.bytes(32);
      return { kind: "sync", peer, peerAccountKey, content: decodeUnpadded(r.bytes32(MAX_CONTENT_BYTES), depth + 1) };
    }
    case ContentKind.profile:
      return { kind: "profile", displayName: r.string16(MAX_SHORT_STRING_BYTES), deliveryToken: r.bytes(DELIVERY_TOKEN_LENGTH) };
    case ContentKind.senderKey:
      return {
        kind: "senderKey",
        groupId: r.bytes(MESSAGE_ID_LENGTH),
        distribution: nonEmpty(r.bytes16(MAX_SENDER_KEY_DISTRIBUTION_BYTES)),
      };
    case ContentKind.group: {
      if (depth > 0) throw invalidEncoding("group content nested in another content");
      const groupId = r.bytes(MESSAGE_ID_LENGTH);
      const content = decodeUnpadded(r.bytes32(MAX_CONTENT_BYTES), depth + 1);
      if (!GROUP_WRAPPED.has(content.kind)) throw invalidEncoding(`a ${content.kind} content cannot be wrapped for a group`);
      return { kind: "group", groupId, content };
    }
    case ContentKind.groupSnapshot: {
      const groupId = r.bytes(MESSAGE_ID_LENGTH);
      const state = r.bytes32(MAX_TEXT_BYTES);
      const change = nonEmpty(r.bytes32(MAX_TEXT_BYTES));
      return { kind: "groupSnapshot", groupId, state, change };
    }
    default:
      throw invalidEncoding(`content kind ${code} is unknown`);
  }
}

/** Kinds a `group` content may wrap (sent pairwise about a group). */
const GROUP_WRAPPED: ReadonlySet<string> = new Set(["receipt"]);

/** Mentions trail a text or reply only when there are some: `u16 count (1…MAX_MENTIONS) ‖ count × bytes[16]`. */
function writeMentions(w: ByteWriter, mentions: readonly Uint8Array[] | undefined): void {
  if (mentions === undefined || mentions.length === 0) return;
  if (mentions.length > MAX_MENTIONS) throw new RangeError(`a message mentions at most ${MAX_MENTIONS} users`);
  w.u16(mentions.length);
  for (const m of mentions) {
    checkId(m, "mentioned user id");
    w.bytes(m);
  }
}

function withMentions<T extends ContentBody>(body: T, r: ByteReader): T {
  if (r.remaining === 0) return body;
  const count = r.u16();
  if (count < 1 || count > MAX_MENTIONS) throw invalidEncoding("mention count is out of range");
  const mentions: Uint8Array[] = [];
  for (let i = 0; i < count; i++) mentions.push(r.bytes(MESSAGE_ID_LENGTH));
  return { ...body, mentions };
}

function nonEmpty(bytes: Uint8Array): Uint8Array {
  if (bytes.length === 0) throw invalidEncoding("a required field is empty");
  return bytes;
}

function flag(value: number): boolean {
  if (value > 1) throw invalidEncoding("flag byte is neither 0 nor 1");
  return value === 1;
}
