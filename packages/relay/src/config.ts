/**
 * Command-line flags and environment variables of `parley-relay` (flags win over env), and the
 * `--help` text. Parsing is pure: it takes argv and env and returns a config or an error.
 */

import { canonicalRelayId } from "@parley/protocol/wire";
import { parseByteSize, parseDuration } from "./config-units.js";
import { DEFAULT_LIMITS, type Limits, resolveLimits } from "./limits.js";
import { DEFAULT_TURN_TTL_MS, type IceConfig, MIN_TURN_TTL_MS } from "./push/ice-servers.js";

/** Everything `parley-relay` can be told. */
export interface RelayConfig {
  readonly port: number;
  /** True when the port was given; otherwise the next free port after a taken default is used. */
  readonly portExplicit: boolean;
  readonly host: string;
  readonly dataDir: string;
  /** Public origin (relay id); defaults to `http(s)://localhost:<port>`. */
  readonly publicUrl: string | undefined;
  readonly tlsCert: string | undefined;
  readonly tlsKey: string | undefined;
  readonly trustProxy: boolean;
  readonly staticDir: string | undefined;
  /** Serve no web client, not even the bundled @parley/web. */
  readonly noWeb: boolean;
  readonly logLevel: string;
  readonly sweepIntervalMs: number;
  /** Bearer token `/metrics` requires; open when undefined. */
  readonly metricsToken: string | undefined;
  /** Port of a separate admin listener for `/metrics` and `/healthz` (then not served on the main port). */
  readonly metricsPort: number | undefined;
  /** Address the admin listener binds (default 127.0.0.1). */
  readonly metricsHost: string;
  readonly limits: Limits;
  /** Where the directory and mailboxes live: undefined for SQLite in the data directory, or a `postgres://` URL. */
  readonly storeUrl: string | undefined;
  /** The cluster bus between relay nodes: undefined for a single node, or a `redis://` URL. */
  readonly busUrl: string | undefined;
  /** Where blob bytes live: undefined for `<data>/blobs`, `file:DIR`, `postgres://…` or `s3://…`. */
  readonly blobsUrl: string | undefined;
  /** This node's name in a cluster (logs, metrics, the bus); defaults to `hostname-pid`. */
  readonly nodeId: string | undefined;
  /** How long SIGTERM waits for clients to move before closing what is left (ms). */
  readonly drainTimeoutMs: number;
  /** STUN/TURN servers handed to devices (spec/relay.md §14.4). */
  readonly ice: IceConfig;
  /** Push to `http:` and loopback or private endpoints (a local push-service stub in tests). */
  readonly allowLoopbackPush: boolean;
  /** The contact in VAPID JWTs (`mailto:` or `https:`); default the public URL. */
  readonly pushSubject: string | undefined;
  readonly help: boolean;
}

/** Default TCP port. */
export const DEFAULT_PORT = 8787;

