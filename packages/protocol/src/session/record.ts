/**
 * All sessions with one remote device (spec/ratchet.md §Session records): the current one,
 * used for sending, and up to MAX_ARCHIVED_SESSIONS older ones still tried for messages in
 * flight. This is where prekey messages set up sessions, replays are recognised, and
 * simultaneous initiation is resolved.
 */

import { equalBytes } from "../crypto/bytes.js";
import type { Deps } from "../deps.js";
import { ErrorCode, ParleyError } from "../errors.js";
import { initiatorSession, type ResponderPreKeys, responderSession } from "../handshake/pqxdh.js";
import { type BundleExpectation, type PreKeyBundle, verifyBundle } from "../keys/bundle.js";
import { type DeviceKeys, type VerifiedDevice, verifyDeviceCertificate } from "../keys/device-certificate.js";
import type { Address } from "../keys/identity.js";
import type { KemPreKeySecret, PreKeySecret } from "../keys/prekeys.js";
import { MAX_ARCHIVED_SESSIONS, MAX_RATCHET_STEP_TRIALS } from "../limits.js";
import { decodePreKeyMessage, decodeRatchetMessage, encodePreKeyMessage, MessageType, peekMessageType } from "../ratchet/message.js";
import { ratchetDecrypt, ratchetEncrypt } from "../ratchet/ratchet.js";
import type { SessionState } from "../ratchet/session-state.js";
import { Redacted, toHex } from "../secrets.js";

/** Sessions with one remote device. Immutable; operations return a new record. */
export class SessionRecord extends Redacted {
  constructor(
    readonly current: SessionState | undefined,
    readonly archived: readonly SessionState[] = [],
  ) {
    super();
    Object.freeze(this);
  }

  /** An empty record. */
  static empty(): SessionRecord {
    return new SessionRecord(undefined, []);
  }

  /** The identity key of the device the current session talks to. */
  get remoteIdentityKey(): Uint8Array | undefined {
    return this.current?.remoteIdentityKey;
  }

  /** Makes `session` current, archiving the previous current one. */
  promote(session: SessionState): SessionRecord {
    const others = [this.current, ...this.archived].filter(
      (s): s is SessionState => s !== undefined && !equalBytes(s.baseKey, session.baseKey),
    );
    return new SessionRecord(session, others.slice(0, MAX_ARCHIVED_SESSIONS));
  }

  /** Keeps the current session and adds `session` to the archive (newest first). */
  archive(session: SessionState): SessionRecord {
    return new SessionRecord(this.current, [session, ...this.archived].slice(0, MAX_ARCHIVED_SESSIONS));
  }

  /** Replaces a stored session (matched by base key) without changing its position. */
  replace(session: SessionState): SessionRecord {
    if (this.current && equalBytes(this.current.baseKey, session.baseKey)) return new SessionRecord(session, this.archived);
    return new SessionRecord(
      this.current,
      this.archived.map((s) => (equalBytes(s.baseKey, session.baseKey) ? session : s)),
    );
  }

  /** Forgets the current session, keeping it archived, so the next send must set up a new one. */
  archiveCurrent(): SessionRecord {
    return this.current ? new SessionRecord(undefined, [this.current, ...this.archived].slice(0, MAX_ARCHIVED_SESSIONS)) : this;
  }

  protected publicFacts(): Record<string, unknown> {
    return {
      current: this.current ? toHex(this.current.baseKey) : null,
      archived: this.archived.length,
    };
  }
}

/** Sets up a new session from a prekey bundle and makes it current. */
export function initiateSession(
  deps: Deps,
  local: DeviceKeys,
  record: SessionRecord | undefined,
  bundle: PreKeyBundle,
  expected?: BundleExpectation,
): { record: SessionRecord; remote: VerifiedDevice } {
  const verified = verifyBundle(deps, bundle, expected);
  const session = initiatorSession(deps, local, verified);
  return { record: (record ?? SessionRecord.empty()).promote(session), remote: verified.device };
}

