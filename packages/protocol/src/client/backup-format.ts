/**
 * The encrypted backup's container and payload (spec/backup.md): a fixed header naming the
 * format version and the passphrase KDF (PBKDF2-HMAC-SHA256 with its iteration count and salt),
 * a passphrase check value, and the msgpack payload sealed with ChaCha20-Poly1305 under a key
 * derived from the passphrase, the header being the associated data. Pure functions of their
 * inputs, apart from `backupMasterKey` (WebCrypto's PBKDF2 when present, for speed).
 *
 * The payload holds the account (its signing seed only from the primary device), the profile,
 * settings, contacts, group states and the conversation history; never sessions, prekeys, sender
 * keys or device private keys: a restored device makes all of those afresh.
 */

import { bytesToHex as hex } from "../crypto/bytes.js";
import type { CryptoProvider } from "../crypto/provider.js";
import { ErrorCode, ParleyError } from "../errors.js";
import { deriveUserId } from "../keys/identity.js";
import type { ChatMessage } from "./conversation.js";
import type { GroupRecord } from "./groups/records.js";
import type { Contact } from "./records.js";
import { decodeRecord, encodeRecord } from "./records.js";
import type { PrivacySettings } from "./settings.js";

/** The first 8 bytes of every backup: ASCII "PARLEYBK". */
export const BACKUP_MAGIC = new TextEncoder().encode("PARLEYBK");
/** The container version this implementation writes and reads. */
export const BACKUP_VERSION = 1;
/** KDF identifier: PBKDF2-HMAC-SHA256 (RFC 8018). */
export const BACKUP_KDF_PBKDF2_SHA256 = 1;
/**
 * PBKDF2 iterations written by default, and the least accepted: 600 000, the OWASP Password
 * Storage Cheat Sheet's figure for PBKDF2-HMAC-SHA256 (2023). About 0.2–0.4 s with WebCrypto on
 * a laptop or phone: paid once per export or restore, and by an attacker once per guess.
 */
export const BACKUP_KDF_ITERATIONS = 600_000;
/** Most iterations accepted: bounds the work a crafted backup can ask of a restore (tens of seconds at worst). */
export const MAX_BACKUP_KDF_ITERATIONS = 10_000_000;
/** Header: magic 8, version 1, kdf 1, iterations 4, salt 16, check 32, nonce 12. */
export const BACKUP_HEADER_BYTES = 74;
const SALT_BYTES = 16;
const CHECK_BYTES = 32;
const NONCE_BYTES = 12;
const TAG_BYTES = 16;
const LABEL_KEY = new TextEncoder().encode("Parley/v1/backup key");
const LABEL_CHECK = new TextEncoder().encode("Parley/v1/backup check");

/** The payload's format version. */
export const BACKUP_PAYLOAD_VERSION = 1;

/** The account as a backup carries it. */
export interface BackupAccount {
  readonly userId: Uint8Array;
  readonly accountPublicKey: Uint8Array;
  /** The account's Ed25519 seed: present only in a backup made on the primary device. */
  readonly accountSeed?: Uint8Array;
  readonly deliveryToken: Uint8Array;
  /** The newest signed device list the exporting device had, and its sequence. */
  readonly deviceList: Uint8Array;
  readonly deviceListSequence: number;
  /** The device that made the backup. */
  readonly deviceId: number;
  readonly displayName: string;
  readonly handle?: string;
}

/** One conversation's history. */
export interface BackupConversation {
  readonly id: string;
  readonly messages: readonly ChatMessage[];
}

/** What a backup holds once decrypted. */
export interface BackupPayload {
  readonly v: number;
  /** The exporting device's clock. */
  readonly createdAt: number;
  readonly account: BackupAccount;
  readonly settings: PrivacySettings;
  readonly contacts: readonly Contact[];
  readonly groups: readonly GroupRecord[];
  readonly conversations: readonly BackupConversation[];
}