/** The `--help` text. */
export const HELP = `parley-relay — Parley's blind relay (WebSocket + HTTP on one port)

Usage: parley-relay [options]

Options (environment variable in brackets):
  --port N              TCP port (default ${DEFAULT_PORT}; the next free one if taken and not given) [PORT, PARLEY_PORT]
  --host ADDR           address to bind (default 127.0.0.1; 0.0.0.0 or :: for all) [PARLEY_HOST]
  --data DIR            data directory: SQLite store and blobs (default ./.parley-data) [PARLEY_DATA_DIR]
  --public-url URL      public origin clients dial, bound into auth signatures
                        (default http://localhost:PORT, https with TLS) [PARLEY_PUBLIC_URL]
  --tls-cert FILE       PEM certificate: serve https/wss (needs --tls-key) [PARLEY_TLS_CERT]
  --tls-key FILE        PEM private key [PARLEY_TLS_KEY]
  --trust-proxy         take client addresses from X-Forwarded-For (behind a reverse proxy) [PARLEY_TRUST_PROXY=1]
  --static DIR          serve static files (the web client) from DIR instead of the bundled
                        @parley/web (served at / when it is installed) [PARLEY_STATIC_DIR]
  --no-web              serve no web client [PARLEY_NO_WEB=1]
  --log-level LEVEL     fatal|error|warn|info|debug|silent (default info) [PARLEY_LOG_LEVEL]
  --sweep-interval MS   how often expired messages and blobs are removed (default 60000) [PARLEY_SWEEP_INTERVAL_MS]
  --metrics-token TOKEN /metrics answers only "Authorization: Bearer TOKEN" (default: open) [PARLEY_METRICS_TOKEN]
  --metrics-port N      serve /metrics (and /healthz) on a separate admin port instead of the main one [PARLEY_METRICS_PORT]
  --metrics-host ADDR   address of the admin port (default 127.0.0.1) [PARLEY_METRICS_HOST]
  --blob-lifetime D     how long an uploaded blob is kept: 30d, 12h, 90m, 45s or ms (default 30d;
                        sets blobLifetimeMs) [PARLEY_BLOB_LIFETIME]
  --max-blob-size S     largest blob: 256MiB, 1GiB or bytes (default 256MiB; sets maxBlobBytes)
                        [PARLEY_MAX_BLOB_SIZE]
  --blob-quota S        blob bytes one account may reserve (default 2GiB; sets
                        maxBlobBytesPerAccount) [PARLEY_BLOB_QUOTA]
  --store URL           postgres://USER@HOST:PORT/DB[?schema=NAME] (default schema parley): several
                        relay nodes share it; default: SQLite in the data directory [PARLEY_STORE]
  --bus URL             redis://HOST:PORT[?prefix=NAME:]: wake-ups, one live connection per device
                        and cluster-wide rate limits between nodes; default: a single node [PARLEY_BUS]
  --blobs URL           where blob bytes live: file:DIR (default DATA/blobs),
                        postgres://…[?schema=NAME] (default schema parley_blobs), or
                        s3://[KEY:SECRET@]BUCKET?endpoint=URL&region=R[&prefix=P] (keys also from
                        AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY) [PARLEY_BLOBS]
  --node-id NAME        this node's name in logs, metrics and the bus (default HOSTNAME-PID) [PARLEY_NODE_ID]
  --drain-timeout D     on SIGTERM: /healthz turns 503, connections close GoingAway over a quarter
                        of D (at most 2 s) so clients move to other nodes, then in-flight HTTP
                        requests get up to D (default 10s) [PARLEY_DRAIN_TIMEOUT]
  --stun-url URL        a STUN server handed to devices for calls, e.g. stun:stun.example:3478
                        (repeatable) [PARLEY_STUN_URLS, comma-separated]
  --turn-url URL        a TURN server, e.g. turn:turn.example:3478?transport=udp (repeatable;
                        needs --turn-secret) [PARLEY_TURN_URLS, comma-separated]
  --turn-secret SECRET  the secret shared with the TURN server (coturn use-auth-secret /
                        static-auth-secret): devices get time-limited credentials [PARLEY_TURN_SECRET]
  --turn-ttl D          how long issued TURN credentials work (default 6h, at least 10s) [PARLEY_TURN_TTL]
  --push-subject URI    contact push services see in VAPID signatures: mailto:… or https://…
                        (default: the public URL; Apple's push service needs one of those) [PARLEY_PUSH_SUBJECT]
  --allow-loopback-push push to http:// and loopback endpoints: tests with a local push
                        service only [PARLEY_ALLOW_LOOPBACK_PUSH=1]
  --limit NAME=VALUE    override one limit (repeatable) [PARLEY_LIMITS='{"NAME":VALUE,...}']
  -h, --help            show this help

Limits (defaults):
${Object.entries(DEFAULT_LIMITS)
  .map(([name, value]) => `  ${name.padEnd(28)}${value}`)
  .join("\n")}
`;

