// A relay listening on 127.0.0.1 with an on-disk SQLite store in a temp dir, for socket tests.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { type Logger, pino } from "pino";
import type { Limits } from "../src/limits.js";
import { createRelay, type Relay } from "../src/relay.js";
import { listen, type RelayServer } from "../src/server/server.js";
import { openSqliteStore } from "../src/store/sqlite-store.js";
import { deps } from "./identities.js";

export interface TestServer {
  readonly relay: Relay;
  readonly server: RelayServer;
  readonly url: string;
  readonly httpUrl: string;
  readonly dataDir: string;
  readonly logFile: string;
  stop(): Promise<void>;
}

export async function startTestServer(limits: Partial<Limits> = {}, options: { logger?: Logger } = {}): Promise<TestServer> {
  const dataDir = mkdtempSync(join(tmpdir(), "parley-relay-test-"));
  const logFile = join(dataDir, "relay.log");
  const logger = options.logger ?? pino({ level: "debug" }, pino.destination({ dest: logFile, sync: true }));
  let httpUrl = "";
  const relay = await createRelay({
    store: openSqliteStore(join(dataDir, "relay.sqlite")),
    blobDir: join(dataDir, "blobs"),
    relayId: () => httpUrl,
    limits,
    deps,
    logger,
  });
  const server = await listen(relay, { port: 0, host: "127.0.0.1" });
  httpUrl = `http://127.0.0.1:${server.port}`;
  return {
    relay,
    server,
    url: `ws://127.0.0.1:${server.port}/`,
    httpUrl,
    dataDir,
    logFile,
    async stop() {
      const closed = server.stopAccepting();
      await relay.shutdown();
      await closed;
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}