/** The parsed header. `bytes` is the header as it appears in the backup (the AEAD's associated data). */
export interface BackupHeader {
  readonly version: number;
  readonly kdf: number;
  readonly iterations: number;
  readonly salt: Uint8Array;
  readonly check: Uint8Array;
  readonly nonce: Uint8Array;
  readonly bytes: Uint8Array;
}

/** Test-only knobs. Apps never set these: the defaults are the format's rules. */
export interface BackupCodecOptions {
  /** Iterations to write (default BACKUP_KDF_ITERATIONS). */
  readonly iterations?: number;
  /** Least iterations to accept (default BACKUP_KDF_ITERATIONS); tests lower it to run fast. */
  readonly minIterations?: number;
  /** Salt and nonce source (default the provider's randomBytes); the vector generator seeds it. */
  readonly random?: (n: number) => Uint8Array;
}

const corrupt = (what: string, reason?: string) =>
  new ParleyError(ErrorCode.BackupCorrupt, `not a valid backup: ${what}`, reason ? { reason } : undefined);

/** Parses and checks the header (rules BAK-1…BAK-5); ERR_BACKUP_CORRUPT otherwise. Derives nothing. */
export function parseBackupHeader(bytes: Uint8Array, options: BackupCodecOptions = {}): BackupHeader {
  if (!(bytes instanceof Uint8Array) || bytes.length < BACKUP_HEADER_BYTES + TAG_BYTES) throw corrupt("too short");
  if (BACKUP_MAGIC.some((b, i) => bytes[i] !== b)) throw corrupt("no backup magic");
  const version = bytes[8] as number;
  if (version !== BACKUP_VERSION) throw corrupt(`version ${version}`, "UNSUPPORTED_VERSION");
  const kdf = bytes[9] as number;
  if (kdf !== BACKUP_KDF_PBKDF2_SHA256) throw corrupt(`key derivation ${kdf}`, "UNSUPPORTED_KDF");
  const iterations = new DataView(bytes.buffer, bytes.byteOffset + 10, 4).getUint32(0);
  const min = options.minIterations ?? BACKUP_KDF_ITERATIONS;
  if (iterations < min || iterations > MAX_BACKUP_KDF_ITERATIONS) throw corrupt(`${iterations} key derivation iterations`, "KDF_COST");
  const salt = bytes.slice(14, 14 + SALT_BYTES);
  const check = bytes.slice(30, 30 + CHECK_BYTES);
  const nonce = bytes.slice(62, 62 + NONCE_BYTES);
  return { version, kdf, iterations, salt, check, nonce, bytes: bytes.slice(0, BACKUP_HEADER_BYTES) };
}

function encodeHeader(iterations: number, salt: Uint8Array, check: Uint8Array, nonce: Uint8Array): Uint8Array {
  const out = new Uint8Array(BACKUP_HEADER_BYTES);
  out.set(BACKUP_MAGIC, 0);
  out[8] = BACKUP_VERSION;
  out[9] = BACKUP_KDF_PBKDF2_SHA256;
  new DataView(out.buffer).setUint32(10, iterations);
  out.set(salt, 14);
  out.set(check, 30);
  out.set(nonce, 62);
  return out;
}

/** The passphrase as PBKDF2's password: Unicode NFC, UTF-8. */
export function passphraseBytes(passphrase: string): Uint8Array {
  if (typeof passphrase !== "string" || passphrase.length === 0) throw new RangeError("a backup passphrase must be a non-empty string");
  return new TextEncoder().encode(passphrase.normalize("NFC"));
}