/** Parses argv (without node and script) and env. Throws RangeError with a readable message on bad input. */
export function parseConfig(argv: readonly string[], env: Readonly<Record<string, string | undefined>>): RelayConfig {
  const flags = new Map<string, string | true>();
  const limitArgs: Record<string, string> = {};
  const stunArgs: string[] = [];
  const turnArgs: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i] as string;
    if (arg === "-h" || arg === "--help") {
      flags.set("help", true);
      continue;
    }
    if (!arg.startsWith("--")) throw new RangeError(`unexpected argument "${arg}" (see --help)`);
    const [name, inline] = arg.slice(2).split(/=(.*)/s, 2) as [string, string | undefined];
    if (name === "trust-proxy" || name === "no-web" || name === "allow-loopback-push") {
      flags.set(name, true);
      continue;
    }
    const value = inline ?? argv[++i];
    if (value === undefined) throw new RangeError(`--${name} needs a value`);
    if (name === "limit") {
      const [limit, limitValue] = value.split("=", 2);
      if (!limit || limitValue === undefined) throw new RangeError("--limit takes NAME=VALUE");
      limitArgs[limit] = limitValue;
      continue;
    }
    if (name === "stun-url" || name === "turn-url") {
      (name === "stun-url" ? stunArgs : turnArgs).push(value);
      continue;
    }
    if (!KNOWN.has(name)) throw new RangeError(`unknown option --${name} (see --help)`);
    flags.set(name, value);
  }
  const pick = (flag: string, ...vars: string[]): string | undefined => {
    const value = flags.get(flag);
    if (typeof value === "string") return value;
    for (const v of vars) if (env[v] !== undefined && env[v] !== "") return env[v];
    return undefined;
  };
  const portText = pick("port", "PARLEY_PORT", "PORT");
  const port = portText === undefined ? DEFAULT_PORT : Number(portText);
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new RangeError("--port must be 0–65535");
  const envLimits = env.PARLEY_LIMITS ? (JSON.parse(env.PARLEY_LIMITS) as Record<string, unknown>) : {};
  const sweep = Number(pick("sweep-interval", "PARLEY_SWEEP_INTERVAL_MS") ?? 60_000);
  if (!Number.isInteger(sweep) || sweep < 10) throw new RangeError("--sweep-interval must be an integer ≥ 10");
  const metricsPortText = pick("metrics-port", "PARLEY_METRICS_PORT");
  const metricsPort = metricsPortText === undefined ? undefined : Number(metricsPortText);
  if (metricsPort !== undefined && (!Number.isInteger(metricsPort) || metricsPort < 0 || metricsPort > 65535))
    throw new RangeError("--metrics-port must be 0–65535");
  const tlsCert = pick("tls-cert", "PARLEY_TLS_CERT");
  const tlsKey = pick("tls-key", "PARLEY_TLS_KEY");
  if ((tlsCert === undefined) !== (tlsKey === undefined)) throw new RangeError("--tls-cert and --tls-key go together");
  const publicUrl = pick("public-url", "PARLEY_PUBLIC_URL");
  // The relay id clients compare (spec/relay.md §3.1): refuse at start what no client could match.
  if (publicUrl !== undefined) canonicalRelayId(publicUrl);
  return {
    port,
    portExplicit: portText !== undefined,
    host: pick("host", "PARLEY_HOST") ?? "127.0.0.1",
    dataDir: pick("data", "PARLEY_DATA_DIR") ?? ".parley-data",
    publicUrl,
    tlsCert,
    tlsKey,
    trustProxy: flags.get("trust-proxy") === true || env.PARLEY_TRUST_PROXY === "1",
    staticDir: pick("static", "PARLEY_STATIC_DIR"),
    noWeb: flags.get("no-web") === true || env.PARLEY_NO_WEB === "1",
    logLevel: pick("log-level", "PARLEY_LOG_LEVEL") ?? "info",
    sweepIntervalMs: sweep,
    metricsToken: pick("metrics-token", "PARLEY_METRICS_TOKEN"),
    metricsPort,
    metricsHost: pick("metrics-host", "PARLEY_METRICS_HOST") ?? "127.0.0.1",
    limits: resolveLimits({ ...envLimits, ...limitArgs, ...blobLimits(pick) }),
    storeUrl: pick("store", "PARLEY_STORE"),
    busUrl: pick("bus", "PARLEY_BUS"),
    blobsUrl: pick("blobs", "PARLEY_BLOBS"),
    nodeId: pick("node-id", "PARLEY_NODE_ID"),
    drainTimeoutMs: parseDuration(pick("drain-timeout", "PARLEY_DRAIN_TIMEOUT") ?? "10s", "--drain-timeout"),
    ice: iceConfig(stunArgs, turnArgs, pick, env),
    allowLoopbackPush: flags.get("allow-loopback-push") === true || env.PARLEY_ALLOW_LOOPBACK_PUSH === "1",
    pushSubject: pushSubject(pick("push-subject", "PARLEY_PUSH_SUBJECT")),
    help: flags.get("help") === true,
  };
}

