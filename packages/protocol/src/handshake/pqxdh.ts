/**
 * The PQXDH-shaped hybrid handshake (spec/handshake.md): X3DH's four DH values plus one
 * ML-KEM-768 encapsulation, combined by HKDF into the session's first root key. The result
 * is secret if either X25519 or ML-KEM-768 holds.
 *
 *   DH1 = DH(IK_A, SPK_B)  DH2 = DH(EK_A, IK_B)  DH3 = DH(EK_A, SPK_B)  DH4 = DH(EK_A, OPK_B)
 *   (CT, SS) = ML-KEM-768.Encaps(PQPK_B)
 *   SK = HKDF(salt = 32 zero bytes, ikm = 0xFF×32 ‖ DH1 ‖ DH2 ‖ DH3 [‖ DH4] ‖ SS,
 *             info = "Parley/v1/pqxdh" ‖ 0x00 ‖ AD ‖ SHA-256(PQPK_B ‖ CT), 32)
 */

import { concatBytes } from "../crypto/bytes.js";
import type { KeyPair } from "../crypto/provider.js";
import { type Deps, kemEncapsulate, newX25519KeyPair } from "../deps.js";
import { ByteWriter } from "../encoding/writer.js";
import { ErrorCode, ParleyError } from "../errors.js";
import type { VerifiedBundle } from "../keys/bundle.js";
import type { DeviceKeys, VerifiedDevice } from "../keys/device-certificate.js";
import type { Address } from "../keys/identity.js";
import type { KemPreKeySecret, PreKeySecret } from "../keys/prekeys.js";
import { LABEL_PQXDH, PQXDH_PREFIX } from "../labels.js";
import { kdfRoot } from "../ratchet/kdf.js";
import { SessionState } from "../ratchet/session-state.js";
import type { SecretKeyPair } from "../secrets.js";
import { agree } from "./agreement.js";

/** Length of the session associated data: two (userId, deviceId, identityKey) triples. */
export const ASSOCIATED_DATA_LENGTH = 2 * (16 + 4 + 32);

/** AD = initiator userId ‖ deviceId ‖ identityKey ‖ responder userId ‖ deviceId ‖ identityKey. */
export function associatedData(
  initiator: Address,
  initiatorIdentity: Uint8Array,
  responder: Address,
  responderIdentity: Uint8Array,
): Uint8Array {
  return new ByteWriter(ASSOCIATED_DATA_LENGTH)
    .bytes(initiator.userId)
    .u32(initiator.deviceId)
    .bytes(initiatorIdentity)
    .bytes(responder.userId)
    .u32(responder.deviceId)
    .bytes(responderIdentity)
    .finish();
}

function deriveSecret(
  deps: Deps,
  dhs: Uint8Array[],
  kemSecret: Uint8Array,
  ad: Uint8Array,
  kemPublicKey: Uint8Array,
  kemCiphertext: Uint8Array,
): Uint8Array {
  const ikm = concatBytes(PQXDH_PREFIX, ...dhs, kemSecret);
  const transcript = deps.crypto.sha256(concatBytes(kemPublicKey, kemCiphertext));
  const info = concatBytes(LABEL_PQXDH, new Uint8Array([0]), ad, transcript);
  const secret = deps.crypto.hkdfSha256(ikm, new Uint8Array(32), info, 32);
  ikm.fill(0);
  return secret;
}

/**
 * The initiator's side: from a verified bundle, a new session whose first messages carry the
 * prekey header. The caller must have run `verifyBundle` (VAL-001…VAL-004).
 */
