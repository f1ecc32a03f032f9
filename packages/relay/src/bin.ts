#!/usr/bin/env node
/**
 * `parley-relay`: parses flags and env, prints `--help`, starts the relay, prints the relay URL
 * clients use (the `--public-url` origin when given) and its HTTP URL, and exits cleanly on
 * SIGTERM/SIGINT after draining.
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
