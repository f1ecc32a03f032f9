// End to end with the real protocol: Alice fetches Bob's bundle, encrypts a sealed envelope with
// a marker string in its plaintext, and sends it over an unauthenticated connection with Bob's
// delivery token; Bob decrypts it. Afterwards the relay's data directory (SQLite file, WAL,
// blobs) and its logs contain no marker, and neither the logs nor the stored message rows
// contain Alice's identity in any form. The same for a group send: one `multi_send` to several
// devices of several users, whose stored rows and shared payload name neither the sender nor
// anything of the group, and whose logs hold no token, key or user id.
import { readdirSync, readFileSync, statSync } from "node:fs";
import { join } from "node:path";
import {
  encryptSealed,
  generateKemPreKey,
  generateOneTimePreKeys,
  generateSignedPreKey,
  initiateSession,
  openAndDecrypt,
  openEnvelope,
  type PreKeyLookup,
  sealMulti,
} from "@parley/protocol";
import Database from "better-sqlite3";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { addDevice, deps, messageId, newIdentity, utf8 } from "./identities.js";
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

describe("privacy of a group send (multi_send)", () => {
  it("stores and logs nothing that names the sender or the group, and keeps the payload once", async () => {
    const GROUP_MARKER = "PARLEY-GROUP-NAME-MARKER-51c0de";
    const alice = newIdentity();
    const dave = newIdentity();
    const dave2 = addDevice(dave, 2, [1, 2]);
    const erin = newIdentity();
    const members = [dave, dave2, erin];
    const connections: SocketClient[] = [];
    for (const m of members) {
      const c = await SocketClient.connect(t.url);
      expect((await c.register(m)).t).toBe("ok");
      connections.push(c);
    }
    const tokens: [Uint8Array, Uint8Array] = [deps.crypto.randomBytes(32), deps.crypto.randomBytes(32)];
    await connections[0]?.request({ t: "set_delivery_token", tokenHash: deps.crypto.sha256(tokens[0] as Uint8Array), open: false });
    await connections[2]?.request({ t: "set_delivery_token", tokenHash: deps.crypto.sha256(tokens[1] as Uint8Array), open: false });

    // The group's name travels only inside the encrypted message (as group content would).
    const { payload, headers } = sealMulti(
      deps,
      alice.device,
      members.map((m) => ({ identityKey: m.device.identityKey.publicKey })),
      utf8(`group "${GROUP_MARKER}": ${MARKER}`),
    );
    const anonymous = await SocketClient.connect(t.url);
    const sent = await anonymous.request({
      t: "multi_send",
      payload,
      recipients: [
        {
          userId: dave.account.userId,
          token: tokens[0],
          devices: [
            { deviceId: 1, header: headers[0] as Uint8Array },
            { deviceId: 2, header: headers[1] as Uint8Array },
          ],
        },
        { userId: erin.account.userId, token: tokens[1], devices: [{ deviceId: 1, header: headers[2] as Uint8Array }] },
      ],
    });
    expect(sent).toMatchObject({ results: ["OK", "OK", "OK"] });
    await anonymous.close();

    // Every member device opens it and learns Alice; two acknowledge, one keeps it queued.
    for (const [i, c] of connections.entries()) {
      const delivered = await c.next((f) => f.t === "message");
      if (delivered.t !== "message") throw new Error("no message");
      const opened = openEnvelope(deps, (members[i] as (typeof members)[number]).device.identityKey, delivered.envelope);
      expect(new TextDecoder().decode(opened.message)).toContain(GROUP_MARKER);
      expect(opened.sender.userId).toEqual(alice.account.userId);
      if (i < 2) await c.request({ t: "ack", messageIds: [delivered.messageId] });
      await c.close();
    }

    const aliceIdentity = [
      alice.account.userId,
      alice.account.publicKey,
      alice.device.signingKey.publicKey,
      alice.device.identityKey.publicKey,
    ];
    for (const file of allFiles(dataDir)) {
      const bytes = readFileSync(file);
      expect(bytes.includes(Buffer.from(MARKER)), file).toBe(false);
      expect(bytes.includes(Buffer.from(GROUP_MARKER)), file).toBe(false);
    }
    const log = readFileSync(t.logFile);
    for (const secret of [...aliceIdentity, ...tokens, dave.account.userId, erin.account.userId]) {
      for (const form of forms(secret)) expect(log.includes(form)).toBe(false);
    }
    const db = new Database(join(dataDir, "relay.sqlite"), { readonly: true });
    const rows = db.prepare("SELECT * FROM messages WHERE payload_id IS NOT NULL").all() as Record<string, unknown>[];
    const payloads = db.prepare("SELECT * FROM shared_payloads").all() as Record<string, unknown>[];
    db.close();
    // Erin's unacknowledged copy: one row, naming the shared payload, which is stored once.
    expect(rows.length).toBe(1);
    expect(payloads.length).toBe(1);
    expect(Object.keys(payloads[0] ?? {}).sort()).toEqual(["payload", "payload_id"]);
    const stored = Buffer.concat(
      [...rows, ...payloads].flatMap((row) => Object.values(row).map((v) => (Buffer.isBuffer(v) ? v : Buffer.from(String(v))))),
    );
    for (const key of aliceIdentity) expect(stored.includes(Buffer.from(key))).toBe(false);
    expect(stored.includes(Buffer.from(GROUP_MARKER))).toBe(false);
  });
});
