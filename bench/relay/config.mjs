// Every knob of the relay benchmark in one place, each with why it has its value: the load
// shapes of the three metrics, the targets from the issue, the relay limits the bench raises,
// and the time bounds that keep `npm run bench:relay` under about six minutes.

/** Rounds per metric and server; the servers alternate (relay first in even rounds). */
export const ROUNDS = 3;

/** Opaque envelope size of every message, both servers: a short sealed text message is about this big. */
export const ENVELOPE_BYTES = 200;

/** Throughput: N senders → N recipients (sender i → recipient i), each sender keeps WINDOW sends unanswered. */
export const THROUGHPUT = {
  pairs: 32,
  /** Unanswered sends per sender: 32 × 32 = 1,024 in flight, enough to fill a group commit without queueing seconds of work. */
  window: 32,
  /** Untimed ramp-up (JIT, SQLite page cache, TCP windows). */
  warmupMs: 1_000,
  /** The measured window, as the issue asks (~5 s). */
  windowMs: 5_000,
  /** After sending stops, every acknowledged message must arrive within this. */
  drainTimeoutMs: 20_000,
};

/** Latency: a fixed offered load, paced, open loop. */
export const LATENCY = {
  pairs: 32,
  ratePerSecond: 2_000,
  /** First second discarded (warm-up); the next nine are measured: ~10 s in all. */
  warmupMs: 1_000,
  durationMs: 10_000,
  /** Pacer period: at 2,000 msg/s a tick sends ~4 messages. */
  tickMs: 2,
  /** Sent but not delivered beyond this (5 s of load) means the server cannot keep up: stop and report. */
  maxBacklog: 10_000,
  drainTimeoutMs: 20_000,
};

/** Idle connections: how many, held how long, spread over how many loopback source addresses. */
export const IDLE = {
  connections: 10_000,
  holdMs: 10_000,
  /** 127.0.0.2 … 127.0.0.9: keeps every source address far from the ephemeral port range's end. */
  sourceAddresses: 8,
  /** Handshakes in flight while opening (a pool, not 10,000 at once: no SYN-queue overflow). */
  openConcurrency: 200,
  openTimeoutMs: 90_000,
  /** Wait after asking the server to collect garbage before reading VmRSS. */
  gcSettleMs: 1_000,
};

/** Relay devices registered concurrently during setup (each registration is one fsync'd transaction). */
export const REGISTER_CONCURRENCY = 32;

/** The targets. */
export const TARGETS = {
  idleConnections: 10_000,
  /** "20 KB" read strictly as 20,000 bytes (not KiB). */
  bytesPerConnection: 20_000,
  throughputRatio: 0.5,
  p99Ms: 50,
  latencyRate: 2_000,
};

/**
 * Relay limits the bench raises (`--limit NAME=VALUE`), with the default each replaces. The
 * defaults are per-client abuse limits; one load generator plays thousands of clients from a
 * handful of addresses, so they would measure the limiter, not the relay.
 */
export const RELAY_LIMITS = {
  /** Default 32: 10,000 idle connections come from 8 loopback addresses (1,250 each). */
  maxConnectionsPerAddress: 100_000,
  /** Default 200/s: a throughput sender sends thousands of frames a second. */
  connectionFramesPerSecond: 1_000_000,
  /** Default 1,000. */
  connectionFrameBurst: 1_000_000,
  /** Default 100/s: one recipient gets thousands of messages a second. */
  recipientMessagesPerSecond: 1_000_000,
  /** Default 200. */
  recipientMessageBurst: 1_000_000,
  /** Default 10,000: headroom should delivery fall behind during a window. */
  maxQueueDepth: 1_000_000,
  /** Default 512 KiB/s: a throughput sender's frames add up to more. */
  connectionBytesPerSecond: 1_000_000_000,
  /** Default 1 MiB. */
  connectionByteBurst: 1_000_000_000,
  /** Default 1,000: one load-generator sender can have more unacknowledged in one mailbox. */
  maxQueuedPerSender: 1_000_000,
  /** Default 2,500 (sealed sends from one address). */
  maxQueuedPerAddress: 1_000_000,
  /** Default 200/s (sealed sends per address and recipient). */
  sealedAddressMessagesPerSecond: 1_000_000,
  /** Default 400. */
  sealedAddressMessageBurst: 1_000_000,
  /** Default 4 MiB/s: all load-generator connections share a few addresses. */
  addressBytesPerSecond: 1_000_000_000,
  /** Default 8 MiB. */
  addressByteBurst: 1_000_000_000,
  /** Default 30 s: idle connections may stay unauthenticated for the whole run. */
  loginTimeoutMs: 3_600_000,
};

/** Open-files limit asked for inside the bench's child shells; the hard limit caps it when it is lower. */
export const OPEN_FILES = 65_536;

/** Longest any one command to the load generator may take before the run is abandoned. */
export const COMMAND_TIMEOUT_MS = 150_000;
