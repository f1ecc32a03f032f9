/**
 * @parley/relay: Parley's blind relay. Programmatic entry points for embedding and tests; the
 * `parley-relay` bin (bin.ts) runs it as a process.
 */

export { BlobFiles } from "./blobs/blob-files.js";
export type { BlobStorage } from "./blobs/blob-storage.js";
export { openBlobs } from "./blobs/open-blobs.js";
export { PgBlobStorage } from "./blobs/pg-blob-storage.js";
export { S3BlobStorage } from "./blobs/s3-blob-storage.js";
export type { Bus } from "./cluster/bus.js";
export { openBus } from "./cluster/open-bus.js";
export { RedisBus } from "./cluster/redis-bus.js";
export { DEFAULT_PORT, HELP, parseConfig, type RelayConfig } from "./config.js";
export { Connection, type Transport } from "./connection.js";
export type { RelayContext } from "./context.js";
export { DEFAULT_LIMITS, type Limits, resolveLimits } from "./limits.js";
export { type RunningRelay, runRelay } from "./main.js";
export { createRelay, type Relay, type RelayOptions } from "./relay.js";
export { RelayError } from "./relay-error.js";
export { type ListenOptions, listen, type RelayServer } from "./server/server.js";
export { openStore } from "./store/open-store.js";
export { openPostgresStore, type PostgresStoreOptions } from "./store/pg-store.js";
export { openSqliteStore } from "./store/sqlite-store.js";
export type * from "./store/store.js";
