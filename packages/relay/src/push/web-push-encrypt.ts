/**
 * Message encryption for Web Push (RFC 8291) in the `aes128gcm` content coding (RFC 8188), with
 * node:crypto: a fresh P-256 key pair per message, ECDH with the browser's `p256dh`, HKDF keyed
 * by its `auth` secret, one AES-128-GCM record. The relay only ever encrypts the fixed wake-up
 * payload (push-payload.ts), never message content.
 */

import { createCipheriv, createECDH, hkdfSync } from "node:crypto";

/** Salt length (RFC 8188 §2.1). */
const SALT_BYTES = 16;
/** Uncompressed P-256 point length, the `keyid` of the header (RFC 8291 §4). */
const POINT_BYTES = 65;
/** AES-GCM tag length. */
const TAG_BYTES = 16;
/** Header: salt(16) ‖ rs(4) ‖ idlen(1) ‖ keyid(65) (RFC 8291 §4). */
export const HEADER_BYTES = SALT_BYTES + 4 + 1 + POINT_BYTES;
/** Largest push body push services must accept (RFC 8291 §4: 4096 octets). */
export const MAX_PUSH_BODY_BYTES = 4096;
/** Largest plaintext in one record: 4096 − header − tag − the 0x02 delimiter. */
export const MAX_PUSH_PLAINTEXT_BYTES = MAX_PUSH_BODY_BYTES - HEADER_BYTES - TAG_BYTES - 1;

const KEY_INFO = Buffer.from("WebPush: info\0");
const CEK_INFO = Buffer.from("Content-Encoding: aes128gcm\0");
const NONCE_INFO = Buffer.from("Content-Encoding: nonce\0");

/** The browser side of a subscription: its public key and auth secret. */
export interface PushReceiverKeys {
  /** Uncompressed P-256 point (65 bytes). */
  readonly p256dh: Uint8Array;
  /** 16-byte authentication secret. */
  readonly auth: Uint8Array;
}

/**
 * Encrypts `plaintext` for a subscription as one `aes128gcm` record; the result is the whole
 * request body. `random` supplies the 16-byte salt (injected for test vectors); the sender key
 * pair is fresh per call; `padding` zero bytes follow the delimiter (RFC 8188 §2), so every
 * push can have one size. Throws RangeError when plaintext and padding exceed
 * MAX_PUSH_PLAINTEXT_BYTES or `p256dh` is malformed. `senderPrivateKey` is for test vectors only.
 *
 * @example
 * const body = encryptPushMessage(new TextEncoder().encode('{"t":"mail"}'), sub, randomBytes);
 */
export function encryptPushMessage(
  plaintext: Uint8Array,
  receiver: PushReceiverKeys,
  random: (n: number) => Uint8Array,
  padding = 0,
  senderPrivateKey?: Uint8Array,
): Uint8Array {
  if (!Number.isSafeInteger(padding) || padding < 0) throw new RangeError("padding must be a non-negative integer");
  if (plaintext.length + padding > MAX_PUSH_PLAINTEXT_BYTES)
    throw new RangeError(`push plaintext is at most ${MAX_PUSH_PLAINTEXT_BYTES} bytes`);
  if (receiver.p256dh.length !== POINT_BYTES || receiver.p256dh[0] !== 0x04)
    throw new RangeError("p256dh must be an uncompressed P-256 point");
  const sender = createECDH("prime256v1");
  // A fixed sender key only reproduces test vectors (RFC 8291 Appendix A); pushes use a fresh one.
  if (senderPrivateKey) sender.setPrivateKey(senderPrivateKey);
  const senderPublic = senderPrivateKey ? sender.getPublicKey() : sender.generateKeys();
  const shared = sender.computeSecret(receiver.p256dh); // throws for a point not on the curve
  // RFC 8291 §3.4: IKM = HKDF(auth, ecdh, "WebPush: info" ‖ 0 ‖ ua_public ‖ as_public, 32).
  const ikm = hkdf(receiver.auth, shared, Buffer.concat([KEY_INFO, receiver.p256dh, senderPublic]), 32);
  const salt = random(SALT_BYTES);
  const cek = hkdf(salt, ikm, CEK_INFO, 16);
  const nonce = hkdf(salt, ikm, NONCE_INFO, 12);
  const cipher = createCipheriv("aes-128-gcm", cek, nonce);
  // RFC 8188 §2: the last (here the only) record is plaintext ‖ 0x02 ‖ zero padding.
  const sealed = Buffer.concat([
    cipher.update(plaintext),
    cipher.update(Uint8Array.of(0x02)),
    cipher.update(Buffer.alloc(padding)),
    cipher.final(),
    cipher.getAuthTag(),
  ]);
  const header = Buffer.alloc(HEADER_BYTES);
  header.set(salt, 0);
  // rs: larger than the record, so a receiver reads the whole body as one record.
  header.writeUInt32BE(MAX_PUSH_BODY_BYTES, SALT_BYTES);
  header.writeUInt8(POINT_BYTES, SALT_BYTES + 4);
  header.set(senderPublic, SALT_BYTES + 5);
  shared.fill(0);
  return new Uint8Array(Buffer.concat([header, sealed]));
}

function hkdf(salt: Uint8Array, ikm: Uint8Array, info: Uint8Array, length: number): Buffer {
  return Buffer.from(hkdfSync("sha256", ikm, salt, info, length));
}
