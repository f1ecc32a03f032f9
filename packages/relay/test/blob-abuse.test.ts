// Blob abuse over real sockets and HTTP (issue 13, relay item 4): per-account quotas on open
// tickets and reserved bytes (N granted, N+1 → QUOTA_EXCEEDED), two concurrent PUTs on one
// ticket (one wins whole, the other gets 409 CONFLICT, the stored blob is exactly one body), and
// no blob id or capability in the relay's log.
import { readFileSync } from "node:fs";
import { request as httpRequest } from "node:http";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { newIdentity } from "./identities.js";
import { startTestServer, type TestServer } from "./server-fixture.js";
import { SocketClient } from "./socket-client.js";

const TICKETS = 3;
const ACCOUNT_BYTES = 6 * 1024 * 1024;
let t: TestServer;
beforeAll(async () => {
  t = await startTestServer({ maxOpenBlobTickets: TICKETS, maxBlobBytesPerAccount: ACCOUNT_BYTES, maxBlobBytes: 4 * 1024 * 1024 });
});
afterAll(async () => {
  await t.stop();
});

async function device(): Promise<SocketClient> {
  const c = await SocketClient.connect(t.url);
  expect(await c.register(newIdentity())).toMatchObject({ t: "ok" });
  return c;
}

async function ticket(c: SocketClient, size: number) {
  const granted = await c.request({ t: "blob_ticket", size });
  if (granted.t !== "blob_granted") throw new Error(`no ticket: ${JSON.stringify(granted)}`);
  return granted;
}

/** PUTs `chunks` one by one, waiting `gapMs` between them, so two uploads interleave on the wire. */
function put(blobId: string, capability: string, chunks: Buffer[], gapMs: number): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = httpRequest(
      `${t.httpUrl}/blobs/${blobId}`,
      { method: "PUT", headers: { authorization: `Bearer ${capability}`, "transfer-encoding": "chunked" } },
      (res) => {
        let body = "";
        res.on("data", (d: Buffer) => {
          body += d.toString();
        });
        res.on("end", () => resolve({ status: res.statusCode ?? 0, body }));
      },
    );
    req.on("error", (error) => {
      // A refused upload may be answered before its body is sent: the reset is expected then.
      if ((error as NodeJS.ErrnoException).code === "ECONNRESET" || (error as NodeJS.ErrnoException).code === "EPIPE") return;
      reject(error);
    });
    let i = 0;
    const next = () => {
      if (i === chunks.length) {
        req.end();
        return;
      }
      req.write(chunks[i++]);
      setTimeout(next, gapMs);
    };
    next();
  });
}

describe("blob quotas", () => {
  it("grants maxOpenBlobTickets open tickets per account and refuses one more with QUOTA_EXCEEDED, across connections", async () => {
    const c = await device();
    for (let i = 0; i < TICKETS; i++) await ticket(c, 10);
    expect(await c.request({ t: "blob_ticket", size: 10 })).toMatchObject({ t: "error", code: "QUOTA_EXCEEDED" });
    const other = await device();
    await ticket(other, 10);
    await Promise.all([c.close(), other.close()]);
  });

  it("reserves declared bytes: tickets up to maxBlobBytesPerAccount are granted, one byte more is refused", async () => {
    const c = await device();
    await ticket(c, 4 * 1024 * 1024);
    await ticket(c, ACCOUNT_BYTES - 4 * 1024 * 1024);
    expect(await c.request({ t: "blob_ticket", size: 1 })).toMatchObject({ t: "error", code: "QUOTA_EXCEEDED" });
    await c.close();
  });

  it("frees a ticket slot once its blob is uploaded, while its bytes stay counted", async () => {
    const c = await device();
    const big = await ticket(c, 4 * 1024 * 1024);
    await ticket(c, 100);
    await ticket(c, 100);
    expect((await put(big.blobId, big.capability, [Buffer.alloc(4 * 1024 * 1024, 1)], 0)).status).toBe(201);
    await ticket(c, ACCOUNT_BYTES - 4 * 1024 * 1024 - 200);
    expect(await c.request({ t: "blob_ticket", size: 1 })).toMatchObject({ t: "error", code: "QUOTA_EXCEEDED" });
    await c.close();
  });
});

describe("blob uploads", () => {
  it("releases an upload cut off mid-body: nothing is stored, a retry succeeds, and nothing is logged as an error", async () => {
    const c = await device();
    const granted = await ticket(c, 1_000_000);
    await new Promise<void>((resolve) => {
      const req = httpRequest(`${t.httpUrl}/blobs/${granted.blobId}`, {
        method: "PUT",
        headers: { authorization: `Bearer ${granted.capability}`, "content-length": "1000000" },
      });
      req.on("error", () => resolve());
      req.write(Buffer.alloc(300_000, 1), () => setTimeout(() => req.destroy(), 50));
    });
    await new Promise((r) => setTimeout(r, 100));
    expect((await fetch(`${t.httpUrl}/blobs/${granted.blobId}`)).status).toBe(404);
    expect((await put(granted.blobId, granted.capability, [Buffer.alloc(1_000_000, 2)], 0)).status).toBe(201);
    const errors = readFileSync(t.logFile, "utf8")
      .split("\n")
      .filter((line) => line.includes('"level":50'));
    expect(errors).toEqual([]);
    await c.close();
  });

  it("lets exactly one of two concurrent PUTs on one ticket store its whole body; the other gets 409 CONFLICT", async () => {
    const c = await device();
    const size = 2 * 1024 * 1024;
    const granted = await ticket(c, size);
    const chunk = 64 * 1024;
    const bodyA = Array.from({ length: size / chunk }, () => Buffer.alloc(chunk, 0xaa));
    const bodyB = Array.from({ length: size / chunk }, () => Buffer.alloc(chunk, 0xbb));
    const [a, b] = await Promise.all([
      put(granted.blobId, granted.capability, bodyA, 2),
      put(granted.blobId, granted.capability, bodyB, 2),
    ]);
    expect([a.status, b.status].sort()).toEqual([201, 409]);
    const loser = a.status === 409 ? a : b;
    expect(JSON.parse(loser.body)).toMatchObject({ error: "CONFLICT" });
    const stored = Buffer.from(await (await fetch(`${t.httpUrl}/blobs/${granted.blobId}`)).arrayBuffer());
    expect(stored.length).toBe(size);
    const winner = a.status === 201 ? 0xaa : 0xbb;
    expect(stored.every((byte) => byte === winner)).toBe(true);
    // A later PUT on the completed blob is a conflict too, and changes nothing.
    expect((await put(granted.blobId, granted.capability, [Buffer.alloc(10, 0xcc)], 0)).status).toBe(409);
    await c.close();
    const log = readFileSync(t.logFile, "utf8");
    expect(log).not.toContain(granted.blobId);
    expect(log).not.toContain(granted.capability);
  });
});