/** Encrypts with the current session. A prekey message while the session is unacknowledged. */
export function encryptMessage(deps: Deps, record: SessionRecord, plaintext: Uint8Array): { record: SessionRecord; message: Uint8Array } {
  const session = record.current;
  if (!session) throw new ParleyError(ErrorCode.NoSession, "no session with this device");
  const { state, message } = ratchetEncrypt(deps, session, plaintext);
  const pending = state.pendingPreKey;
  const wire = pending
    ? encodePreKeyMessage({
        senderCertificate: pending.senderCertificate,
        signedPreKeyId: pending.signedPreKeyId,
        oneTimePreKeyId: pending.oneTimePreKeyId,
        kemPreKeyId: pending.kemPreKeyId,
        baseKey: state.baseKey,
        kemCiphertext: pending.kemCiphertext,
        message,
      })
    : message;
  return { record: record.replace(state), message: wire };
}

/** Read access to this device's private prekeys, by id. */
export interface PreKeyLookup {
  signedPreKey(id: number): PreKeySecret | undefined;
  oneTimePreKey(id: number): PreKeySecret | undefined;
  kemPreKey(id: number): KemPreKeySecret | undefined;
}

/** What decrypting a message produced. */
export interface DecryptResult {
  readonly record: SessionRecord;
  readonly plaintext: Uint8Array;
  /** The sender's verified certificate when the message was a prekey message. */
  readonly senderCertificate?: VerifiedDevice | undefined;
  /** True when the message set up a new session. */
  readonly newSession: boolean;
  /** Prekeys the caller must now delete: the one-time X25519 and one-time ML-KEM prekeys used. */
  readonly consumedPreKeys: { readonly oneTimePreKeyId?: number; readonly kemPreKeyId?: number };
  /** Base key of the session that decrypted the message. */
  readonly baseKey: Uint8Array;
  /** Skipped message keys this message evicted (VAL-021): those messages are lost for good. */
  readonly lostMessages: number;
}

/**
 * Decrypts a ratchet or prekey message from one remote device. `record` is that device's
 * record (undefined if none). On any error the caller's record and prekeys are untouched.
 */
export function decryptMessage(
  deps: Deps,
  local: DeviceKeys,
  record: SessionRecord | undefined,
  message: Uint8Array,
  preKeys: PreKeyLookup,
): DecryptResult {
  const type = peekMessageType(message);
  const existing = record ?? SessionRecord.empty();
  if (type === MessageType.Ratchet) return decryptWithExisting(deps, existing, message);
  if (type === MessageType.PreKey) return decryptPreKeyMessage(deps, local, existing, message, preKeys);
  throw new ParleyError(ErrorCode.InvalidEncoding, "invalid encoding: not a session message");
}

/** True when `session` has a receiving chain (current, retired or with skipped keys) for `ratchetKey`. */
function knowsChain(session: SessionState, ratchetKey: Uint8Array): boolean {
  return (
    (session.receivingRatchetKey !== undefined && equalBytes(session.receivingRatchetKey, ratchetKey)) ||
    session.retiredChains.some((c) => equalBytes(c.ratchetKey, ratchetKey)) ||
    session.skippedKeys.some((k) => equalBytes(k.ratchetKey, ratchetKey))
  );
}

/**
 * Trial decryption (spec/ratchet.md §7). Ratchet keys are fresh per session, so a message on a
 * chain some session knows is tried on that session only (the first, newest first, that knows it). A new ratchet key needs a DH step per
 * try: the current session, then the newest archived ones, at most MAX_RATCHET_STEP_TRIALS.
 * Success on an archived session promotes it.
 */
