/**
 * Wire form of a group message (spec/groups.md §5): header (version, type, group id, key id,
 * iteration, nonce), AEAD ciphertext, and the sender's Ed25519 signature over everything
 * before it. Parsing does no cryptography.
 */

import { ByteReader } from "../encoding/reader.js";
import { ByteWriter } from "../encoding/writer.js";
import { invalidEncoding } from "../errors.js";
import { PROTOCOL_VERSION } from "../labels.js";
import { MAX_CHAIN_INDEX } from "../limits.js";
import { MESSAGE_NONCE_LENGTH, TAG_LENGTH } from "../ratchet/message.js";
import { GroupMessageType } from "./sender-key-state.js";
import { GROUP_ID_LENGTH } from "./state.js";

/** Length of a group id (the group state's). */
export { GROUP_ID_LENGTH };
/** Ed25519 signature length. */
export const SIGNATURE_LENGTH = 64;
/** Header: version, type, group id, key id, iteration, nonce. */
export const GROUP_HEADER_LENGTH = 1 + 1 + GROUP_ID_LENGTH + 4 + 4 + MESSAGE_NONCE_LENGTH;
/** Bytes a group message adds to its plaintext: header, AEAD tag and signature. */
export const GROUP_MESSAGE_OVERHEAD = GROUP_HEADER_LENGTH + TAG_LENGTH + SIGNATURE_LENGTH;

/** What a group message's header says, readable before any cryptography (to pick the sender key). */
export interface GroupMessageHeader {
  readonly groupId: Uint8Array;
  readonly keyId: number;
  readonly iteration: number;
}

/** A parsed group message. */
export interface GroupMessage extends GroupMessageHeader {
  readonly nonce: Uint8Array;
  /** The first GROUP_HEADER_LENGTH bytes: the AEAD's associated data. */
  readonly header: Uint8Array;
  readonly ciphertext: Uint8Array;
  /** Everything before the signature: what the signature covers (after the label). */
  readonly signed: Uint8Array;
  readonly signature: Uint8Array;
}

/** Encodes a group message header. */
export function encodeGroupHeader(groupId: Uint8Array, keyId: number, iteration: number, nonce: Uint8Array): Uint8Array {
  if (groupId.length !== GROUP_ID_LENGTH) throw new RangeError(`group id must be ${GROUP_ID_LENGTH} bytes`);
  if (nonce.length !== MESSAGE_NONCE_LENGTH) throw new RangeError(`message nonce must be ${MESSAGE_NONCE_LENGTH} bytes`);
  return new ByteWriter(GROUP_HEADER_LENGTH)
    .u8(PROTOCOL_VERSION)
    .u8(GroupMessageType.Message)
    .bytes(groupId)
    .u32(keyId)
    .u32(iteration)
    .bytes(nonce)
    .finish();
}

/** Parses a group message (VAL-081): version, type, and room for a tag and a signature. */
export function decodeGroupMessage(bytes: Uint8Array): GroupMessage {
  const r = new ByteReader(bytes, "group message");
  r.version(PROTOCOL_VERSION);
  if (r.u8() !== GroupMessageType.Message) throw invalidEncoding("not a group message");
  const groupId = r.bytes(GROUP_ID_LENGTH);
  const keyId = r.u32();
  const iteration = r.u32();
  // No honest sender uses a message number past the chain's last (groupEncrypt refuses it).
  if (iteration > MAX_CHAIN_INDEX) throw invalidEncoding("group message has an iteration past the last");
  const nonce = r.bytes(MESSAGE_NONCE_LENGTH);
  if (r.remaining < TAG_LENGTH + SIGNATURE_LENGTH) throw invalidEncoding("group message is shorter than its tag and signature");
  const ciphertext = r.bytes(r.remaining - SIGNATURE_LENGTH);
  const signature = r.bytes(SIGNATURE_LENGTH);
  r.end();
  return {
    groupId,
    keyId,
    iteration,
    nonce,
    header: bytes.slice(0, GROUP_HEADER_LENGTH),
    ciphertext,
    signed: bytes.slice(0, bytes.length - SIGNATURE_LENGTH),
    signature,
  };
}

/**
 * The group id, key id and iteration of a group message, with no cryptography: a receiver uses
 * them to find the sender key (or to hold the message until its distribution arrives). Nothing
 * here is authenticated until `groupDecrypt` succeeds. Throws like `decodeGroupMessage`.
 */
export function parseGroupMessageHeader(message: Uint8Array): GroupMessageHeader {
  const { groupId, keyId, iteration } = decodeGroupMessage(message);
  return { groupId, keyId, iteration };
}
