/**
 * `@parley/protocol/wire`: the relay frames shared by the relay and its clients: frame types,
 * the msgpack codec, error and close codes, the auth challenge signature, plus the few protocol
 * functions a relay needs to check what it stores (certificates, device lists, prekeys). The
 * relay imports only this entry point; it never sees ratchet or envelope code.
 */

// What the relay needs from the protocol core, so it imports nothing else.
export type { CryptoProvider } from "../crypto/provider.js";
export { loadCryptoProvider } from "../crypto/select.js";
export type { Deps } from "../deps.js";
export { ErrorCode, ParleyError } from "../errors.js";
export { DeviceKeys, type VerifiedDevice, verifyDeviceCertificate } from "../keys/device-certificate.js";
export { type DeviceList, decodeDeviceList, MAX_DEVICES, verifyDeviceList } from "../keys/device-list.js";
export { deriveUserId, USER_ID_LENGTH } from "../keys/identity.js";
export { decodeOneTimePreKey, type KemPreKeyRecord, verifyKemPreKey, verifySignedPreKey } from "../keys/prekeys.js";
export {
  authSignatureMessage,
  canonicalRelayId,
  MAX_RELAY_ID_BYTES,
  sameRelayId,
  signAuthChallenge,
  verifyAuthSignature,
} from "./auth.js";
export { decodeFrame, encodeFrame, peekFrameType, peekRequestId } from "./codec.js";
export { CloseCode, RelayErrorCode, SendResult, WIRE_VERSION } from "./codes.js";
export type {
  AckFrame,
  AuthFrame,
  BlobGrantedFrame,
  BlobTicketFrame,
  BundlesFrame,
  ChallengeFrame,
  ClaimHandleFrame,
  ClearPushFrame,
  ClientFrame,
  DeviceBundle,
  DevicesFrame,
  EphemeralFrame,
  ErrorFrame,
  ExpiredFrame,
  FetchBundlesFrame,
  FetchDevicesFrame,
  FetchIceServersFrame,
  FetchPushKeyFrame,
  Frame,
  FrameOf,
  FrameType,
  HandleFrame,
  IceServer,
  IceServersFrame,
  LookupHandleFrame,
  MailboxAddress,
  MessageFrame,
  MultiSendDevice,
  MultiSendFrame,
  MultiSendRecipient,
  OkFrame,
  OutgoingMessage,
  PingFrame,
  PongFrame,
  PreKeysLowFrame,
  PublishDevicesFrame,
  PushKeyFrame,
  QueueEmptyFrame,
  RegisterFrame,
  SealedMessage,
  SealedSendFrame,
  SendFrame,
  SentFrame,
  ServerFrame,
  SetDeliveryTokenFrame,
  SetPushFrame,
  UploadPreKeysFrame,
} from "./frames.js";
export { MAX_MSGPACK_DEPTH, MAX_MSGPACK_ELEMENTS, MAX_MSGPACK_MAP_ENTRIES, type MsgpackEntry, scanMsgpack } from "./msgpack-scan.js";
export {
  MULTI_HEADER_LENGTH,
  MULTI_PREFIX_LENGTH,
  multiEnvelope,
  multiEnvelopePrefix,
  multiMessageId,
  SEALED_MULTI_TYPE,
} from "./multi-envelope.js";
export { type MultiSendLimits, splitMultiSend } from "./multi-send-split.js";
export {
  DELIVERY_TOKEN_BYTES,
  FRAME_CHECKS,
  FRAME_ELEMENT_BUDGET,
  FRAME_SCHEMA,
  MAX_BATCH,
  MAX_DEVICE_LIST_BYTES,
  MAX_ENVELOPE_BYTES,
  MAX_FRAME_ELEMENTS,
  MAX_HANDLE_BYTES,
  MAX_ICE_SERVERS,
  MAX_ICE_STRING_BYTES,
  MAX_ICE_URLS,
  MAX_KEM_PREKEYS_PER_UPLOAD,
  MAX_MULTI_DEVICES,
  MAX_MULTI_RECIPIENTS,
  MAX_PREKEYS_PER_UPLOAD,
  MAX_PUSH_ENDPOINT_BYTES,
  MAX_WIRE_FRAME_BYTES,
  MESSAGE_ID_BYTES,
  MIN_MULTI_PAYLOAD_BYTES,
  NONCE_BYTES,
  PUSH_AUTH_BYTES,
  PUSH_P256DH_BYTES,
  pushSubscriptionProblem,
} from "./schema.js";