/** PBKDF2-HMAC-SHA256 (RFC 8018 §5.2) over the provider's HMAC: the portable, synchronous form of `backupMasterKey`. */
export function pbkdf2Sha256(
  crypto: CryptoProvider,
  password: Uint8Array,
  salt: Uint8Array,
  iterations: number,
  length: number,
): Uint8Array {
  const out = new Uint8Array(length);
  for (let block = 1, at = 0; at < length; block++, at += 32) {
    const first = new Uint8Array(salt.length + 4);
    first.set(salt);
    new DataView(first.buffer).setUint32(salt.length, block);
    let u = crypto.hmacSha256(password, first);
    const t = u.slice();
    for (let i = 1; i < iterations; i++) {
      u = crypto.hmacSha256(password, u);
      for (let j = 0; j < 32; j++) t[j] = (t[j] as number) ^ (u[j] as number);
    }
    out.set(t.subarray(0, Math.min(32, length - at)), at);
  }
  return out;
}

/** The part of WebCrypto's SubtleCrypto PBKDF2 needs (no DOM types in this package). */
interface Pbkdf2Subtle {
  importKey(format: "raw", data: Uint8Array, algorithm: "PBKDF2", extractable: false, usages: ["deriveBits"]): Promise<unknown>;
  deriveBits(
    algorithm: { name: "PBKDF2"; hash: "SHA-256"; salt: Uint8Array; iterations: number },
    key: unknown,
    length: number,
  ): Promise<ArrayBuffer>;
}

/** The 32-byte PBKDF2 master key: WebCrypto's PBKDF2 where there is one (browsers, Node), else `pbkdf2Sha256`. */
export async function backupMasterKey(
  crypto: CryptoProvider,
  password: Uint8Array,
  salt: Uint8Array,
  iterations: number,
): Promise<Uint8Array> {
  const subtle = (globalThis as { crypto?: { subtle?: Pbkdf2Subtle } }).crypto?.subtle;
  if (!subtle?.deriveBits) return pbkdf2Sha256(crypto, password, salt, iterations, 32);
  const key = await subtle.importKey("raw", password, "PBKDF2", false, ["deriveBits"]);
  return new Uint8Array(await subtle.deriveBits({ name: "PBKDF2", hash: "SHA-256", salt, iterations }, key, 256));
}

/** The AEAD key and the passphrase check value, both from the master key by HKDF-SHA256. */
export function backupKeys(crypto: CryptoProvider, master: Uint8Array): { key: Uint8Array; check: Uint8Array } {
  const empty = new Uint8Array(0);
  return { key: crypto.hkdfSha256(master, empty, LABEL_KEY, 32), check: crypto.hkdfSha256(master, empty, LABEL_CHECK, CHECK_BYTES) };
}

/** Seals `payload` under `master` (derived with `salt` and `iterations`): the whole backup. */
export function sealBackup(
  crypto: CryptoProvider,
  payload: BackupPayload,
  master: Uint8Array,
  params: { iterations: number; salt: Uint8Array; nonce: Uint8Array },
): Uint8Array {
  const { key, check } = backupKeys(crypto, master);
  const header = encodeHeader(params.iterations, params.salt, check, params.nonce);
  const sealed = crypto.aeadEncrypt(key, params.nonce, encodeRecord(payload), header);
  const out = new Uint8Array(header.length + sealed.length);
  out.set(header);
  out.set(sealed, header.length);
  return out;
}

/**
 * Opens a backup whose header was parsed, with the master key derived from its salt and
 * iterations (rules BAK-6…BAK-8): ERR_BACKUP_PASSPHRASE when the check value differs (a wrong
 * passphrase), ERR_BACKUP_CORRUPT when the ciphertext or payload does not hold.
 */
export function openBackup(crypto: CryptoProvider, bytes: Uint8Array, header: BackupHeader, master: Uint8Array): BackupPayload {
  const { key, check } = backupKeys(crypto, master);
  let diff = 0;
  for (let i = 0; i < CHECK_BYTES; i++) diff |= (check[i] as number) ^ (header.check[i] as number);
  if (diff !== 0) throw new ParleyError(ErrorCode.BackupPassphrase, "wrong backup passphrase");
  const plaintext = crypto.aeadDecrypt(key, header.nonce, bytes.subarray(BACKUP_HEADER_BYTES), header.bytes);
  if (!plaintext) throw corrupt("the ciphertext does not authenticate", "TAMPERED");
  return decodeBackupPayload(crypto, plaintext);
}

