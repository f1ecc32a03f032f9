/**
 * @parley/relay: Parley's blind relay. Programmatic entry points for embedding and tests; the
 * `parley-relay` bin (bin.ts) runs it as a process.
 */

export { DEFAULT_PORT, HELP, parseConfig, type RelayConfig } from "./config.js";
export { Connection, type Transport } from "./connection.js";
export type { RelayContext } from "./context.js";
export { DEFAULT_LIMITS, type Limits, resolveLimits } from "./limits.js";
export { type RunningRelay, runRelay } from "./main.js";
export { createRelay, type Relay, type RelayOptions } from "./relay.js";
export { RelayError } from "./relay-error.js";
export { type ListenOptions, listen, type RelayServer } from "./server/server.js";
export { openSqliteStore } from "./store/sqlite-store.js";
export type * from "./store/store.js";
