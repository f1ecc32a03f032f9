#!/usr/bin/env node
/**
 * `parley-relay`: parses flags and env, prints `--help`, starts the relay, prints its URL, and
 * exits cleanly on SIGTERM/SIGINT after draining.
 */

import { HELP, parseConfig } from "./config.js";
import { runRelay } from "./main.js";

let config: ReturnType<typeof parseConfig>;
try {
  config = parseConfig(process.argv.slice(2), process.env);
} catch (error) {
  process.stderr.write(`parley-relay: ${(error as Error).message}\n`);
  process.exit(2);
}
if (config.help) {
  process.stdout.write(HELP);
  process.exit(0);
}
const relay = await runRelay(config);
process.stdout.write(`Parley relay listening on ${relay.url} (data: ${config.dataDir})\n`);
for (const signal of ["SIGTERM", "SIGINT"] as const) {
  process.once(signal, () => {
    relay.stop().then(
      () => process.exit(0),
      () => process.exit(1),
    );
  });
}
