/**
 * Binding an HTTP(S) server to a port: resolves with the port actually bound (for port 0) once
 * listening, rejects with the listen error (EADDRINUSE, EACCES …) instead of leaving it unhandled.
 */

import type { Server } from "node:http";
import type { AddressInfo } from "node:net";

/** Listens on `host:port` and resolves with the bound port. */
export async function listenOn(server: Server, port: number, host: string): Promise<number> {
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(port, host, () => {
      server.off("error", reject);
      resolve();
    });
  });
  return (server.address() as AddressInfo).port;
}
