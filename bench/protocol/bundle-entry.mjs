// What a browser client of Parley ships: the whole public API of @parley/protocol, running on the
// pure-JS noble provider. bundle-size.mjs bundles this file; it is not meant to be run directly.
import { createProvider } from "@parley/protocol";

export * from "@parley/protocol";

/** The provider a browser client would create (a real app might pick sodium first, then fall back). */
export const provider = createProvider("noble");
