/**
 * Picks the fastest provider available at run time. Everything is loaded by dynamic import, so
 * importing this file runs nothing and libsodium's wasm is fetched only when a provider that uses
 * it is asked for. No file a bundler can reach imports node:crypto: `node.ts` looks it up at run
 * time, so a browser bundle builds with a stock config and carries no Node stubs.
 *
 * Order: in Node, node:crypto with libsodium's ML-KEM (noble's if libsodium fails to load);
 * elsewhere, libsodium, falling back to noble if the wasm cannot load (e.g. a strict CSP).
 */
import type { MlKemImpl } from "./mlkem.js";
import type { AeadImpl } from "./node.js";
import type { CryptoProvider, ProviderName } from "./provider.js";
import { withVerifiedSignatureCache } from "./verify-cache.js";

/** Options for {@link loadCryptoProvider}. */
export interface LoadCryptoProviderOptions {
  /** Use this provider instead of the fastest available; its loading errors propagate. */
  readonly prefer?: ProviderName;
}

/**
 * True in Node (and runtimes that present themselves as Node, such as Bun and Deno's compat)
 * that can hand out node:crypto without an import (see `node.ts`).
 */
function isNode(): boolean {
  return typeof globalThis.process?.versions?.node === "string" && typeof globalThis.process.getBuiltinModule === "function";
}

/** libsodium's ML-KEM and ChaCha20-Poly1305 for the node provider, or `undefined` if libsodium will not load here. */
async function loadSodiumParts(): Promise<{ mlkem: MlKemImpl; aead: AeadImpl } | undefined> {
  try {
    const [{ loadSodium, sodiumProviderFrom }, { createSodiumMlKem }] = await Promise.all([import("./sodium.js"), import("./mlkem.js")]);
    const lib = await loadSodium();
    const sodium = sodiumProviderFrom(lib);
    return {
      mlkem: createSodiumMlKem(lib),
      aead: { name: "sodium", encrypt: sodium.aeadEncrypt.bind(sodium), decrypt: sodium.aeadDecrypt.bind(sodium) },
    };
  } catch {
    return undefined;
  }
}

/**
 * Creates the named provider. `"node"` uses libsodium's ML-KEM when it loads, else noble's (the
 * provider's `name` says which). Rejects if the provider cannot run here (`"node"` outside Node,
 * `"sodium"` where the wasm cannot load).
 *
 * @example
 * ```ts
 * const noble = await createProvider("noble");
 * ```
 */
export async function createProvider(name: ProviderName): Promise<CryptoProvider> {
  return withVerifiedSignatureCache(await createRawProvider(name));
}

/** The named provider without the verified-signature cache (tests compare raw providers). */
export async function createRawProvider(name: ProviderName): Promise<CryptoProvider> {
  switch (name) {
    case "node": {
      if (!isNode()) throw new Error('The "node" crypto provider needs Node.js (node:crypto)');
      const [{ createNodeProvider }, sodium] = await Promise.all([import("./node.js"), loadSodiumParts()]);
      return createNodeProvider(sodium?.mlkem, sodium?.aead);
    }
    case "sodium":
      return (await import("./sodium.js")).createSodiumProvider();
    case "noble":
      return (await import("./noble.js")).createNobleProvider();
    default:
      throw new RangeError(`Unknown crypto provider: ${String(name satisfies never)}`);
  }
}

/**
 * Loads the fastest crypto provider for this runtime, or the one named by `prefer`.
 *
 * @example
 * ```ts
 * const crypto = await loadCryptoProvider(); // "node+sodium-mlkem+sodium-aead" in Node
 * const pure = await loadCryptoProvider({ prefer: "noble" });
 * ```
 */
export async function loadCryptoProvider(options: LoadCryptoProviderOptions = {}): Promise<CryptoProvider> {
  if (options.prefer !== undefined) return createProvider(options.prefer);
  if (isNode()) return createProvider("node");
  try {
    return await createProvider("sodium");
  } catch {
    return createProvider("noble");
  }
}
