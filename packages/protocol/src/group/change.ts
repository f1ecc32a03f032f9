/**
 * The signed group change (spec/group-state.md §3): the version it makes, the hash of the state
 * it replaces, its author's user id and account key, its actions, and the author's Ed25519
 * signature by the account key. This file encodes, decodes, signs and checks the signature;
 * apply.ts decides whether the change is allowed.
 */

import { concatBytes, equalBytes } from "../crypto/bytes.js";
import type { KeyPair } from "../crypto/provider.js";
import type { Deps } from "../deps.js";
import { ByteReader } from "../encoding/reader.js";
import { ByteWriter } from "../encoding/writer.js";
import { ErrorCode, invalidEncoding, ParleyError } from "../errors.js";
import { type AccountKeys, deriveUserId, USER_ID_LENGTH } from "../keys/identity.js";
import { LABEL_GROUP_CHANGE, PROTOCOL_VERSION } from "../labels.js";
import { MAX_GROUP_ACTIONS, MAX_TEXT_BYTES } from "../limits.js";
import { type GroupAction, readGroupAction, writeGroupAction } from "./action.js";
import { GROUP_ID_LENGTH, GROUP_STATE_HASH_LENGTH } from "./state.js";

/** Largest encoded group change: it travels in one group change content (spec/content.md). */
export const MAX_GROUP_CHANGE_BYTES = MAX_TEXT_BYTES;

/** A decoded group change. The signature is checked by `applyChange`, not by decoding. */
export interface GroupChange {
  readonly groupId: Uint8Array;
  /** The version the change makes: the replaced state's version + 1 (0 for a create). */
  readonly version: number;
  /** SHA-256 of the encoded state it replaces; 32 zero bytes for a create. */
  readonly previousHash: Uint8Array;
  readonly authorUserId: Uint8Array;
  /** The author's account key; `authorUserId` must derive from it (VAL-113). */
  readonly authorAccountKey: Uint8Array;
  readonly actions: readonly GroupAction[];
  readonly signature: Uint8Array;
  /** The exact bytes this was decoded from (signed part ‖ signature). */
  readonly encoded: Uint8Array;
}

/** Who signs a change: a user id and its account key pair (an `AccountKeys` also works). */
export type GroupAuthor = { readonly userId: Uint8Array; readonly accountKeyPair: KeyPair } | AccountKeys;

/** The account key pair of an author given either way. */
export function authorKeyPair(author: GroupAuthor): KeyPair {
  return "accountKeyPair" in author ? author.accountKeyPair : author.signingKey;
}

/** The fields of a change before it is signed. */
export interface UnsignedGroupChange {
  readonly groupId: Uint8Array;
  readonly version: number;
  readonly previousHash: Uint8Array;
  readonly actions: readonly GroupAction[];
}

const signedMessage = (body: Uint8Array): Uint8Array => concatBytes(LABEL_GROUP_CHANGE, new Uint8Array([0]), body);

/**
 * Encodes and signs a change with the author's account key. Throws RangeError on malformed
 * arguments and ERR_LIMIT_EXCEEDED when the encoding exceeds MAX_GROUP_CHANGE_BYTES. It does
 * not check permissions: use `proposeChange`, which does.
 */
export function signGroupChange(deps: Deps, author: GroupAuthor, change: UnsignedGroupChange): Uint8Array {
  const keyPair = authorKeyPair(author);
  if (change.groupId.length !== GROUP_ID_LENGTH) throw new RangeError("group id must be 16 bytes");
  if (change.previousHash.length !== GROUP_STATE_HASH_LENGTH) throw new RangeError("previous hash must be 32 bytes");
  if (author.userId.length !== USER_ID_LENGTH) throw new RangeError("user id must be 16 bytes");
  if (change.actions.length === 0 || change.actions.length > MAX_GROUP_ACTIONS) {
    throw new RangeError(`a group change has 1 to ${MAX_GROUP_ACTIONS} actions`);
  }
  const w = new ByteWriter(256)
    .u8(PROTOCOL_VERSION)
    .bytes(change.groupId)
    .u32(change.version)
    .bytes(change.previousHash)
    .bytes(author.userId)
    .bytes(keyPair.publicKey)
    .u16(change.actions.length);
  for (const action of change.actions) writeGroupAction(w, action);
  const body = w.finish();
  if (body.length + 64 > MAX_GROUP_CHANGE_BYTES) {
    throw new ParleyError(ErrorCode.LimitExceeded, `group change is larger than ${MAX_GROUP_CHANGE_BYTES} bytes`);
  }
  return concatBytes(body, deps.crypto.ed25519Sign(keyPair, signedMessage(body)));
}

/** Encodes a change: its original bytes (a change is only ever made by `signGroupChange`). */
export function encodeGroupChange(change: GroupChange): Uint8Array {
  return change.encoded.slice();
}

/**
 * Decodes a change without checking its signature or whether it applies. Throws
 * ERR_INVALID_ENCODING or ERR_UNSUPPORTED_VERSION.
 */
export function decodeGroupChange(bytes: Uint8Array): GroupChange {
  if (bytes.length > MAX_GROUP_CHANGE_BYTES) throw invalidEncoding(`group change is longer than ${MAX_GROUP_CHANGE_BYTES} bytes`);
  const r = new ByteReader(bytes, "group change");
  r.version(PROTOCOL_VERSION);
  const groupId = r.bytes(GROUP_ID_LENGTH);
  const version = r.u32();
  const previousHash = r.bytes(GROUP_STATE_HASH_LENGTH);
  const authorUserId = r.bytes(USER_ID_LENGTH);
  const authorAccountKey = r.bytes(32);
  const count = r.u16();
  if (count === 0 || count > MAX_GROUP_ACTIONS) throw invalidEncoding("group change has a bad action count");
  const actions: GroupAction[] = [];
  for (let i = 0; i < count; i++) actions.push(readGroupAction(r));
  const signature = r.bytes(64);
  r.end();
  return { groupId, version, previousHash, authorUserId, authorAccountKey, actions, signature, encoded: bytes.slice() };
}

/**
 * VAL-113: the author's user id derives from the account key in the change, and the signature
 * verifies under that key. Throws ERR_INVALID_SIGNATURE.
 */
export function verifyGroupChangeSignature(deps: Deps, change: GroupChange): void {
  if (!equalBytes(deriveUserId(deps, change.authorAccountKey), change.authorUserId)) {
    throw new ParleyError(ErrorCode.InvalidSignature, "group change author's user id does not derive from its account key (VAL-113)");
  }
  const body = change.encoded.subarray(0, change.encoded.length - 64);
  if (!deps.crypto.ed25519Verify(change.authorAccountKey, signedMessage(body), change.signature)) {
    throw new ParleyError(ErrorCode.InvalidSignature, "group change signature does not verify (VAL-113)");
  }
}

/** `SHA-256(encoded change)`: identifies a change, and orders competing ones (spec §5). */
export function groupChangeHash(deps: Deps, change: GroupChange): Uint8Array {
  return deps.crypto.sha256(change.encoded);
}
