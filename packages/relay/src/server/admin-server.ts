/**
 * The optional admin listener (`--metrics-port`): `/metrics` and `/healthz` on their own address,
 * typically loopback or a private network, so the public port does not serve metrics at all.
 */

import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { Relay } from "../relay.js";
import { listenOn } from "./listen-on.js";
import { answerHealth, answerMetrics, json } from "./status-routes.js";

/** Options of {@link listenAdmin}. */
export interface AdminListenOptions {
  readonly port: number;
  readonly host: string;
  /** Bearer token `/metrics` requires here too, when set. */
  readonly metricsToken?: string | undefined;
}

/** A listening admin server. */
export interface AdminServer {
  readonly server: Server;
  readonly port: number;
  close(): Promise<void>;
}

/** Serves `/metrics` and `/healthz` of `relay` on a separate address. */
export async function listenAdmin(relay: Relay, options: AdminListenOptions): Promise<AdminServer> {
  const ctx = relay.context;
  const server = createServer((req: IncomingMessage, res: ServerResponse) => {
    const route = async () => {
      if (req.url === "/metrics") await answerMetrics(ctx, req, res, options.metricsToken);
      else if (req.url === "/healthz") await answerHealth(ctx, res);
      else json(res, 404, { error: "NOT_FOUND" });
    };
    route().catch(() => json(res, 500, { error: "INTERNAL" }));
  });
  const port = await listenOn(server, options.port, options.host);
  return {
    server,
    port,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
