#!/usr/bin/env node
// `npm run vectors`: regenerates test-vectors/*.json from the committed generator
// (packages/protocol/test/vectors/generate.ts), run through Vite's module runner so the
// TypeScript sources load without a build step. The tests check the files against the same
// generator with every crypto provider.
import { writeFileSync } from "node:fs";
import { sourceLoader } from "./source-loader.mjs";

const generator = new URL("../packages/protocol/test/vectors/generate.ts", import.meta.url).pathname;
const select = new URL("../packages/protocol/src/crypto/select.ts", import.meta.url).pathname;
const server = await sourceLoader();
const gen = await server.load(generator);
const providers = await server.load(select);
const crypto = await providers.createProvider("node");
const files = gen.generateVectors(crypto);
await server.close();
for (const [name, content] of Object.entries(files)) {
  writeFileSync(new URL(`../test-vectors/${name}`, import.meta.url), `${JSON.stringify(content, null, 2)}\n`);
  console.log(`wrote test-vectors/${name}`);
}