/** Encrypts a payload under a passphrase: the backup's bytes. */
export async function encryptBackup(
  crypto: CryptoProvider,
  payload: BackupPayload,
  passphrase: string,
  options: BackupCodecOptions = {},
): Promise<Uint8Array> {
  const password = passphraseBytes(passphrase);
  const iterations = options.iterations ?? BACKUP_KDF_ITERATIONS;
  if (!Number.isInteger(iterations) || iterations < 1 || iterations > MAX_BACKUP_KDF_ITERATIONS)
    throw new RangeError(`iterations must be 1…${MAX_BACKUP_KDF_ITERATIONS}`);
  const random = options.random ?? ((n: number) => crypto.randomBytes(n));
  const salt = random(SALT_BYTES);
  const nonce = random(NONCE_BYTES);
  const master = await backupMasterKey(crypto, password, salt, iterations);
  return sealBackup(crypto, payload, master, { iterations, salt, nonce });
}

/** Decrypts and checks a backup (every rule of spec/backup.md §3). */
export async function decryptBackup(
  crypto: CryptoProvider,
  bytes: Uint8Array,
  passphrase: string,
  options: BackupCodecOptions = {},
): Promise<BackupPayload> {
  const header = parseBackupHeader(bytes, options);
  if (typeof passphrase !== "string" || passphrase.length === 0)
    throw new ParleyError(ErrorCode.BackupPassphrase, "wrong backup passphrase");
  const master = await backupMasterKey(crypto, passphraseBytes(passphrase), header.salt, header.iterations);
  return openBackup(crypto, bytes, header, master);
}

// ---- payload ------------------------------------------------------------------------------

const isBytes = (v: unknown, length?: number): v is Uint8Array => v instanceof Uint8Array && (length === undefined || v.length === length);
const isObject = (v: unknown): v is Record<string, unknown> => typeof v === "object" && v !== null && !Array.isArray(v);
const isInt = (v: unknown, min = 0): v is number => Number.isSafeInteger(v) && (v as number) >= min;
const isBool = (v: unknown): v is boolean => typeof v === "boolean";
const isText = (v: unknown): v is string => typeof v === "string";
const optional = (v: unknown, check: (x: unknown) => boolean) => v === undefined || check(v);
const MESSAGE_KINDS = new Set(["text", "attachment", "notice", "call"]);
const CALL_OUTCOMES = new Set(["completed", "missed", "declined", "busy", "noAnswer", "cancelled", "failed"]);
const isCallRecord = (v: unknown): boolean =>
  isObject(v) &&
  isText(v.callId) &&
  isBool(v.video) &&
  (v.direction === "outgoing" || v.direction === "incoming") &&
  CALL_OUTCOMES.has(v.outcome as string) &&
  optional(v.durationMs, (d) => isInt(d));
const STATUSES = new Set(["pending", "sent", "delivered", "read", "received", "failed"]);

