/**
 * `/healthz` and `/metrics`. Health is 200 only while the relay accepts work and its storage can
 * take writes (free space above `minFreeStorageBytes` for the store and a blob directory, no
 * unrecovered failure of the store or of shared blob storage); otherwise 503 with the reason, so a load balancer or monitor
 * sees a full disk before clients do. Metrics can be protected by a bearer token.
 *
 * In a cluster, a bus outage answers 200 `{"status":"degraded","bus":"down"}`: the node still
 * serves its connections and polls the store for mail committed elsewhere, and when Redis
 * restarts every node sees the outage at once, so a 503 would make a load balancer take the
 * whole cluster out. Storage failures stay 503 (they win over the bus), and so does draining
 * (SIGTERM: the balancer must stop sending new clients). With a bus, the body also says
 * `"bus":"up"` or `"bus":"down"`.
 */

import { timingSafeEqual } from "node:crypto";
import type { IncomingMessage, ServerResponse } from "node:http";
import type { RelayContext } from "../context.js";

/** Writes a JSON answer (headers included) unless headers already went out. */
export function json(res: ServerResponse, status: number, body: Record<string, unknown>): void {
  if (!res.headersSent) res.writeHead(status, { "content-type": "application/json", "cache-control": "no-store" });
  res.end(JSON.stringify(body));
}

/** The relay's health: "ok", "draining", "storage_full" or "storage_failing" (the bus aside: see {@link answerHealth}). */
export async function relayHealth(ctx: RelayContext): Promise<string> {
  if (!ctx.accepting) return "draining";
  const min = ctx.limits.minFreeStorageBytes;
  const [store, blobs] = await Promise.all([ctx.store.health(min), ctx.blobs.health(min)]);
  if (store === "full" || blobs === "full") return "storage_full";
  if (store === "failing" || blobs === "failing") return "storage_failing";
  return "ok";
}

/** `GET /healthz`. */
export async function answerHealth(ctx: RelayContext, res: ServerResponse): Promise<void> {
  const status = await relayHealth(ctx);
  if (!ctx.cluster) {
    json(res, status === "ok" ? 200 : 503, { status });
    return;
  }
  const bus = ctx.cluster.busUp ? "up" : "down";
  if (status === "ok") json(res, 200, { status: bus === "up" ? "ok" : "degraded", bus });
  else json(res, 503, { status, bus });
}

/** `GET /metrics`, behind `Authorization: Bearer <token>` when a token is configured. */
export async function answerMetrics(
  ctx: RelayContext,
  req: IncomingMessage,
  res: ServerResponse,
  token: string | undefined,
): Promise<void> {
  if (token !== undefined && !bearerMatches(req.headers.authorization, token)) {
    res.writeHead(401, { "content-type": "application/json", "www-authenticate": "Bearer" });
    res.end(JSON.stringify({ error: "UNAUTHORIZED" }));
    return;
  }
  res.writeHead(200, { "content-type": ctx.metrics.registry.contentType, "cache-control": "no-store" });
  res.end(await ctx.metrics.registry.metrics());
}

function bearerMatches(header: string | undefined, token: string): boolean {
  const given = Buffer.from(/^Bearer (.+)$/.exec(header ?? "")?.[1] ?? "");
  const expected = Buffer.from(token);
  return given.length === expected.length && timingSafeEqual(given, expected);
}
