/**
 * @parley/protocol: Parley's end-to-end encryption core. Pure functions of their inputs:
 * keys, the PQXDH-style handshake, Double Ratchet sessions, sealed envelopes, typed content
 * and safety numbers. Cryptography comes from a `CryptoProvider` (see `loadCryptoProvider`).
 */

export {
  type AttachmentPointer,
  decodeAttachmentPointer,
  encodeAttachmentPointer,
} from "./attachment/pointer.js";
export {
  ATTACHMENT_KEY_BYTES,
  AttachmentDecryptor,
  AttachmentEncryptor,
  type AttachmentLayout,
  type AttachmentSecrets,
  type AttachmentStreamKeys,
  attachmentLayout,
  attachmentStreamKeys,
  decryptAttachmentChunk,
  padme,
} from "./attachment/stream.js";
export {
  type CallSignalType,
  type Content,
  type ContentBody,
  DELIVERY_TOKEN_LENGTH,
  decodeContent,
  encodeContent,
  isEphemeral,
  MESSAGE_ID_LENGTH,
  type PresenceState,
  type ReceiptType,
} from "./content/content.js";
export { pad, paddedLength, unpad } from "./content/padding.js";
export type { CryptoProvider, KemEncapsulation, KemKeyPair, KeyPair, ProviderName, Sha256Hasher } from "./crypto/provider.js";
export { createProvider, loadCryptoProvider } from "./crypto/select.js";
export type { Deps } from "./deps.js";
export { StaticAgreementCache } from "./envelope/agreement-cache.js";
export {
  decryptFromSender,
  type EnvelopeSender,
  encryptSealed,
  type OpenedEnvelope,
  openAndDecrypt,
  openEnvelope,
  SEALED_OVERHEAD,
  sealEnvelope,
} from "./envelope/sealed.js";
export {
  MIN_MULTI_ENVELOPE_LENGTH,
  type MultiRecipient,
  openMultiEnvelope,
  SEALED_MULTI_OVERHEAD,
  type SealedMulti,
  sealMulti,
} from "./envelope/sealed-multi.js";
export { ErrorCode, ParleyError } from "./errors.js";
export { type GroupAction, GroupActionType } from "./group/action.js";
export {
  applyChange,
  createGroup,
  type GroupInit,
  type GroupStaleReason,
  type GroupUpdate,
  proposeChange,
} from "./group/apply.js";
export {
  decodeGroupChange,
  encodeGroupChange,
  type GroupAuthor,
  type GroupChange,
  groupChangeHash,
  MAX_GROUP_CHANGE_BYTES,
  signGroupChange,
  type UnsignedGroupChange,
  verifyGroupChangeSignature,
} from "./group/change.js";
export { compareCompetingChanges, type ForkResolution, rebaseActions, resolveFork } from "./group/fork.js";
export { joinGroup } from "./group/join.js";
export { mayPerform, requiredRole } from "./group/roles.js";
export {
  acceptSenderKeyDistribution,
  createSenderKey,
  decodeSenderKeyDistribution,
  decodeSenderKeyState,
  encodeSenderKeyDistribution,
  encodeSenderKeyState,
  GROUP_MESSAGE_OVERHEAD,
  type GroupDecryptResult,
  type GroupMessageHeader,
  GroupMessageType,
  groupDecrypt,
  groupEncrypt,
  parseGroupMessageHeader,
  SENDER_KEY_DISTRIBUTION_LENGTH,
  type SenderKeyDistribution,
  type SenderKeyState,
  senderKeyFromDistribution,
} from "./group/sender-key.js";
export {
  canSendToGroup,
  checkGroupState,
  DEFAULT_GROUP_SETTINGS,
  decodeGroupState,
  encodeGroupState,
  findMember,
  GROUP_ID_LENGTH,
  GROUP_STATE_HASH_LENGTH,
  GROUP_TOKEN_LENGTH,
  type GroupAccess,
  type GroupMember,
  type GroupRole,
  type GroupSettings,
  type GroupState,
  groupStateHash,
  isGroupAdmin,
  membersAdded,
  membersRemoved,
} from "./group/state.js";
export { type BundleExpectation, type PreKeyBundle, type VerifiedBundle, verifyBundle } from "./keys/bundle.js";
export {
  certifyDevice,
  DEVICE_CERTIFICATE_LENGTH,
  type DeviceCertificate,
  DeviceKeys,
  decodeDeviceCertificate,
  generateDevice,
  type VerifiedDevice,
  verifyDeviceCertificate,
} from "./keys/device-certificate.js";
export { type DeviceList, decodeDeviceList, MAX_DEVICES, signDeviceList, verifyDeviceList } from "./keys/device-list.js";
export {
  AccountKeys,
  type Address,
  accountFromSeed,
  addressKey,
  deriveUserId,
  generateAccount,
  sameAddress,
  USER_ID_LENGTH,
} from "./keys/identity.js";
export {
  decodeKemPreKey,
  decodeOneTimePreKey,
  decodeSignedPreKey,
  generateKemPreKey,
  generateOneTimePreKeys,
  generateSignedPreKey,
  type KemPreKeyKind,
  type KemPreKeyRecord,
  KemPreKeySecret,
  type OneTimePreKeyRecord,
  PreKeySecret,
  type SignedPreKeyRecord,
  verifyKemPreKey,
  verifySignedPreKey,
} from "./keys/prekeys.js";
export { PROTOCOL_VERSION, SUITE_NAME } from "./labels.js";
export * as limits from "./limits.js";
export { decodePreKeyMessage, decodeRatchetMessage, MessageType } from "./ratchet/message.js";
export { SessionState } from "./ratchet/session-state.js";
export { compareSafetyQr, fingerprint, type SafetyNumber, type SafetyParty, safetyNumber } from "./safety-number.js";
export { fromHex, Redacted, SecretKeyPair, toHex } from "./secrets.js";
export {
  compareAddresses,
  type DecryptResult,
  decryptMessage,
  encryptMessage,
  initiateSession,
  type PreKeyLookup,
  SessionRecord,
} from "./session/record.js";
export { decodeSessionRecord, encodeSessionRecord } from "./session/serialize.js";