function decryptWithExisting(deps: Deps, record: SessionRecord, bytes: Uint8Array): DecryptResult {
  const all = [record.current, ...record.archived].filter((s): s is SessionState => s !== undefined);
  if (all.length === 0) throw new ParleyError(ErrorCode.NoSession, "no session with this device");
  const message = decodeRatchetMessage(bytes);
  // The first session that knows the chain is the only one that can (ratchet keys are fresh per
  // session); the common case stops at the current session's receiving key.
  const owner = all.find((s) => knowsChain(s, message.ratchetKey));
  const candidates = owner ? [owner] : all.slice(0, MAX_RATCHET_STEP_TRIALS);
  let firstError: unknown;
  for (const session of candidates) {
    try {
      const { state, plaintext, lost } = ratchetDecrypt(deps, session, message);
      // The common case, the current session, keeps the archive as it is (no rebuild per message).
      const next = session === record.current ? new SessionRecord(state, record.archived) : record.promote(state);
      return { record: next, plaintext, newSession: false, consumedPreKeys: {}, baseKey: state.baseKey, lostMessages: lost };
    } catch (error) {
      if (!ParleyError.is(error)) throw error;
      // A duplicate on any session is a definite answer: stop trying further sessions.
      if (error.code === ErrorCode.DuplicateMessage || error.code === ErrorCode.InvalidEncoding) throw error;
      firstError ??= error;
    }
  }
  throw firstError;
}

function decryptPreKeyMessage(
  deps: Deps,
  local: DeviceKeys,
  record: SessionRecord,
  bytes: Uint8Array,
  preKeys: PreKeyLookup,
): DecryptResult {
  const message = decodePreKeyMessage(bytes);
  const sender = verifyDeviceCertificate(deps, message.senderCertificate);

  // A later (or replayed) message of a handshake this record already accepted.
  const known = [record.current, ...record.archived].find(
    (s) => s !== undefined && equalBytes(s.baseKey, message.baseKey) && equalBytes(s.remoteIdentityKey, sender.identityKey),
  );
  if (known) {
    const { state, plaintext, lost } = ratchetDecrypt(deps, known, message.message);
    return {
      record: record.replace(state),
      plaintext,
      senderCertificate: sender,
      newSession: false,
      consumedPreKeys: {},
      baseKey: state.baseKey,
      lostMessages: lost,
    };
  }

  const keys = lookupPreKeys(preKeys, message.signedPreKeyId, message.oneTimePreKeyId, message.kemPreKeyId);
  const fresh = responderSession(deps, local, sender, message.baseKey, message.kemCiphertext, keys);
  const { state, plaintext, lost } = ratchetDecrypt(deps, fresh, message.message);

  // Simultaneous initiation (VAL-030): if we also started a session that the peer has not yet
  // acknowledged, both sides keep the one started by the lower address, so they converge.
  const current = record.current;
  const keepOurs =
    current?.unacknowledged === true &&
    equalBytes(current.remoteIdentityKey, sender.identityKey) &&
    compareAddresses(local.address, sender.address) < 0;
  const consumedPreKeys: { oneTimePreKeyId?: number; kemPreKeyId?: number } = {};
  if (keys.oneTimePreKey) consumedPreKeys.oneTimePreKeyId = keys.oneTimePreKey.id;
  if (keys.kemPreKey.kind === "one-time") consumedPreKeys.kemPreKeyId = keys.kemPreKey.id;
  return {
    record: keepOurs ? record.archive(state) : record.promote(state),
    plaintext,
    senderCertificate: sender,
    newSession: true,
    consumedPreKeys,
    baseKey: state.baseKey,
    lostMessages: lost,
  };
}

function lookupPreKeys(preKeys: PreKeyLookup, signedId: number, oneTimeId: number, kemId: number): ResponderPreKeys {
  const signedPreKey = preKeys.signedPreKey(signedId);
  const kemPreKey = preKeys.kemPreKey(kemId);
  const oneTimePreKey = oneTimeId === 0 ? undefined : preKeys.oneTimePreKey(oneTimeId);
  if (!signedPreKey || !kemPreKey || (oneTimeId !== 0 && !oneTimePreKey)) {
    throw new ParleyError(ErrorCode.PreKeyNotFound, "prekey message names a prekey this device does not have");
  }
  return { signedPreKey, oneTimePreKey, kemPreKey };
}

/** Orders addresses by user id bytes, then device id. */
export function compareAddresses(a: Address, b: Address): number {
  for (let i = 0; i < a.userId.length; i++) {
    const d = (a.userId[i] ?? 0) - (b.userId[i] ?? 0);
    if (d !== 0) return d;
  }
  return a.deviceId - b.deviceId;
}
