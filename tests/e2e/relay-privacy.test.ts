// After real clients chat, the relay's database (with its WAL), blob directory and logs hold no
// plaintext and no trace of who wrote to whom once sealed sending is in use — in 1:1 chats, and
// in a group with a file, whose sends reach the relay as `multi_send` on unauthenticated
// connections and are stored without any sender.
import { createHash } from "node:crypto";
import { copyFileSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { attachmentLayout } from "@parley/protocol";
import type { ParleyClient, TransportFactory } from "@parley/protocol/client";
import { nodeTransport } from "@parley/protocol/node";
import { decodeFrame } from "@parley/protocol/wire";
import Database from "better-sqlite3";
import { afterAll, beforeAll, expect, test } from "vitest";
import { eventually, newClient, waitFor } from "./support/clients.js";
import { type RelayProcess, startRelay } from "./support/relay-process.js";

let relay: RelayProcess;
beforeAll(async () => {
  // Debug logging: the most the relay ever writes to its logs.
  relay = await startRelay({ args: ["--log-level", "debug"] });
});
afterAll(async () => {
  await relay?.stop();
  relay?.cleanup();
});

function filesUnder(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    return statSync(path).isDirectory() ? filesUnder(path) : [path];
  });
}

/** Everything the relay keeps: every file under its data directory (database, WAL, blobs) and its logs. */
function relayKeeps(): Buffer {
  return Buffer.concat([...filesUnder(relay.dataDir).map((f) => readFileSync(f)), Buffer.from(relay.output())]);
}

/** The forms a string could be kept in: UTF-8, UTF-16 and the base64 variants, hex. */
function encodings(text: string): string[] {
  const bytes = Buffer.from(text);
  return [
    text,
    bytes.toString("base64"),
    bytes.toString("base64url"),
    bytes.toString("hex"),
    Buffer.from(text, "utf16le").toString("latin1"),
  ];
}

function expectAbsent(haystack: Buffer, text: string): void {
  for (const form of encodings(text))
    expect(haystack.includes(form, 0, "latin1"), `relay keeps ${JSON.stringify(text)} as ${form}`).toBe(false);
}

test("relay storage and logs contain no plaintext and no sealed sender's identity", async () => {
  const alice = await newClient(relay.wsUrl, "Alice");
  const bob = await newClient(relay.wsUrl, "Bob");
  try {
    await bob.claimHandle("bob");
    const bobId = (await alice.findContact("bob")).id;
    const first = waitFor(bob, "message");
    await alice.sendText(bobId, "hello");
    const aliceId = (await first).contactId;
    // Alice now has Bob's delivery token: from here on her envelopes are sealed and anonymous.
    await eventually(async () => (await alice.contact(bobId))?.deliveryToken !== undefined);
    await bob.close();
    const marker = "PLAINTEXT-MARKER-7f3a9c";
    await alice.sendText(bobId, marker);
    await alice.flush();
    const blobs = filesUnder(relay.dataDir).map((f) => readFileSync(f));
    const everything = Buffer.concat([...blobs, Buffer.from(relay.output())]);
    expect(everything.includes(marker)).toBe(false);
    expect(everything.includes(Buffer.from(marker).toString("base64"))).toBe(false);
    // The logs never name Alice (her user id appears in the database only in her own account row).
    const aliceUser = Buffer.from(alice.userId, "hex");
    const logs = relay.output();
    expect(logs.includes(alice.userId)).toBe(false);
    expect(logs.includes(aliceUser.toString("base64"))).toBe(false);
    expect(logs.includes(aliceUser.toString("base64url"))).toBe(false);
    expect(aliceId).not.toBe(bobId);
  } finally {
    await alice.close();
    await bob.close();
  }
});

/** What one client sent on one connection: the frame types, and whether it logged in on it. */
interface ConnectionLog {
  readonly client: string;
  readonly sent: string[];
  identified: boolean;
}

/** A transport that notes every frame a client sends, per connection. */
function recording(client: string, into: ConnectionLog[]): TransportFactory {
  return (url, handlers) => {
    const log: ConnectionLog = { client, sent: [], identified: false };
    into.push(log);
    const transport = nodeTransport(url, handlers);
    return {
      send(data) {
        const frame = decodeFrame(data);
        log.sent.push(frame.t);
        if (frame.t === "auth" || frame.t === "register") log.identified = true;
        transport.send(data);
      },
      close: (code, reason) => transport.close(code, reason),
    };
  };
}

