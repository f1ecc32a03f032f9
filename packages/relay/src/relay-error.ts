/**
 * The error handlers throw to answer a request with an `error` frame. Its `code` is one of the
 * wire's RelayErrorCode strings; its message is safe to send and to log (no payloads, no keys).
 */

import type { RelayErrorCode } from "@parley/protocol/wire";

/** A request failure the client is told about. */
export class RelayError extends Error {
  constructor(
    readonly code: RelayErrorCode,
    message: string = code,
  ) {
    super(message);
    this.name = "RelayError";
  }
}