export function initiatorSession(deps: Deps, local: DeviceKeys, bundle: VerifiedBundle): SessionState {
  const remote = bundle.device;
  const baseKey = newX25519KeyPair(deps);
  const dhs = [
    agree(deps, local.identityKey, bundle.signedPreKey.publicKey),
    agree(deps, baseKey, remote.identityKey),
    agree(deps, baseKey, bundle.signedPreKey.publicKey),
  ];
  if (bundle.oneTimePreKey) dhs.push(agree(deps, baseKey, bundle.oneTimePreKey.publicKey));
  const kem = kemEncapsulate(deps, bundle.kemPreKey.publicKey);
  if (!kem) throw new ParleyError(ErrorCode.InvalidKey, "ML-KEM prekey fails the FIPS 203 input check (VAL-005)");
  const ad = associatedData(local.address, local.identityKey.publicKey, remote.address, remote.identityKey);
  const sharedKey = deriveSecret(deps, dhs, kem.sharedSecret, ad, bundle.kemPreKey.publicKey, kem.ciphertext);

  // Double Ratchet initialisation, initiator side: the responder's signed prekey is its first ratchet key.
  const sendingRatchetKey = newX25519KeyPair(deps);
  const first = kdfRoot(deps, sharedKey, agree(deps, sendingRatchetKey, bundle.signedPreKey.publicKey));
  return new SessionState({
    initiator: true,
    localAddress: local.address,
    remoteAddress: remote.address,
    localIdentityKey: local.identityKey.publicKey,
    remoteIdentityKey: remote.identityKey,
    remoteCertificate: remote.encoded,
    baseKey: baseKey.publicKey,
    associatedData: ad,
    rootKey: first.rootKey,
    sendingRatchetKey,
    sendingChain: { key: first.chainKey, index: 0 },
    previousCounter: 0,
    receivingRatchetKey: undefined,
    receivingChain: undefined,
    skippedKeys: [],
    retiredChains: [],
    pendingPreKey: {
      signedPreKeyId: bundle.signedPreKey.id,
      oneTimePreKeyId: bundle.oneTimePreKey?.id ?? 0,
      kemPreKeyId: bundle.kemPreKey.id,
      kemCiphertext: kem.ciphertext,
      senderCertificate: local.certificate,
    },
  });
}

/** The private prekeys a prekey message names, looked up by the caller. */
export interface ResponderPreKeys {
  readonly signedPreKey: PreKeySecret;
  readonly oneTimePreKey: PreKeySecret | undefined;
  readonly kemPreKey: KemPreKeySecret;
}

/**
 * The responder's side: the session a prekey message sets up, before its first message is
 * decrypted (the first decryption performs the responder's first ratchet step).
 */
export function responderSession(
  deps: Deps,
  local: DeviceKeys,
  remote: VerifiedDevice,
  baseKey: Uint8Array,
  kemCiphertext: Uint8Array,
  keys: ResponderPreKeys,
): SessionState {
  const signed: KeyPair = keys.signedPreKey.keyPair;
  const dhs = [agree(deps, signed, remote.identityKey), agree(deps, local.identityKey, baseKey), agree(deps, signed, baseKey)];
  if (keys.oneTimePreKey) dhs.push(agree(deps, keys.oneTimePreKey.keyPair, baseKey));
  const kemSecret = deps.crypto.mlkemDecapsulate(keys.kemPreKey.keyPair.secretKey, kemCiphertext);
  const ad = associatedData(remote.address, remote.identityKey, local.address, local.identityKey.publicKey);
  const sharedKey = deriveSecret(deps, dhs, kemSecret, ad, keys.kemPreKey.keyPair.publicKey, kemCiphertext);
  return new SessionState({
    initiator: false,
    localAddress: local.address,
    remoteAddress: remote.address,
    localIdentityKey: local.identityKey.publicKey,
    remoteIdentityKey: remote.identityKey,
    remoteCertificate: remote.encoded,
    baseKey,
    associatedData: ad,
    rootKey: sharedKey,
    // Per the Double Ratchet, the signed prekey is the responder's first ratchet key. The
    // sending chain is a placeholder: the first decryption's ratchet step replaces it, and a
    // responder session is never returned to a caller before that step.
    sendingRatchetKey: keys.signedPreKey.keyPair as SecretKeyPair,
    sendingChain: { key: new Uint8Array(32), index: 0 },
    previousCounter: 0,
    receivingRatchetKey: undefined,
    receivingChain: undefined,
    skippedKeys: [],
    retiredChains: [],
    pendingPreKey: undefined,
  });
}