/** Distinctive content, so that any copy of it anywhere in the relay's keeping is found. */
const SECRET = {
  displayNames: ["Alice Quillfeather-9d1e", "Bob Marrowgate-4c7a", "Carol Thistlewick-b52f"],
  groupName: "GROUPNAME-Saffron-Lighthouse-31c8",
  description: "GROUPDESC-the-otter-council-meets-at-dawn-e04b",
  texts: ["GROUPTEXT-alpha-periwinkle-5a91", "GROUPTEXT-bravo-marzipan-77d2", "GROUPTEXT-delta-cardamom-2b60"],
  edited: "GROUPEDIT-charlie-tangerine-0f6c",
  reaction: "🦩",
  fileName: "FILENAME-moonlit-ledger-8e3b.pdf",
  caption: "FILECAPTION-sealed-ballot-c19a",
};

/** 150 KB of distinctive file content (a repeated phrase with a running counter). */
function fileContent(): Buffer {
  const lines: string[] = [];
  for (let i = 0; lines.join("").length < 150_000; i++) lines.push(`FILEBODY-quartz-heron line ${i} of the secret ledger\n`);
  return Buffer.from(lines.join("")).subarray(0, 150_000);
}

test("a group with a file: the relay keeps no plaintext, names or file, blobs are padded ciphertext, group sends are anonymous multi_sends stored without sender", {
  timeout: 30_000,
}, async () => {
  const connections: ConnectionLog[] = [];
  const names = ["alice", "bob", "carol"] as const;
  const [alice, bob, carol] = (await Promise.all(
    names.map((name, i) =>
      newClient(relay.wsUrl, SECRET.displayNames[i] as string, undefined, { transport: recording(name, connections) }),
    ),
  )) as [ParleyClient, ParleyClient, ParleyClient];
  const content = fileContent();
  try {
    await Promise.all([alice.claimHandle("galice"), bob.claimHandle("gbob"), carol.claimHandle("gcarol")]);
    // Bob and Carol write to Alice first, so she holds their profiles and delivery tokens.
    const atAlice: string[] = [];
    for (const member of [bob, carol]) {
      const aliceId = (await member.findContact("galice")).id;
      const arrived = waitFor(alice, "message", (m) => m.text === "hi alice");
      await member.sendText(aliceId, "hi alice");
      atAlice.push((await arrived).contactId);
    }
    const joined = Promise.all([bob, carol].map((c) => waitFor(c, "group", () => true, 15_000)));
    const group = await alice.groups.create({ name: SECRET.groupName, description: SECRET.description, members: atAlice });
    await joined;
    const conversation = group.id;
    const multiSendsBefore = connections.flatMap((c) => c.sent).filter((t) => t === "multi_send").length;

    const first = Promise.all([bob, carol].map((c) => waitFor(c, "message", (m) => m.text === SECRET.texts[0], 15_000)));
    const sent = await alice.sendText(conversation, SECRET.texts[0] as string);
    await first;
    const second = Promise.all([alice, carol].map((c) => waitFor(c, "message", (m) => m.text === SECRET.texts[1], 15_000)));
    const reply = await bob.sendText(conversation, SECRET.texts[1] as string);
    await second;
    const reacted = waitFor(alice, "messageUpdated", (m) => m.id === sent.id && (m.reactions[SECRET.reaction]?.length ?? 0) === 1, 15_000);
    await carol.react(conversation, sent.id, SECRET.reaction);
    await reacted;
    const edited = Promise.all(
      [alice, carol].map((c) => waitFor(c, "messageUpdated", (m) => m.id === reply.id && m.text === SECRET.edited, 15_000)),
    );
    await bob.edit(conversation, reply.id, SECRET.edited);
    await edited;
    const fileArrived = Promise.all([bob, carol].map((c) => waitFor(c, "message", (m) => m.kind === "attachment", 15_000)));
    await alice.sendFile(conversation, new Blob([content]), { fileName: SECRET.fileName, caption: SECRET.caption });
    const [fileAtBob] = await fileArrived;
    expect(fileAtBob?.attachment?.fileName).toBe(SECRET.fileName);
    const chunks: Uint8Array[] = [];
    for await (const chunk of bob.openAttachment(fileAtBob as NonNullable<typeof fileAtBob>)) chunks.push(chunk);
    expect(Buffer.compare(Buffer.concat(chunks), content)).toBe(0);
    // Carol goes offline: the next group message waits in her mailbox, as the relay stores it.
    await carol.close();
    const last = waitFor(bob, "message", (m) => m.text === SECRET.texts[2], 15_000);
    await alice.sendText(conversation, SECRET.texts[2] as string);
    await last;
    await Promise.all([alice.flush(), bob.flush()]);

    // 1. Nothing the relay keeps holds a plaintext, a name, the file's name or any part of its content.
    const everything = relayKeeps();
    expect(everything.includes("gcarol")).toBe(true); // The scan sees the database: handles are directory entries.
    for (const secret of [
      ...SECRET.displayNames,
      SECRET.groupName,
      SECRET.description,
      ...SECRET.texts,
      SECRET.edited,
      SECRET.fileName,
      SECRET.caption,
    ]) {
      expectAbsent(everything, secret);
    }
    expect(everything.includes(Buffer.from(SECRET.reaction))).toBe(false);
    expect(everything.includes("FILEBODY-quartz-heron")).toBe(false);
    for (let at = 0; at + 32 <= content.length; at += 4099) expect(everything.includes(content.subarray(at, at + 32))).toBe(false);

    // 2. The blob directory holds exactly the padded ciphertext of the file, nothing else.
    const info = fileAtBob?.attachment;
    const blobDir = join(relay.dataDir, "blobs");
    expect(readdirSync(blobDir)).toEqual([info?.blobId]);
    const stored = readFileSync(join(blobDir, info?.blobId as string));
    expect(stored.length).toBe(attachmentLayout(content.length).encryptedSize);
    expect(stored.length).toBeGreaterThan(content.length);
    expect(createHash("sha256").update(stored).digest()).toEqual(Buffer.from(info?.digest as Uint8Array));

    // 3. Every group send (2 texts, a reaction, an edit, the file) was a multi_send on a connection that never logged in.
    const multi = connections.filter((c) => c.sent.includes("multi_send"));
    expect(connections.flatMap((c) => c.sent).filter((t) => t === "multi_send").length - multiSendsBefore).toBeGreaterThanOrEqual(5);
    expect(new Set(multi.map((c) => c.client))).toEqual(new Set(names));
    for (const c of multi) expect(c.identified, `${c.client} sent multi_send on a logged-in connection`).toBe(false);
    for (const c of connections.filter((c) => c.identified)) expect(c.sent).not.toContain("multi_send");

    // 4. The store's rows for them (payload kept once, per-device rows) name recipients only.
    const copy = mkdtempSync(join(tmpdir(), "parley-privacy-db-"));
    try {
      const dbFile = filesUnder(relay.dataDir).find((f) => f.endsWith(".db") || f.endsWith(".sqlite"));
      expect(dbFile).toBeDefined();
      for (const suffix of ["", "-wal"])
        if (existsSync(`${dbFile}${suffix}`)) copyFileSync(`${dbFile}${suffix}`, join(copy, `relay.db${suffix}`));
      const db = new Database(join(copy, "relay.db"));
      try {
        const columns = (db.prepare("PRAGMA table_info(messages)").all() as { name: string }[]).map((c) => c.name).sort();
        expect(columns).toEqual(["device_id", "envelope", "expires_at", "message_id", "payload_id", "received_at", "seq", "user_id"]);
        const rows = db
          .prepare("SELECT m.user_id, m.device_id, m.envelope, p.payload FROM messages m JOIN shared_payloads p USING (payload_id)")
          .all() as {
          user_id: Buffer;
          device_id: number;
          envelope: Buffer;
          payload: Buffer;
        }[];
        // Alice's last message, queued for Carol's device: a mailbox (recipient), a header and the shared payload.
        expect(rows.length).toBeGreaterThanOrEqual(1);
        for (const row of rows) {
          expect(Buffer.from(row.user_id).toString("hex")).toBe(carol.userId);
          const kept = Buffer.concat([row.envelope, row.payload]);
          for (const sender of [alice, bob]) {
            const userId = Buffer.from(sender.userId, "hex");
            expect(kept.includes(userId)).toBe(false);
            expect(kept.includes(userId.toString("hex"))).toBe(false);
          }
        }
      } finally {
        db.close();
      }
    } finally {
      rmSync(copy, { recursive: true, force: true });
    }
  } finally {
    await Promise.all([alice.close(), bob.close(), carol.close()]);
  }
});
