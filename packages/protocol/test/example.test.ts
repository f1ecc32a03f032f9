// The quick-start example runs as shipped, and the package README shows exactly its code.
import { execFileSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { expect, test } from "vitest";

const root = new URL("../../../", import.meta.url);
const example = new URL("examples/protocol-quickstart/index.mjs", root);

test("examples/protocol-quickstart runs and prints the decrypted message", () => {
  // It imports the package by name, which resolves to the built dist (npm test builds first).
  const out = execFileSync(process.execPath, [example.pathname], { cwd: root.pathname, encoding: "utf8", timeout: 30_000 });
  expect(out).toContain("Bob got a text: Hi Bob!");
  expect(out).toContain("safety numbers match: true");
});

test("the package README's example is the example file, verbatim", () => {
  const readme = readFileSync(new URL("packages/protocol/README.md", root), "utf8");
  const block = readme.match(/```js\n([\s\S]*?)```/)?.[1];
  expect(block).toBe(readFileSync(example, "utf8"));
});
