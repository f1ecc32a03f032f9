/**
 * @parley/protocol/node: the Node-only parts of the client SDK — a WebSocket transport over the
 * `ws` package and the encrypted file store. Kept apart so browser bundles never see node:fs.
 */

import { WebSocket } from "ws";
import { type TransportFactory, type WebSocketConstructor, webSocketTransport } from "./client/transport.js";

/** A transport over the `ws` package, for ParleyClient in Node. */
export const nodeTransport: TransportFactory = webSocketTransport(WebSocket as unknown as WebSocketConstructor);

export { FileStore, type FileStoreOptions, fileAnchor, type StoreAnchor } from "./client/store/file-store.js";
