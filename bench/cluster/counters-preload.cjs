// Preloaded into every relay node of the cluster benchmark (`node --require`): counts the node's
// PostgreSQL round trips (each `pg` query, BEGIN and COMMIT included, by first keyword) and its
// Redis commands (by name), with no server-side extension. On SIGUSR2 the node writes the
// counts to $PARLEY_BENCH_COUNTERS_DIR/<pid>.json, which the benchmark reads around each phase.
"use strict";
const { writeFileSync } = require("node:fs");
const { createRequire } = require("node:module");
const { join } = require("node:path");

const dir = process.env.PARLEY_BENCH_COUNTERS_DIR;
const relayRequire = createRequire(join(__dirname, "../../packages/relay/package.json"));
const counts = { pg: {}, redis: {} };
const bump = (table, key) => {
  table[key] = (table[key] ?? 0) + 1;
};

try {
  const pg = relayRequire("pg");
  const query = pg.Client.prototype.query;
  pg.Client.prototype.query = function countedQuery(config, ...rest) {
    const text = typeof config === "string" ? config : (config?.text ?? "");
    bump(counts.pg, (/^\s*(\w+)/.exec(text)?.[1] ?? "other").toLowerCase());
    return query.call(this, config, ...rest);
  };
} catch {
  // No pg here: a SQLite-only run.
}
try {
  const { Redis } = relayRequire("ioredis");
  const sendCommand = Redis.prototype.sendCommand;
  Redis.prototype.sendCommand = function countedCommand(command, ...rest) {
    bump(counts.redis, String(command?.name ?? "other").toLowerCase());
    return sendCommand.call(this, command, ...rest);
  };
} catch {
  // No ioredis: a run without a bus.
}

if (dir) {
  process.on("SIGUSR2", () => {
    writeFileSync(join(dir, `${process.pid}.json`), JSON.stringify(counts));
  });
}