/** The VAPID contact: RFC 8292 §2.1 asks for a `mailto:` or `https:` URI. */
function pushSubject(value: string | undefined): string | undefined {
  if (value !== undefined && !/^(mailto:[^\s@]+@[^\s@]+|https:\/\/[^\s]+)$/.test(value))
    throw new RangeError(`--push-subject must be a mailto: or https: URI, got "${value}"`);
  return value;
}

/** The ICE flags: URLs checked for their scheme, TURN only with a secret. */
function iceConfig(
  stunArgs: readonly string[],
  turnArgs: readonly string[],
  pick: (flag: string, ...vars: string[]) => string | undefined,
  env: Readonly<Record<string, string | undefined>>,
): IceConfig {
  const list = (flagValues: readonly string[], variable: string) =>
    flagValues.length > 0
      ? [...flagValues]
      : (env[variable] ?? "")
          .split(",")
          .map((u) => u.trim())
          .filter((u) => u !== "");
  const stunUrls = list(stunArgs, "PARLEY_STUN_URLS");
  const turnUrls = list(turnArgs, "PARLEY_TURN_URLS");
  for (const url of stunUrls)
    if (!/^stuns?:[^\s]+$/.test(url)) throw new RangeError(`--stun-url must be a stun: or stuns: URL, got "${url}"`);
  for (const url of turnUrls)
    if (!/^turns?:[^\s]+$/.test(url)) throw new RangeError(`--turn-url must be a turn: or turns: URL, got "${url}"`);
  const turnSecret = pick("turn-secret", "PARLEY_TURN_SECRET");
  if (turnUrls.length > 0 && turnSecret === undefined) throw new RangeError("--turn-url needs --turn-secret (or PARLEY_TURN_SECRET)");
  const ttl = pick("turn-ttl", "PARLEY_TURN_TTL");
  const turnTtlMs = ttl === undefined ? DEFAULT_TURN_TTL_MS : parseDuration(ttl, "--turn-ttl");
  if (turnTtlMs < MIN_TURN_TTL_MS) throw new RangeError(`--turn-ttl "${ttl}" is shorter than the minimum of ${MIN_TURN_TTL_MS / 1000}s`);
  return { stunUrls, turnUrls, turnSecret, turnTtlMs };
}

/** The limits the blob flags set; a flag wins over the same limit given by --limit or PARLEY_LIMITS. */
function blobLimits(pick: (flag: string, ...vars: string[]) => string | undefined): Record<string, number> {
  const out: Record<string, number> = {};
  const lifetime = pick("blob-lifetime", "PARLEY_BLOB_LIFETIME");
  if (lifetime !== undefined) out.blobLifetimeMs = parseDuration(lifetime, "--blob-lifetime");
  const maxSize = pick("max-blob-size", "PARLEY_MAX_BLOB_SIZE");
  if (maxSize !== undefined) out.maxBlobBytes = parseByteSize(maxSize, "--max-blob-size");
  const quota = pick("blob-quota", "PARLEY_BLOB_QUOTA");
  if (quota !== undefined) out.maxBlobBytesPerAccount = parseByteSize(quota, "--blob-quota");
  return out;
}

const KNOWN = new Set([
  "push-subject",
  "turn-secret",
  "turn-ttl",
  "port",
  "host",
  "data",
  "public-url",
  "tls-cert",
  "tls-key",
  "static",
  "log-level",
  "sweep-interval",
  "metrics-token",
  "metrics-port",
  "metrics-host",
  "blob-lifetime",
  "max-blob-size",
  "blob-quota",
  "store",
  "bus",
  "blobs",
  "node-id",
  "drain-timeout",
]);
