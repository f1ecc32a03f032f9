#!/usr/bin/env node
// The load generator: a second process, driven by bench/relay/main.mjs over stdin/stdout (one
// JSON command per line in, one JSON answer per line out; diagnostics on stderr). It holds the
// identities (real accounts, device certificates and signed device lists made with
// @parley/protocol, generated once before any timing) and runs the phases of phases.mjs
// against whichever server a command names.
//   → {"cmd":"identities","count":10000}
//   → {"cmd":"register"|"throughput"|"latency"|"idle","server":{kind,url,httpUrl,pid},"options":{…}}
//   ← {"ok":true,"result":{…}} | {"ok":false,"error":"…"}
import { createInterface } from "node:readline";
import { generateAccount, generateDevice, loadCryptoProvider, signDeviceList } from "@parley/protocol";
import { idle, latency, register, throughput } from "./phases.mjs";

const deps = { crypto: await loadCryptoProvider() };
/** Device 1 of a fresh account each, with a device list naming it. */
let identities = [];

function makeIdentities(count) {
  const started = performance.now();
  identities = Array.from({ length: count }, () => {
    const account = generateAccount(deps);
    return { account, device: generateDevice(deps, account, 1), deviceList: signDeviceList(deps, account, 1, [1]) };
  });
  return { count, seconds: (performance.now() - started) / 1000 };
}

const PHASES = { register, throughput, latency, idle };

async function run(command) {
  if (command.cmd === "identities") return makeIdentities(command.count);
  const phase = PHASES[command.cmd];
  if (!phase) throw new Error(`unknown command ${command.cmd}`);
  if (command.cmd === "register") return phase(command.server, identities.slice(0, command.options.count), deps, command.options);
  return phase(command.server, identities, deps, command.options);
}

const answer = (message) => process.stdout.write(`${JSON.stringify(message)}\n`);
// Commands run one at a time, in order.
let queue = Promise.resolve();
createInterface({ input: process.stdin }).on("line", (line) => {
  queue = queue.then(async () => {
    const command = JSON.parse(line);
    if (command.cmd === "exit") process.exit(0);
    try {
      answer({ ok: true, result: await run(command) });
    } catch (error) {
      answer({ ok: false, error: error instanceof Error ? (error.stack ?? error.message) : String(error) });
    }
  });
});
// The controller went away: nothing left to do.
process.stdin.on("end", () => process.exit(0));
