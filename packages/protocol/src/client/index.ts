/**
 * @parley/protocol/client: the SDK apps embed — `ParleyClient` over a relay connection and a
 * `Store`. Browser-safe: Node-only pieces (the encrypted file store, the `ws` transport) are in
 * `@parley/protocol/node`.
 */

export { MAX_DISPLAY_NAME_BYTES } from "./account-profile.js";
export type {
  AttachmentStream,
  DownloadOptions,
  FileSource,
  SendFileOptions,
  UploadProgress,
  UploadRecord,
} from "./attachments.js";
export type { BackupImportResult } from "./backup.js";
export type { CallsApi } from "./calls/calls-api.js";
export { type CallSignal, decodeCallSignal, encodeCallSignal, type HangupReason } from "./calls/signal-payload.js";
export {
  CALL_CONNECT_TIMEOUT_MS,
  CALL_RING_TIMEOUT_MS,
  type CallEndReason,
  type CallEvents,
  type CallInfo,
  type CallLeg,
  type CallMediaHandler,
  type CallOptions,
  type CallState,
} from "./calls/types.js";
export {
  CONNECT_TIMEOUT_MS,
  type ConnectOptions,
  type ConversationSummary,
  ParleyClient,
  type ParleyClientOptions,
} from "./client.js";
export type { AttachmentInfo, CallRecord, ChatMessage, MemberStatus, MessageStatus } from "./conversation.js";
export type { ClientEvents } from "./events.js";
export type { CreateGroupOptions, GroupsApi } from "./groups/api.js";
export { GROUP_CONVERSATION_PREFIX, groupConversationId, isGroupConversation } from "./groups/ids.js";
export type { GroupInfo, GroupMemberInfo } from "./groups/info.js";
export type { GroupTokenRefusedEvent } from "./groups/token-refused.js";
export type { MessagePageOptions } from "./history.js";
export { BUCKET_SIZE, MAX_PAGE_LIMIT } from "./history-layout.js";
export { ICE_REFRESH_MIN_MARGIN_MS, ICE_SERVERS_NO_EXPIRY_REUSE_MS, IceServerCache, iceRefreshAt } from "./ice-servers.js";
export type { IdentityRecheckOptions } from "./identity-refresh.js";
export type { ClientLogger, LogFields, LogLevel } from "./logger.js";
export { LAST_SEEN_RESOLUTION_MS, type Presence } from "./presence.js";
export type { IceServerInfo, IceServers, PushConfig, WebPushSubscription } from "./push.js";
export type { Contact } from "./records.js";
export type { ConnectionState } from "./relay-connection.js";
export type { PrivacySettings } from "./settings.js";
export { DEFAULT_PRIVACY_SETTINGS } from "./settings.js";
export * from "./store/index.js";
export {
  type Transport,
  type TransportFactory,
  type TransportHandlers,
  type WebSocketConstructor,
  webSocketTransport,
} from "./transport.js";
