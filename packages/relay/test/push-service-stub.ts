// A local RFC 8030 push service for tests, written independently of the relay's sender: it
// decrypts every push per RFC 8291/8188 with the subscription's private key and auth secret,
// and verifies the VAPID JWT (RFC 8292: ES256 signature under the `k` key, which must be the
// relay's; `aud` = this service's origin; `exp` in the future and under 24 h away). Each
// subscription can be told to answer another status (410) or to stall. Loopback only.
import { createDecipheriv, createECDH, createPublicKey, type ECDH, hkdfSync, randomBytes, verify } from "node:crypto";
import { createServer, type IncomingHttpHeaders, type Server } from "node:http";
import type { AddressInfo } from "node:net";

/** One push as the service received and checked it. */
export interface ReceivedPush {
  readonly subscription: string;
  readonly headers: IncomingHttpHeaders;
  /** The decrypted record: payload, 0x02 delimiter and padding stripped. */
  readonly plaintext: Uint8Array;
  /** Its length with padding (the delimiter excluded). */
  readonly paddedLength: number;
  readonly body: Uint8Array;
  readonly jwtClaims: Record<string, unknown>;
}

/** A browser's subscription to this service, with its private side. */
export interface StubSubscription {
  readonly id: string;
  readonly endpoint: string;
  readonly p256dh: Uint8Array;
  readonly auth: Uint8Array;
  readonly ecdh: ECDH;
}

/** The running stub. */
export interface PushServiceStub {
  readonly origin: string;
  readonly received: ReceivedPush[];
  /** Pushes refused, with why (bad JWT, undecryptable). */
  readonly refused: { subscription: string; reason: string }[];
  subscribe(): StubSubscription;
  /** Later pushes to `id` are answered `status` (e.g. 410), or stall for `stallMs` first. */
  behave(id: string, behaviour: { status?: number; stallMs?: number }): void;
  close(): Promise<void>;
}

const b64url = (b: Uint8Array) => Buffer.from(b).toString("base64url");

/** Starts the stub on 127.0.0.1; `vapidKey` is the relay's public key the JWT must be signed with. */
export async function startPushServiceStub(vapidKey: () => Uint8Array): Promise<PushServiceStub> {
  const subscriptions = new Map<string, StubSubscription>();
  const behaviours = new Map<string, { status?: number; stallMs?: number }>();
  const received: ReceivedPush[] = [];
  const refused: { subscription: string; reason: string }[] = [];
  const stalls = new Set<NodeJS.Timeout>();
  let origin = "";

  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => {
      const id = (req.url ?? "").replace(/^\/push\//, "");
      const subscription = subscriptions.get(id);
      const behaviour = behaviours.get(id) ?? {};
      const answer = () => {
        if (!subscription || req.method !== "POST") return void res.writeHead(404).end();
        if (behaviour.status !== undefined) return void res.writeHead(behaviour.status).end();
        const body = Buffer.concat(chunks);
        try {
          const jwtClaims = checkVapid(req.headers.authorization, origin, vapidKey());
          const { plaintext, paddedLength } = decrypt(body, subscription);
          if (req.headers["content-encoding"] !== "aes128gcm") throw new Error("content-encoding is not aes128gcm");
          received.push({ subscription: id, headers: req.headers, plaintext, paddedLength, body, jwtClaims });
          res.writeHead(201).end();
        } catch (error) {
          refused.push({ subscription: id, reason: (error as Error).message });
          res.writeHead(400).end();
        }
      };
      if (behaviour.stallMs === undefined) return answer();
      const timer = setTimeout(() => {
        stalls.delete(timer);
        if (!res.destroyed) answer();
      }, behaviour.stallMs);
      stalls.add(timer);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    origin,
    received,
    refused,
    subscribe() {
      const ecdh = createECDH("prime256v1");
      const p256dh = new Uint8Array(ecdh.generateKeys());
      const id = randomBytes(12).toString("hex");
      const sub = { id, endpoint: `${origin}/push/${id}`, p256dh, auth: new Uint8Array(randomBytes(16)), ecdh };
      subscriptions.set(id, sub);
      return sub;
    },
    behave(id, behaviour) {
      behaviours.set(id, behaviour);
    },
    async close() {
      for (const timer of stalls) clearTimeout(timer);
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

/** RFC 8292 §2–3: `vapid t=JWT, k=KEY`; returns the JWT's claims or throws why not. */
function checkVapid(header: string | undefined, audience: string, relayKey: Uint8Array): Record<string, unknown> {
  const match = /^vapid t=([\w-]+)\.([\w-]+)\.([\w-]+), k=([\w-]+)$/.exec(header ?? "");
  if (!match) throw new Error("no vapid authorization");
  const [, head, claimsText, signature, k] = match as unknown as [string, string, string, string, string];
  const key = Buffer.from(k, "base64url");
  if (!key.equals(Buffer.from(relayKey))) throw new Error("k is not the relay's VAPID key");
  const jwk = { kty: "EC", crv: "P-256", x: b64url(key.subarray(1, 33)), y: b64url(key.subarray(33)) };
  const ok = verify(
    "sha256",
    Buffer.from(`${head}.${claimsText}`),
    { key: createPublicKey({ key: jwk, format: "jwk" }), dsaEncoding: "ieee-p1363" },
    Buffer.from(signature, "base64url"),
  );
  if (!ok) throw new Error("bad JWT signature");
  if (JSON.parse(Buffer.from(head, "base64url").toString()).alg !== "ES256") throw new Error("JWT alg is not ES256");
  const claims = JSON.parse(Buffer.from(claimsText, "base64url").toString()) as Record<string, unknown>;
  if (claims.aud !== audience) throw new Error(`aud ${String(claims.aud)} is not ${audience}`);
  const now = Date.now() / 1000;
  if (typeof claims.exp !== "number" || claims.exp <= now || claims.exp > now + 24 * 3600) throw new Error("exp not within 24 h");
  return claims;
}

/** RFC 8291 §3.4 + RFC 8188: decrypts the single record. */
function decrypt(body: Buffer, sub: StubSubscription): { plaintext: Uint8Array; paddedLength: number } {
  const salt = body.subarray(0, 16);
  const idLength = body.readUInt8(20);
  const senderKey = body.subarray(21, 21 + idLength);
  const record = body.subarray(21 + idLength);
  const ecdhSecret = sub.ecdh.computeSecret(senderKey);
  const info = Buffer.concat([Buffer.from("WebPush: info\0"), sub.p256dh, senderKey]);
  const ikm = Buffer.from(hkdfSync("sha256", ecdhSecret, sub.auth, info, 32));
  const cek = Buffer.from(hkdfSync("sha256", ikm, salt, Buffer.from("Content-Encoding: aes128gcm\0"), 16));
  const nonce = Buffer.from(hkdfSync("sha256", ikm, salt, Buffer.from("Content-Encoding: nonce\0"), 12));
  const decipher = createDecipheriv("aes-128-gcm", cek, nonce);
  decipher.setAuthTag(record.subarray(record.length - 16));
  const padded = Buffer.concat([decipher.update(record.subarray(0, record.length - 16)), decipher.final()]);
  let end = padded.length - 1;
  while (end >= 0 && padded[end] === 0) end--;
  if (padded[end] !== 0x02) throw new Error("no last-record delimiter");
  return { plaintext: new Uint8Array(padded.subarray(0, end)), paddedLength: padded.length - 1 };
}
