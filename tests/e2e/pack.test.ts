// What an app developer gets from npm: each package is packed with `npm pack`, checked file by
// file, and installed into empty projects from the tarballs alone. A Node project runs the
// installed relay's bin (serving the installed web client at /) and a two-client chat against it; a browser project (no `ws`) bundles
// examples/browser-chat with Vite 7, whose Rollup fails on any Node built-in left in the graph.
// The terminal client's tarball runs with `npm exec` (npx) from the tarballs alone, and as an
// installed `parley` bin it sets up two profiles that chat through the installed relay, and
// draws its interactive chat in a pseudo-terminal from the view's bundle it ships.
import { execFile } from "node:child_process";
import { cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { afterAll, expect, test } from "vitest";
import { startRelay } from "./support/relay-process.js";
import { deadDocPaths, deadMarkdownLinks, deadSourceMapSources, listFiles, missingEntryPoints } from "./support/tarball.js";
import { spawnParley } from "./terminal-ui/terminal.js";

const exec = promisify(execFile);
const root = new URL("../../", import.meta.url).pathname;
const work = mkdtempSync(join(tmpdir(), "parley-pack-"));
afterAll(() => rmSync(work, { recursive: true, force: true }));

/** npm in a clean environment: not the test runner's npm_* variables, offline-first, quiet. */
function npm(args: string[], cwd: string, timeout = 280_000) {
  const env = Object.fromEntries(Object.entries(process.env).filter(([name]) => !/^npm_/i.test(name) && name !== "NODE_ENV"));
  return exec("npm", args, { cwd, env, timeout, maxBuffer: 32 * 1024 * 1024 });
}

/** The `allowScripts` block the relay README tells consumers to add, parsed from the README itself. */
function readmeAllowScripts(): Record<string, boolean> {
  const readme = readFileSync(join(root, "packages/relay/README.md"), "utf8");
  const block = [...readme.matchAll(/```json\n([\s\S]*?)```/g)].map((m) => m[1] as string).find((b) => b.includes('"allowScripts"'));
  if (!block) throw new Error("packages/relay/README.md has no ```json block with allowScripts");
  return (JSON.parse(block) as { allowScripts: Record<string, boolean> }).allowScripts;
}

// Written into the consumer project: the relay from its installed bin, two clients, one message.
const CHAT_SCRIPT = `
import { spawn } from "node:child_process";
import { MemoryStore, ParleyClient } from "@parley/protocol/client";
import { nodeTransport } from "@parley/protocol/node";

const relay = spawn("node_modules/.bin/parley-relay", ["--port", "0", "--host", "127.0.0.1", "--data", "relay-data"], { stdio: ["ignore", "pipe", "inherit"] });
const url = await new Promise((resolve, reject) => {
  let out = "";
  const timer = setTimeout(() => reject(new Error("relay did not start: " + out)), 20000);
  relay.stdout.on("data", (d) => {
    out += d;
    const m = out.match(/(https?:\\/\\/\\S+)/);
    if (m) { clearTimeout(timer); resolve(m[1]); }
  });
  relay.once("exit", (code) => reject(new Error("relay exited " + code + ": " + out)));
});
const relayUrl = url.replace(/^http/, "ws");
const client = async (name) => {
  const c = await ParleyClient.create({ relayUrl, store: new MemoryStore(), transport: nodeTransport, displayName: name });
  await c.connect();
  await c.claimHandle(name);
  return c;
};
try {
  const page = await fetch(url + "/");
  console.log("web client at /: " + page.status + " " + ((await page.text()).includes('<div id="root">') ? "app" : "not the app"));
  const alice = await client("alice");
  const bob = await client("bob");
  const received = new Promise((resolve) => bob.on("message", (m) => { if (!m.outgoing) resolve(m.text); }));
  const contact = await alice.findContact("bob");
  await alice.sendText(contact.id, "hello from an installed package");
  console.log("bob received: " + (await received));
  await alice.close();
  await bob.close();
} finally {
  relay.kill("SIGTERM");
}
`;

// Written into the CLI project: the installed `parley` bin inits two profiles, sends, reads --json
// (against the relay at RELAY_URL).
const CLI_CHAT_SCRIPT = `
import { execFileSync } from "node:child_process";
const url = process.env.RELAY_URL;
const parley = (home, ...args) =>
  execFileSync("node_modules/.bin/parley", [...args, "--home", home, "--relay", url.replace(/^http/, "ws")], {
    env: { ...process.env, PARLEY_PASSPHRASE: "a passphrase" },
    encoding: "utf8",
  });
parley("alice-home", "init", "--handle", "alice");
parley("bob-home", "init", "--handle", "bob");
parley("alice-home", "send", "@bob", "hi bob from an installed parley");
const [line] = parley("bob-home", "read", "--json").trim().split("\\n");
console.log("bob read: " + JSON.parse(line).text);
`;

test("npm pack of each package gives a complete tarball that installs and chats in an empty folder", { timeout: 360_000 }, async () => {
  // Incremental: a no-op when dist is current; the tarballs must not ship a stale build.
  await exec(process.execPath, [join(root, "node_modules/typescript/bin/tsc"), "-b"], { cwd: root, timeout: 120_000 });
  const tarballs = join(work, "tarballs");
  mkdirSync(tarballs);
  const packed: Record<string, string> = {};
  try {
    for (const name of ["protocol", "relay", "web", "cli"]) {
      const { stdout } = await npm(["pack", "--json", "--pack-destination", tarballs], join(root, "packages", name), 60_000);
      const [info] = JSON.parse(stdout) as Array<{ filename: string }>;
      if (!info) throw new Error(`npm pack printed no result for ${name}`);
      packed[name] = join(tarballs, info.filename.replace(/^@/, "").replace("/", "-"));
    }
  } finally {
    // The pack steps put the packages' docs back even if a step failed midway.
    for (const name of ["protocol", "relay", "web", "cli"])
      await exec(process.execPath, [join(root, "scripts/pack-docs.mjs"), "restore"], { cwd: join(root, "packages", name) }).catch(() => {});
  }

  for (const [name, tarball] of Object.entries(packed)) {
    const dir = join(work, "unpacked", name);
    mkdirSync(dir, { recursive: true });
    await exec("tar", ["-xzf", tarball, "-C", dir]);
    const pkgDir = join(dir, "package");
    const files = listFiles(pkgDir);
    expect
      .soft(
        files.filter((f) => f.includes("tsbuildinfo")),
        `${name}: build info`,
      )
      .toEqual([]);
    expect.soft(files, `${name}: changelog`).toContain("CHANGELOG.md");
    expect.soft(files, `${name}: licence`).toContain("LICENSE");
    expect.soft(missingEntryPoints(pkgDir), `${name}: exports and bin targets`).toEqual([]);
    expect.soft(deadMarkdownLinks(pkgDir), `${name}: README/CHANGELOG/spec links`).toEqual([]);
    expect.soft(deadDocPaths(pkgDir), `${name}: paths named in doc comments`).toEqual([]);
    expect.soft(deadSourceMapSources(pkgDir), `${name}: source maps`).toEqual([]);
    const manifest = JSON.parse(readFileSync(join(pkgDir, "package.json"), "utf8")) as Record<string, Record<string, unknown>>;
    if (name === "web") {
      // The relay serves the built app: nothing to install at run time, and the bundle is in the tarball.
      expect.soft(manifest.dependencies ?? {}, "web has no runtime dependencies").toEqual({});
      expect.soft(files, "web: built app").toContain("dist/index.html");
      expect.soft(files, "web: service worker").toContain("dist/sw.js");
    }
    if (name === "cli") {
      expect.soft(files, "cli: the linked example").toContain("examples/echo-bot/README.md");
      expect.soft(files, "cli: README").toContain("README.md");
      expect.soft(files, "cli: bin").toContain("dist/bin.js");
      expect
        .soft(
          files.filter((f) => f.includes(".test.")),
          "cli: no tests",
        )
        .toEqual([]);
      // Node 20 has no global WebSocket: the CLI brings `ws` for @parley/protocol/node.
      expect.soft(Object.keys(manifest.dependencies ?? {}), "cli dependencies").toEqual(expect.arrayContaining(["@parley/protocol", "ws"]));
    }
    if (name === "protocol") {
      // Browser apps must not get `ws`: it is an optional peer for @parley/protocol/node.
      expect.soft(Object.keys(manifest.dependencies ?? {}), "protocol dependencies").not.toContain("ws");
      expect.soft(manifest.peerDependenciesMeta?.ws, "ws is an optional peer").toEqual({ optional: true });
    }
  }

  // A Node app: both tarballs plus `ws`, with the README's allowScripts.
  const app = join(work, "node-app");
  mkdirSync(app);
  writeFileSync(
    join(app, "package.json"),
    JSON.stringify({ name: "node-app", private: true, type: "module", allowScripts: readmeAllowScripts() }),
  );
  const install = await npm(
    [
      "install",
      "--no-audit",
      "--no-fund",
      "--prefer-offline",
      packed.protocol as string,
      packed.relay as string,
      packed.web as string,
      "ws@8.23.0",
    ],
    app,
  );
  expect(install.stdout + install.stderr).not.toMatch(/not yet covered by allowScripts/);
  writeFileSync(join(app, "chat.mjs"), CHAT_SCRIPT);
  const chat = await exec(process.execPath, ["chat.mjs"], { cwd: app, timeout: 60_000 });
  expect(chat.stdout).toContain("bob received: hello from an installed package");
  // The installed relay serves the installed @parley/web at / with no --static.
  expect(chat.stdout).toContain("web client at /: 200 app");

  // A browser app: the library alone (no ws pulled in), bundled by Vite 7 with no config.
  const web = join(work, "web-app");
  mkdirSync(web);
  writeFileSync(
    join(web, "package.json"),
    JSON.stringify({ name: "web-app", private: true, type: "module", allowScripts: { "msgpackr-extract": false, esbuild: false } }),
  );
  const webInstall = await npm(["install", "--no-audit", "--no-fund", "--prefer-offline", packed.protocol as string, "vite@7.3.8"], web);
  expect(webInstall.stdout + webInstall.stderr).not.toMatch(/not yet covered by allowScripts/);
  expect(existsSync(join(web, "node_modules/ws")), "ws installed for a browser app").toBe(false);
  for (const file of ["index.html", "main.js"]) cpSync(join(root, "examples/browser-chat", file), join(web, file));
  const bundle = await exec(process.execPath, ["node_modules/vite/bin/vite.js", "build"], { cwd: web, timeout: 60_000 });
  expect(bundle.stdout + bundle.stderr).not.toMatch(/externalized for browser compatibility/);
});

test("the terminal client's tarball runs with npm exec (npx) and, installed, chats through a relay", { timeout: 400_000 }, async () => {
  await exec(process.execPath, [join(root, "node_modules/typescript/bin/tsc"), "-b"], { cwd: root, timeout: 120_000 });
  const tarballs = join(work, "cli-tarballs");
  mkdirSync(tarballs);
  const packed: Record<string, string> = {};
  try {
    for (const name of ["protocol", "cli"]) {
      const { stdout } = await npm(["pack", "--json", "--pack-destination", tarballs], join(root, "packages", name), 60_000);
      const [info] = JSON.parse(stdout) as Array<{ filename: string }>;
      if (!info) throw new Error(`npm pack printed no result for ${name}`);
      packed[name] = join(tarballs, info.filename.replace(/^@/, "").replace("/", "-"));
    }
  } finally {
    for (const name of ["protocol", "cli"])
      await exec(process.execPath, [join(root, "scripts/pack-docs.mjs"), "restore"], { cwd: join(root, "packages", name) }).catch(() => {});
  }
  // An empty folder outside the repository: `npm exec` (what npx runs) from the two tarballs.
  const cliDir = join(work, "cli-app");
  mkdirSync(cliDir);
  const help = await npm(["exec", "--yes", `--package=${packed.protocol}`, `--package=${packed.cli}`, "--", "parley", "--help"], cliDir);
  expect(help.stdout).toContain("parley send @bob");
  // Installed there, its `parley` bin sets up two profiles that chat through a relay.
  writeFileSync(
    join(cliDir, "package.json"),
    JSON.stringify({ name: "cli-app", private: true, allowScripts: { "msgpackr-extract": false } }),
  );
  const install = await npm(
    ["install", "--no-audit", "--no-fund", "--prefer-offline", packed.protocol as string, packed.cli as string],
    cliDir,
  );
  expect(install.stdout + install.stderr).not.toMatch(/not yet covered by allowScripts/);
  writeFileSync(join(cliDir, "cli-chat.mjs"), CLI_CHAT_SCRIPT);
  const relay = await startRelay();
  try {
    const chat = await exec(process.execPath, ["cli-chat.mjs"], {
      cwd: cliDir,
      timeout: 120_000,
      env: { ...process.env, RELAY_URL: relay.wsUrl },
    });
    expect(chat.stdout).toContain("bob read: hi bob from an installed parley");

    // The interactive chat, in a terminal: its first screen comes from the bundle in the tarball.
    const log = join(cliDir, "modules.txt");
    const hooks = join(root, "tests/e2e/terminal/support/resolve-log.mjs");
    const terminal = spawnParley({
      home: join(cliDir, "chat-home"),
      relay: relay.wsUrl,
      bin: join(cliDir, "node_modules/@parley/cli/dist/bin.js"),
      nodeArgs: ["--import", hooks],
      env: { PARLEY_RESOLVE_LOG: log },
    });
    try {
      await terminal.waitFor("Choose a handle", 30_000);
    } finally {
      terminal.kill();
      await terminal.exited;
    }
    const modules = readFileSync(log, "utf8").trim().split("\n");
    expect(modules.some((url) => url.endsWith("/node_modules/@parley/cli/dist/view/view.js"))).toBe(true);
    expect(modules.filter((url) => url.includes("/node_modules/ink/"))).toEqual([]);
  } finally {
    await relay.stop();
    relay.cleanup();
  }
});
