#!/usr/bin/env node
/**
 * `parley-relay`: parses flags and env, prints `--help`, starts the relay, prints the relay URL
 * clients use (the `--public-url` origin when given) and its HTTP URL, and exits cleanly on
 * SIGTERM/SIGINT after draining. A failure to start (a store that cannot be opened, a taken
 * port) is one line on stderr and exit code 1.
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
let relay: Awaited<ReturnType<typeof runRelay>>;
try {
  relay = await runRelay(config);
} catch (error) {
  // One sentence for the operator (store, bus and blob errors already hide passwords); the stack
  // only with PARLEY_DEBUG=1.
  process.stderr.write(`parley-relay: could not start: ${error instanceof Error ? error.message : String(error)}\n`);
  if (process.env.PARLEY_DEBUG === "1" && error instanceof Error) process.stderr.write(`${error.stack}\n`);
  process.exit(1);
}
const bound = `${config.host.includes(":") ? `[${config.host}]` : config.host}:${relay.port}`;
process.stdout.write(
  [
    `Parley relay listening on ${relay.url} (bound to ${bound}, data: ${config.dataDir})`,
    `  Relay URL for clients:          ${relay.wsUrl}`,
    `  HTTP (health, metrics, blobs):  ${relay.url}/healthz`,
    ...(relay.metricsUrl ? [`  Metrics (admin port):           ${relay.metricsUrl}`] : []),
    ...(relay.webClientDir ? [`  Web client (open in a browser): ${relay.url}/`] : []),
    "",
  ].join("\n"),
);
for (const signal of ["SIGTERM", "SIGINT"] as const) {
  process.once(signal, () => {
    relay.stop().then(
      () => process.exit(0),
      () => process.exit(1),
    );
  });
}
