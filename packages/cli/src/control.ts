/**
 * The profile's control socket. A profile opens in one process at a time (its store is locked),
 * so while `parley read --follow` runs, `parley send` on the same profile cannot open it; the
 * follower listens on `<profile>/control.sock` instead and sends on its behalf. The socket sits
 * in the profile's 0700 folder and the request carries the passphrase, which the follower
 * compares (as a hash, in constant time) with its own: the socket grants nothing the passphrase
 * does not. One JSON line each way.
 */

import { createHash, timingSafeEqual } from "node:crypto";
import { chmod, rm } from "node:fs/promises";
import { createConnection, createServer, type Server } from "node:net";
import { join } from "node:path";
import { CliError, describeError, type ExitCode } from "./errors.js";
import { type ProfileOptions, profileDir } from "./profile.js";

/** What `parley send` asks the follower to send. */
export interface SendRequest {
  readonly target?: string;
  readonly group?: string;
  readonly text: string;
  /** An absolute path. */
  readonly file?: string;
  readonly replyTo?: string;
}

type Answer = { readonly ok: true; readonly id: string } | { readonly ok: false; readonly code: ExitCode; readonly message: string };

/** A line longer than this is refused (a text is at most 64 KiB). */
const MAX_REQUEST_BYTES = 1 << 20;

export function controlSocketPath(options: ProfileOptions): string {
  return join(profileDir(options), "control.sock");
}

const digest = (passphrase: string) => createHash("sha256").update(passphrase, "utf8").digest();

/** Listens for send requests until the returned function is called. */
export async function serveControl(
  options: ProfileOptions,
  passphrase: string,
  send: (request: SendRequest) => Promise<string>,
): Promise<() => Promise<void>> {
  const path = controlSocketPath(options);
  const expected = digest(passphrase);
  // We hold the profile's lock, so a socket file here is a crashed follower's leftover.
  await rm(path, { force: true });
  const server: Server = createServer((socket) => {
    let buffer = "";
    socket.setEncoding("utf8");
    socket.on("error", () => socket.destroy());
    socket.on("data", (chunk: string) => {
      buffer += chunk;
      if (buffer.length > MAX_REQUEST_BYTES) return socket.destroy();
      const end = buffer.indexOf("\n");
      if (end < 0) return;
      socket.pause();
      void answer(buffer.slice(0, end)).then((reply) => socket.end(`${JSON.stringify(reply)}\n`));
    });
  });
  const answer = async (line: string): Promise<Answer> => {
    try {
      const { passphrase: given, request } = JSON.parse(line) as { passphrase: unknown; request: SendRequest };
      if (typeof given !== "string" || !timingSafeEqual(digest(given), expected))
        throw Object.assign(new Error("passphrase"), { code: "ERR_STORE_PASSPHRASE" });
      return { ok: true, id: await send(request) };
    } catch (error) {
      const report = describeError(error);
      return { ok: false, code: report.code, message: report.message };
    }
  };
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(path, () => resolve());
  });
  await chmod(path, 0o600);
  return async () => {
    await new Promise<void>((resolve) => server.close(() => resolve()));
    await rm(path, { force: true });
  };
}

/**
 * Hands `request` to the profile's follower. Resolves with the message id, or undefined when no
 * follower listens; a refusal (wrong passphrase, unknown contact…) throws its CliError.
 */
export function sendViaControl(options: ProfileOptions, passphrase: string, request: SendRequest): Promise<string | undefined> {
  return new Promise((resolve, reject) => {
    const socket = createConnection(controlSocketPath(options));
    let reply = "";
    socket.setEncoding("utf8");
    socket.on("connect", () => socket.write(`${JSON.stringify({ passphrase, request })}\n`));
    socket.on("data", (chunk: string) => {
      reply += chunk;
    });
    socket.on("error", (error: NodeJS.ErrnoException) => {
      if (error.code === "ENOENT" || error.code === "ECONNREFUSED") resolve(undefined);
      else reject(error);
    });
    socket.on("end", () => {
      try {
        const answer = JSON.parse(reply) as Answer;
        if (answer.ok) resolve(answer.id);
        else reject(new CliError(answer.code, answer.message));
      } catch {
        reject(new CliError(1, "the running `parley read --follow` gave no answer"));
      }
    });
  });
}
