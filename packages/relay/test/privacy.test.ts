// End to end with the real protocol: Alice fetches Bob's bundle, encrypts a sealed envelope with
// a marker string in its plaintext, and sends it over an unauthenticated connection with Bob's
// delivery token; Bob decrypts it. Afterwards the relay's data directory (SQLite file, WAL,
// blobs) and its logs contain no marker, and neither the logs nor the stored message rows
// contain Alice's identity in any form.
import { readdirSync, readFileSync, statSync } from "node:fs";
import { join } from "node:path";
import {
  encryptSealed,
  generateKemPreKey,
  generateOneTimePreKeys,
  generateSignedPreKey,
  initiateSession,
  openAndDecrypt,
  type PreKeyLookup,
} from "@parley/protocol";
import Database from "better-sqlite3";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { deps, messageId, newIdentity, utf8 } from "./identities.js";
import { startTestServer, type TestServer } from "./server-fixture.js";
import { SocketClient } from "./socket-client.js";

const MARKER = "PARLEY-PLAINTEXT-MARKER-7f3a9c";
let t: TestServer;
let dataDir: string;
beforeAll(async () => {
  t = await startTestServer();
  dataDir = t.dataDir;
});
afterAll(async () => {
  await t.stop();
});

function allFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    return statSync(path).isDirectory() ? allFiles(path) : [path];
  });
}

/** Every encoding of `bytes` a careless log line might use. */
function forms(bytes: Uint8Array): Buffer[] {
  const b = Buffer.from(bytes);
  return [b, Buffer.from(b.toString("hex")), Buffer.from(b.toString("base64")), Buffer.from(b.toString("base64url"))];
}

describe("privacy of stored and logged data", () => {
  it("keeps no plaintext and no sealed sender identity after an end-to-end run", async () => {
    const alice = newIdentity();
    const bob = newIdentity();
    const signed = generateSignedPreKey(deps, bob.device, 1);
    const oneTime = generateOneTimePreKeys(deps, 1, 2);
    const kem = [generateKemPreKey(deps, bob.device, 1, "one-time"), generateKemPreKey(deps, bob.device, 2, "last-resort")];
    const lookup: PreKeyLookup = {
      signedPreKey: (id) => (id === 1 ? signed : undefined),
      oneTimePreKey: (id) => oneTime.find((k) => k.id === id),
      kemPreKey: (id) => kem.find((k) => k.id === id),
    };
    const b = await SocketClient.connect(t.url);
    await b.register(bob);
    await b.request({
      t: "upload_prekeys",
      signedPreKey: signed.record,
      oneTimePreKeys: oneTime.map((k) => k.record),
      kemPreKeys: kem.map((k) => k.record),
    });
    const token = deps.crypto.randomBytes(32);
    await b.request({ t: "set_delivery_token", tokenHash: deps.crypto.sha256(token), open: false });
    await b.request({ t: "claim_handle", handle: "bob" });

    // Alice looks Bob up and takes a bundle over her authenticated connection…
    const a = await SocketClient.connect(t.url);
    await a.register(alice);
    const found = await a.request({ t: "lookup_handle", handle: "Bob" });
    if (found.t !== "handle") throw new Error("lookup failed");
    const response = await a.request({ t: "fetch_bundles", userId: found.userId });
    if (response.t !== "bundles" || !response.bundles[0]) throw new Error("no bundle");
    const bundle = response.bundles[0];
    const { record } = initiateSession(
      deps,
      alice.device,
      undefined,
      {
        deviceCertificate: bundle.certificate,
        signedPreKey: bundle.signedPreKey,
        oneTimePreKey: bundle.oneTimePreKey,
        kemPreKey: bundle.kemPreKey,
      },
      { accountKey: found.accountKey, deviceId: 1 },
    );
    await a.close();

    // …and sends sealed over a fresh, unauthenticated connection, authorised by Bob's token.
    const { envelope } = encryptSealed(deps, alice.device, record, utf8(`hello bob ${MARKER}`));
    const anonymous = await SocketClient.connect(t.url);
    const sent = await anonymous.request({
      t: "sealed_send",
      userId: bob.account.userId,
      token,
      messages: [{ deviceId: 1, messageId: messageId(), envelope }],
    });
    expect(sent).toMatchObject({ results: ["OK"] });
    await anonymous.close();

    const delivered = await b.next((f) => f.t === "message");
    if (delivered.t !== "message") throw new Error("no message");
    const opened = openAndDecrypt(deps, bob.device, delivered.envelope, () => undefined, lookup);
    expect(new TextDecoder().decode(opened.plaintext)).toContain(MARKER);
    expect(opened.sender.userId).toEqual(alice.account.userId);
    await b.request({ t: "ack", messageIds: [delivered.messageId] });
    await b.close();
    // Keep one message queued (not acked) so the stored row is on disk when we look.
    const c = await SocketClient.connect(t.url);
    await c.request({ t: "sealed_send", userId: bob.account.userId, token, messages: [{ deviceId: 1, messageId: messageId(), envelope }] });
    await c.close();

    const aliceIdentity = [
      alice.account.userId,
      alice.account.publicKey,
      alice.device.signingKey.publicKey,
      alice.device.identityKey.publicKey,
    ];
    const marker = Buffer.from(MARKER);
    const files = allFiles(dataDir);
    expect(files.some((f) => f.endsWith("relay.sqlite"))).toBe(true);
    for (const file of files) expect(readFileSync(file).includes(marker), file).toBe(false);
    const log = readFileSync(t.logFile);
    expect(log.length).toBeGreaterThan(0);
    for (const key of aliceIdentity) for (const form of forms(key)) expect(log.includes(form)).toBe(false);

    // The mail tables hold nothing that names Alice: no column for a sender, and no bytes of her keys.
    const db = new Database(join(dataDir, "relay.sqlite"), { readonly: true });
    const rows = db.prepare("SELECT * FROM messages").all() as Record<string, unknown>[];
    db.close();
    expect(rows.length).toBe(1);
    const stored = Buffer.concat(rows.flatMap((row) => Object.values(row).map((v) => (Buffer.isBuffer(v) ? v : Buffer.from(String(v))))));
    for (const key of aliceIdentity) expect(stored.includes(Buffer.from(key))).toBe(false);
    expect(Object.keys(rows[0] ?? {}).sort()).toEqual([
      "device_id",
      "envelope",
      "expires_at",
      "message_id",
      "payload_id",
      "received_at",
      "seq",
      "user_id",
    ]);
  });
});
