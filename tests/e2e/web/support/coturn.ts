// A private coturn for call tests: `turnserver` on 127.0.0.1 with a free UDP port, the TURN REST
// API scheme (`use-auth-secret` + `static-auth-secret`), no config file, no TLS/DTLS/TCP relay,
// no CLI, loopback peers allowed (the call tests run in a loopback-only namespace), its pid file
// and database in a temporary directory, and its log kept for failure messages. Ready means it
// answered a STUN binding request; every wait is bounded. Missing `turnserver` skips locally and
// fails in CI (CI=true), like Chromium.
import { type ChildProcess, spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import { createSocket } from "node:dgram";
import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

/** Debian's coturn package; `.ci/run` installs it. Override with PARLEY_TURNSERVER. */
export const TURNSERVER_PATH = process.env.PARLEY_TURNSERVER ?? "/usr/bin/turnserver";

const inCi = process.env.CI !== undefined && process.env.CI !== "" && process.env.CI !== "false" && process.env.CI !== "0";

/** True when TURN tests should be skipped: no turnserver here and not in CI. */
export const skipWithoutCoturn = !existsSync(TURNSERVER_PATH) && !inCi;

/** The realm the test coturn uses. */
export const COTURN_REALM = "parley.test";

export interface Coturn {
  /** `turn:127.0.0.1:PORT?transport=udp`: what the relay's `--turn-url` gets. */
  readonly url: string;
  readonly port: number;
  /** The shared secret (`static-auth-secret`). */
  readonly secret: string;
  /** Everything coturn logged so far (verbose: allocations and refused credentials). */
  log(): string;
  /** SIGTERM (SIGKILL after 5 s), wait for exit, remove the temporary directory. */
  stop(): Promise<void>;
}

/** A UDP port free on 127.0.0.1 right now. */
async function freeUdpPort(): Promise<number> {
  const socket = createSocket("udp4");
  await new Promise<void>((resolve, reject) => {
    socket.once("error", reject);
    socket.bind(0, "127.0.0.1", () => resolve());
  });
  const { port } = socket.address();
  await new Promise<void>((resolve) => socket.close(() => resolve()));
  return port;
}

/** True when a STUN binding request to 127.0.0.1:`port` gets a binding success answer within `ms`. */
async function stunAnswers(port: number, ms: number): Promise<boolean> {
  const socket = createSocket("udp4");
  const request = Buffer.alloc(20);
  request.writeUInt16BE(0x0001, 0); // Binding request, no attributes
  request.writeUInt32BE(0x2112a442, 4); // magic cookie
  randomBytes(12).copy(request, 8);
  try {
    return await new Promise<boolean>((resolve) => {
      const timer = setTimeout(() => resolve(false), ms);
      socket.on("message", (m: Buffer) => {
        if (m.length >= 20 && m.readUInt16BE(0) === 0x0101 && m.subarray(8, 20).equals(request.subarray(8, 20))) {
          clearTimeout(timer);
          resolve(true);
        }
      });
      socket.on("error", () => undefined);
      socket.send(request, port, "127.0.0.1");
    });
  } finally {
    socket.close();
  }
}

/** Throws a loud, actionable error when turnserver is missing (reached in CI only: elsewhere the tests skip). */
export function requireCoturn(): void {
  if (!existsSync(TURNSERVER_PATH))
    throw new Error(
      `turnserver not found at ${TURNSERVER_PATH}. CI=true needs it: install it with ` +
        "`apt-get install -y coturn` (.ci/run does), or point PARLEY_TURNSERVER at a coturn binary.",
    );
}

/** Starts a private coturn with `secret`; resolves once it answers STUN (at most 15 s). */
export async function startCoturn(secret: string = randomBytes(16).toString("hex")): Promise<Coturn> {
  requireCoturn();
  const dir = mkdtempSync(join(tmpdir(), "parley-coturn-"));
  const port = await freeUdpPort();
  // A relay port range of its own per instance (other test files may run a coturn at the same time).
  const minPort = 40_000 + Math.floor(Math.random() * 200) * 100;
  const args = [
    "-n", // no configuration file
    "--listening-ip=127.0.0.1",
    "--relay-ip=127.0.0.1",
    `--listening-port=${port}`,
    `--min-port=${minPort}`,
    `--max-port=${minPort + 99}`,
    "--use-auth-secret",
    `--static-auth-secret=${secret}`,
    `--realm=${COTURN_REALM}`,
    "--allow-loopback-peers",
    "--no-cli",
    "--no-tls",
    "--no-dtls",
    "--no-tcp-relay",
    "--no-software-attribute",
    `--pidfile=${join(dir, "turnserver.pid")}`,
    `--userdb=${join(dir, "turndb")}`,
    "--log-file=stdout",
    "--simple-log",
    "--verbose",
  ];
  const child: ChildProcess = spawn(TURNSERVER_PATH, args, { stdio: ["ignore", "pipe", "pipe"] });
  let output = "";
  const append = (d: Buffer) => {
    output += d.toString();
    // Keep memory bounded on a long test: the start and the most recent part.
    if (output.length > 2_000_000) output = `${output.slice(0, 200_000)}\n…\n${output.slice(-1_000_000)}`;
  };
  child.stdout?.on("data", append);
  child.stderr?.on("data", append);
  let exitCode: number | null | undefined;
  const exited = new Promise<void>((resolve) =>
    child.once("exit", (code) => {
      exitCode = code;
      resolve();
    }),
  );
  const stop = async () => {
    if (exitCode === undefined) {
      child.kill("SIGTERM");
      const killer = setTimeout(() => child.kill("SIGKILL"), 5_000);
      await exited;
      clearTimeout(killer);
    }
    rmSync(dir, { recursive: true, force: true });
  };
  const deadline = Date.now() + 15_000;
  while (!(await stunAnswers(port, 250))) {
    if (exitCode !== undefined || Date.now() > deadline) {
      await stop();
      throw new Error(`coturn did not answer STUN on 127.0.0.1:${port} (exit ${String(exitCode)}):\n${output.slice(-4000)}`);
    }
  }
  return {
    url: `turn:127.0.0.1:${port}?transport=udp`,
    port,
    secret,
    log: () => output,
    stop,
  };
}