/** Decodes and checks the payload's structure (rules BAK-9…BAK-13); anything else is ERR_BACKUP_CORRUPT. */
export function decodeBackupPayload(crypto: CryptoProvider, plaintext: Uint8Array): BackupPayload {
  let value: unknown;
  try {
    value = decodeRecord<unknown>(plaintext);
  } catch {
    throw corrupt("the payload is not msgpack");
  }
  if (!isObject(value)) throw corrupt("the payload is not a map");
  if (value.v !== BACKUP_PAYLOAD_VERSION) throw corrupt(`payload version ${String(value.v)}`, "UNSUPPORTED_VERSION");
  if (!isInt(value.createdAt)) throw corrupt("createdAt");
  const account = value.account;
  if (
    !isObject(account) ||
    !isBytes(account.userId, 16) ||
    !isBytes(account.accountPublicKey, 32) ||
    !optional(account.accountSeed, (s) => isBytes(s, 32)) ||
    !isBytes(account.deliveryToken, 32) ||
    !isBytes(account.deviceList) ||
    !isInt(account.deviceListSequence) ||
    !isInt(account.deviceId, 1) ||
    !isText(account.displayName) ||
    !optional(account.handle, isText)
  )
    throw corrupt("account");
  const deps = { crypto };
  // BAK-10: the account's keys agree with each other.
  if (hex(deriveUserId(deps, account.accountPublicKey)) !== hex(account.userId)) throw corrupt("the user id is not the account key's");
  if (isBytes(account.accountSeed) && hex(crypto.ed25519PublicKey(account.accountSeed)) !== hex(account.accountPublicKey))
    throw corrupt("the account seed is not the account key's");
  const settings = value.settings;
  if (!isObject(settings) || !isBool(settings.readReceipts) || !isBool(settings.typingIndicators) || !isBool(settings.presence))
    throw corrupt("settings");
  if (!Array.isArray(value.contacts) || !Array.isArray(value.groups) || !Array.isArray(value.conversations)) throw corrupt("lists");
  const contactIds = new Set<string>();
  for (const c of value.contacts) {
    if (
      !isObject(c) ||
      !isText(c.id) ||
      c.id.length === 0 ||
      !isBytes(c.userId, 16) ||
      !isBytes(c.accountKey, 32) ||
      !Array.isArray(c.deviceIds) ||
      !c.deviceIds.every((d) => isInt(d, 1)) ||
      !isInt(c.deviceListSequence) ||
      !isBool(c.verified) ||
      !isBool(c.profileSent) ||
      !optional(c.handle, isText) ||
      !optional(c.displayName, isText) ||
      !optional(c.deliveryToken, (t) => isBytes(t)) ||
      !optional(c.lastSeen, (t) => isInt(t))
    )
      throw corrupt("a contact");
    // BAK-11: a contact is pinned to an account key that gives its user id; ids are unique.
    if (hex(deriveUserId(deps, c.accountKey as Uint8Array)) !== hex(c.userId as Uint8Array)) throw corrupt("a contact's user id");
    if (contactIds.has(c.id)) throw corrupt("a contact id twice");
    contactIds.add(c.id);
  }
  for (const g of value.groups) {
    if (!isObject(g) || !isBytes(g.groupId) || !isBytes(g.state) || !isBool(g.active) || !isInt(g.joinedAt)) throw corrupt("a group");
  }
  const conversationIds = new Set<string>();
  for (const conversation of value.conversations) {
    if (!isObject(conversation) || !isText(conversation.id) || !Array.isArray(conversation.messages)) throw corrupt("a conversation");
    if (conversationIds.has(conversation.id)) throw corrupt("a conversation twice");
    conversationIds.add(conversation.id);
    for (const m of conversation.messages) {
      // BAK-12: each message belongs to its conversation and has the fields a view relies on.
      if (
        !isObject(m) ||
        !isText(m.id) ||
        !/^[0-9a-f]{1,64}$/.test(m.id) ||
        m.contactId !== conversation.id ||
        !isText(m.sender) ||
        !isInt(m.senderDevice) ||
        !isBool(m.outgoing) ||
        !MESSAGE_KINDS.has(m.kind as string) ||
        !optional(m.call, isCallRecord) ||
        !isText(m.text) ||
        !isInt(m.sentAt) ||
        !isInt(m.receivedAt) ||
        !isBool(m.deleted) ||
        !isObject(m.reactions) ||
        !STATUSES.has(m.status as string)
      )
        throw corrupt("a message");
    }
  }
  return value as unknown as BackupPayload;
}
