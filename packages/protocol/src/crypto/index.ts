/**
 * Public entry of the crypto layer (`@parley/protocol/crypto`): the `CryptoProvider` contract,
 * the provider factories and the run-time selector, plus the byte helpers the core shares.
 * Re-exports only: importing it runs nothing. The node:crypto provider is reached through
 * `createProvider("node")` / `loadCryptoProvider()` so browser bundles never import node:crypto.
 */

export { assertBytes, assertLength, bytesToHex, concatBytes, equalBytes, hexToBytes, wipe } from "./bytes.js";
export { createNobleProvider } from "./noble.js";
export type { CryptoProvider, KemEncapsulation, KemKeyPair, KeyPair, ProviderName, Sha256Hasher } from "./provider.js";
export { createProvider, type LoadCryptoProviderOptions, loadCryptoProvider } from "./select.js";
export { createSodiumProvider } from "./sodium.js";
