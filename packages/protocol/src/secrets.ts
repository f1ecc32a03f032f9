/**
 * Redaction for every object that holds secret key material. `JSON.stringify`, Node's
 * `util.inspect` (and so `console.log`) print only public facts about such an object, never
 * its keys. Persist state through the explicit encoders (`encodeSessionRecord`, …) instead.
 */

import { bytesToHex as toHex } from "./crypto/bytes.js";
import type { KeyPair } from "./crypto/provider.js";

const inspectSymbol = Symbol.for("nodejs.util.inspect.custom");

/** Base class for secret holders: redacted `toJSON` and inspect output. */
export abstract class Redacted {
  /** Public, non-secret facts shown in logs and JSON; secrets are never listed here. */
  protected abstract publicFacts(): Record<string, unknown>;

  toJSON(): Record<string, unknown> {
    return { type: this.constructor.name, ...this.publicFacts(), secrets: "[redacted]" };
  }

  [inspectSymbol](): string {
    return `${this.constructor.name} ${JSON.stringify(this.toJSON())}`;
  }

  toString(): string {
    return `[${this.constructor.name} redacted]`;
  }
}

/** A key pair whose private half is never printed. */
export class SecretKeyPair extends Redacted implements KeyPair {
  constructor(
    readonly publicKey: Uint8Array,
    readonly privateKey: Uint8Array,
  ) {
    super();
  }

  /** Wraps a provider's plain key pair. */
  static from(pair: KeyPair): SecretKeyPair {
    return pair instanceof SecretKeyPair ? pair : new SecretKeyPair(pair.publicKey, pair.privateKey);
  }

  protected publicFacts(): Record<string, unknown> {
    return { publicKey: toHex(this.publicKey) };
  }
}

export { bytesToHex as toHex, hexToBytes as fromHex } from "./crypto/bytes.js";
