// The PostgreSQL store against the shared test server, in a random schema dropped afterwards:
// the Store contract, migrations (racing starts, re-opening), URL handling, and what only
// several nodes sharing one database can show — two pools racing for the same keys, ids,
// handles, quotas and mailboxes.
import { afterAll, describe, expect, it } from "vitest";
import { adminQuery, describePg, postgresAvailable, randomSchema, TEST_PG_URL } from "../../test/pg-test-support.js";
import { MIGRATIONS } from "./pg-schema.js";
import { openPostgresStore } from "./pg-store.js";
import { StorageError } from "./storage-error.js";
import type { NewMessage, Store } from "./store.js";
import { describeStoreContract } from "./store-contract.js";

const schemas: string[] = [];
const schemaUrl = (schema: string) => `${TEST_PG_URL}?schema=${schema}`;
/** A fresh schema for this file, dropped after it. */
function newSchema(): string {
  const schema = randomSchema();
  schemas.push(schema);
  return schema;
}
const stores: Store[] = [];
async function open(schema: string, poolSize = 4): Promise<Store> {
  const store = await openPostgresStore(schemaUrl(schema), { poolSize });
  stores.push(store);
  return store;
}
afterAll(async () => {
  await Promise.all(stores.map((s) => s.close().catch(() => undefined)));
  if (postgresAvailable) for (const schema of schemas) await adminQuery(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
});

const TABLES =
  "accounts, devices, mailboxes, one_time_prekeys, kem_prekeys, shared_payloads, messages, seen_ids, expiry_notices, blobs, push_subscriptions, settings";

describePg("postgres store", () => {
  const contractSchema = newSchema();
  let shared: Store | undefined;
  describeStoreContract("postgres", async () => {
    shared ??= await open(contractSchema);
    await adminQuery(
      `TRUNCATE ${TABLES.split(", ")
        .map((t) => `${contractSchema}.${t}`)
        .join(", ")}`,
    );
    return {
      store: shared,
      async sharedPayloads() {
        const result = await adminQuery(`SELECT count(*)::int AS n FROM ${contractSchema}.shared_payloads WHERE refs > 0`);
        return result.rows[0].n as number;
      },
      close: async () => undefined,
    };
  });

  const userId = new Uint8Array(16).fill(3);
  const mailbox = { userId, deviceId: 1 };
  const id = (n: number) => {
    const bytes = new Uint8Array(16);
    new DataView(bytes.buffer).setUint32(0, n);
    return bytes;
  };
  const message = (n: number, deviceId = 1): NewMessage => ({
    userId,
    deviceId,
    messageId: id(n),
    envelope: new Uint8Array([n & 0xff]),
    receivedAt: 1000,
    expiresAt: 10_000,
  });
  async function register(store: Store, deviceIds = [1], user = userId): Promise<void> {
    for (const deviceId of deviceIds) {
      const device = { userId: user, deviceId, certificate: new Uint8Array(173), signingKey: new Uint8Array(32) };
      const r = await store.saveDeviceList({
        userId: user,
        accountKey: new Uint8Array(32),
        deviceList: new Uint8Array([1]),
        sequence: 1,
        deviceIds,
        device,
      });
      expect(r.ok).toBe(true);
    }
  }

  describe("migrations", () => {
    it("lets two nodes start together on a fresh schema, applies each migration once, and keeps data on re-open", async () => {
      const schema = newSchema();
      const [a, b] = await Promise.all([open(schema), open(schema)]);
      if (!a || !b) throw new Error("unreachable");
      const applied = await adminQuery(`SELECT version FROM ${schema}.schema_migrations ORDER BY version`);
      expect(applied.rows.map((r) => r.version)).toEqual(MIGRATIONS.map((m) => m.version));
      await register(a);
      expect(await b.enqueue([message(1), message(2)], 10)).toEqual(["ok", "ok"]);
      await a.close();
      await b.close();
      const again = await open(schema);
      expect((await again.fetchMessages(mailbox, 0, 10)).map((m) => m.messageId)).toEqual([id(1), id(2)]);
      expect((await adminQuery(`SELECT count(*)::int AS n FROM ${schema}.schema_migrations`)).rows[0].n).toBe(MIGRATIONS.length);
    });

    it("upgrades a version-1 schema to push subscriptions and settings, keeping its mail", async () => {
      const schema = newSchema();
      const v1 = await open(schema);
      await register(v1);
      expect(await v1.enqueue([message(1)], 10)).toEqual(["ok"]);
      await v1.close();
      await adminQuery(
        `DROP TABLE ${schema}.push_subscriptions, ${schema}.settings; DELETE FROM ${schema}.schema_migrations WHERE version = 2`,
      );
      const upgraded = await open(schema);
      expect((await upgraded.fetchMessages(mailbox, 0, 10)).map((m) => m.messageId)).toEqual([id(1)]);
      const sub = { endpoint: "https://push.example/x", p256dh: new Uint8Array(65).fill(4), auth: new Uint8Array(16) };
      expect(await upgraded.setPushSubscription(mailbox, sub)).toBe(true);
      expect(await upgraded.getPushSubscription(mailbox)).toEqual(sub);
      const applied = await adminQuery(`SELECT version FROM ${schema}.schema_migrations ORDER BY version`);
      expect(applied.rows.map((r) => r.version)).toEqual([1, 2]);
    });

    it("refuses a schema newer than this relay", async () => {
      const schema = newSchema();
      await (await open(schema)).close();
      await adminQuery(`INSERT INTO ${schema}.schema_migrations (version, name) VALUES (999, 'future')`);
      await expect(openPostgresStore(schemaUrl(schema))).rejects.toThrow(/schema 999 is newer than this relay/);
    });
  });

  describe("URLs and options", () => {
    it("takes the schema from ?schema=, and the option over the URL", async () => {
      const fromUrl = newSchema();
      const fromOption = newSchema();
      await (await open(fromUrl)).close();
      const store = await openPostgresStore(schemaUrl(fromUrl), { schema: fromOption });
      stores.push(store);
      const found = await adminQuery("SELECT nspname FROM pg_namespace WHERE nspname = ANY($1)", [[fromUrl, fromOption]]);
      expect(found.rows.map((r) => r.nspname).sort()).toEqual([fromUrl, fromOption].sort());
    });

    it("refuses a schema name that would need quoting, a bad pool size and a string that is no URL", async () => {
      await expect(openPostgresStore(`${TEST_PG_URL}?schema=Bad-Name`)).rejects.toThrow(RangeError);
      await expect(openPostgresStore(TEST_PG_URL, { schema: "x; DROP TABLE y" })).rejects.toThrow(RangeError);
      await expect(openPostgresStore(TEST_PG_URL, { poolSize: 0 })).rejects.toThrow(RangeError);
      await expect(openPostgresStore("postgres://user:hunter2@[bad")).rejects.toThrow(RangeError);
      await expect(openPostgresStore("postgres://user:hunter2@[bad")).rejects.not.toThrow(/hunter2/);
    });

    it("fails to open an unreachable server with a StorageError that does not show the password", async () => {
      const error = await openPostgresStore("postgres://relay:hunter2@127.0.0.1:1/test", { connectTimeoutMs: 2000 }).catch(
        (e: unknown) => e,
      );
      expect(error).toBeInstanceOf(StorageError);
      expect(String((error as Error).message)).toContain("relay:***@127.0.0.1:1");
      expect(JSON.stringify(error) + String(error) + (error as Error).stack).not.toContain("hunter2");
    });

    it("names the database it cannot open, without the password", async () => {
      const url = TEST_PG_URL.replace(/^postgres:\/\/([^@/]*)@([^/]*)\/[^?]*/, "postgres://$1:hunter2@$2/parley_no_such_db");
      const error = await openPostgresStore(url).catch((e: unknown) => e);
      expect((error as Error).message).toMatch(/cannot open the store at postgres:\/\/.*:\*\*\*@.*parley_no_such_db.*does not exist/);
      expect(String(error) + (error as Error).stack).not.toContain("hunter2");
    });
  });

  describe("one transaction per batch", () => {
    it("stores no row, id or payload of a fan-out when one of its rows fails", async () => {
      const schema = newSchema();
      const store = await open(schema);
      await register(store, [1, 2, 3]);
      // A trigger that fails the third device's row, as a full disk or a lost connection would.
      await adminQuery(
        `CREATE FUNCTION ${schema}.fail_third() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN ` +
          "IF NEW.device_id = 3 THEN RAISE EXCEPTION 'injected failure'; END IF; RETURN NEW; END $$; " +
          `CREATE TRIGGER fail_third BEFORE INSERT ON ${schema}.messages FOR EACH ROW EXECUTE FUNCTION ${schema}.fail_third()`,
      );
      await expect(store.enqueueMany({ bytes: new Uint8Array(64) }, [message(1, 1), message(2, 2), message(3, 3)], 10)).rejects.toThrow(
        /injected failure/,
      );
      for (const table of ["messages", "seen_ids", "shared_payloads"])
        expect((await adminQuery(`SELECT count(*)::int AS n FROM ${schema}.${table}`)).rows[0].n).toBe(0);
      expect((await store.enqueue([message(1, 1)], 10))[0]).toBe("ok");
      expect((await store.fetchMessages(mailbox, 0, 10))[0]?.seq).toBe(1);
    });
  });

  describe("two nodes racing", () => {
    it("hands each one-time key out once when two nodes take bundles at once", async () => {
      const schema = newSchema();
      const [a, b] = [await open(schema), await open(schema)];
      await register(a);
      const keys = Array.from({ length: 30 }, (_, i) => ({ id: i + 1, record: new Uint8Array([i + 1]) }));
      await a.putPreKeys(
        mailbox,
        { signedPreKey: new Uint8Array([7]), oneTime: keys, kemOneTime: keys, kemLastResort: { id: 99, record: new Uint8Array([99]) } },
        100,
      );
      const takes = Array.from({ length: 40 }, (_, i) => (i % 2 ? a : b).takeBundle(mailbox));
      const bundles = await Promise.all(takes);
      const oneTime = bundles.flatMap((x) => (x?.oneTimePreKey ? [x.oneTimePreKey[0]] : []));
      const kem = bundles.map((x) => x?.kemPreKey[0]);
      expect(new Set(oneTime).size).toBe(oneTime.length);
      expect(oneTime.length).toBe(30);
      expect(kem.filter((k) => k !== 99).length).toBe(30);
      expect(new Set(kem.filter((k) => k !== 99)).size).toBe(30);
      expect(await a.countPreKeys(mailbox)).toEqual({ oneTime: 0, kem: 0 });
    });

    it("accepts a message id once when two nodes queue it at once", async () => {
      const schema = newSchema();
      const [a, b] = [await open(schema), await open(schema)];
      await register(a);
      const rounds = await Promise.all(
        Array.from({ length: 20 }, async (_, n) => {
          const [x, y] = await Promise.all([a.enqueue([message(n)], 100), b.enqueue([message(n)], 100)]);
          return [...(x ?? []), ...(y ?? [])].sort();
        }),
      );
      for (const outcomes of rounds) expect(outcomes).toEqual(["duplicate", "ok"]);
      expect(await a.queueDepth(mailbox)).toBe(20);
    });

    it("gives a handle to one of two users claiming it at once", async () => {
      const schema = newSchema();
      const [a, b] = [await open(schema), await open(schema)];
      const other = new Uint8Array(16).fill(9);
      await register(a);
      await register(a, [1], other);
      for (let round = 0; round < 10; round++) {
        const handle = `race${round}`;
        const won = await Promise.all([a.claimHandle(userId, handle), b.claimHandle(other, handle)]);
        expect(won.filter(Boolean)).toHaveLength(1);
        const holder = await a.lookupHandle(handle);
        expect(holder?.userId).toEqual(won[0] ? userId : other);
      }
    });

    it("keeps maxStored and blob quotas when two nodes upload at once", async () => {
      const schema = newSchema();
      const [a, b] = [await open(schema), await open(schema)];
      await register(a);
      const keys = (from: number) => Array.from({ length: 6 }, (_, i) => ({ id: from + i, record: new Uint8Array([1]) }));
      const stored = await Promise.all([
        a.putPreKeys(mailbox, { oneTime: keys(1), kemOneTime: [] }, 10),
        b.putPreKeys(mailbox, { oneTime: keys(100), kemOneTime: [] }, 10),
      ]);
      expect(stored.filter(Boolean)).toHaveLength(1);
      expect((await a.countPreKeys(mailbox)).oneTime).toBe(6);
      const ticket = (blobId: string) => ({ blobId, capabilityHash: new Uint8Array(32), maxSize: 10, ticketExpiresAt: 100, owner: userId });
      const quota = { now: 50, maxOpenTickets: 1, maxBytes: 1000 };
      const granted = await Promise.all([a.createBlob(ticket("x"), quota), b.createBlob(ticket("y"), quota)]);
      expect(granted.sort()).toEqual(["ok", "quota_exceeded"]);
    });

    it("deletes a shared payload when its last two rows are acknowledged on two nodes at once", async () => {
      const schema = newSchema();
      const [a, b] = [await open(schema), await open(schema)];
      await register(a, [1, 2]);
      await a.enqueueMany({ bytes: new Uint8Array(64).fill(5) }, [message(1, 1), message(2, 2)], 10);
      await Promise.all([
        a.ack([{ mailbox, messageIds: [id(1)] }], 5000),
        b.ack([{ mailbox: { userId, deviceId: 2 }, messageIds: [id(2)] }], 5000),
      ]);
      const left = await adminQuery(`SELECT count(*)::int AS n FROM ${schema}.shared_payloads WHERE refs > 0 OR length(payload) > 0`);
      expect(left.rows[0].n).toBe(0);
    });

    it("never lets a reader fetching after its last seq skip a message while two nodes queue to the mailbox", async () => {
      const schema = newSchema();
      const [a, b, reader] = [await open(schema), await open(schema), await open(schema)];
      await register(a);
      // Commits lag their inserts by up to 5 ms, as over a real network: a seq taken without the
      // mailbox lock would commit out of order and the reader would step over it.
      await adminQuery(
        `CREATE FUNCTION ${schema}.lag() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN PERFORM pg_sleep(random() * 0.005); RETURN NULL; END $$; ` +
          `CREATE TRIGGER lag AFTER INSERT ON ${schema}.messages FOR EACH STATEMENT EXECUTE FUNCTION ${schema}.lag()`,
      );
      const perNode = 150;
      let writing = true;
      const writer = async (store: Store, base: number) => {
        for (let n = 0; n < perNode; ) {
          const size = 1 + (n % 4);
          const batch = Array.from({ length: Math.min(size, perNode - n) }, (_, i) => message(base + n + i));
          expect((await store.enqueue(batch, 10_000)).every((o) => o === "ok")).toBe(true);
          n += batch.length;
        }
      };
      const seen = new Set<number>();
      const read = async () => {
        let afterSeq = 0;
        // Bounded: the writers finish in well under this many rounds; one last read after they stop.
        for (let round = 0; round < 100_000; round++) {
          const last = !writing;
          for (const m of await reader.fetchMessages(mailbox, afterSeq, 50)) {
            seen.add(new DataView(m.messageId.buffer, m.messageId.byteOffset).getUint32(0));
            afterSeq = m.seq;
          }
          if (last) return;
        }
      };
      const reading = read();
      await Promise.all([writer(a, 0), writer(b, 10_000)]);
      writing = false;
      await reading;
      expect(seen.size).toBe(2 * perNode);
      expect(await reader.queueDepth(mailbox)).toBe(2 * perNode);
    });
  });

  describe("speed", () => {
    it("queues a batch of 100 and a fan-out to 1,000 devices in a few statements each", async () => {
      const schema = newSchema();
      const store = await open(schema);
      const fanUser = new Uint8Array(16).fill(8);
      await register(store, [1]);
      // 1,000 devices of one user, written directly: registering each through saveDeviceList is not what is measured.
      await adminQuery(
        `WITH d AS (INSERT INTO ${schema}.devices (user_id, device_id, certificate, signing_key) SELECT $1, g, '\\x00', '\\x00' FROM generate_series(1, 1000) g) ` +
          `INSERT INTO ${schema}.mailboxes (user_id, device_id, present) SELECT $1, g, true FROM generate_series(1, 1000) g`,
        [fanUser],
      );
      const batch = Array.from({ length: 100 }, (_, n) => ({ ...message(n), envelope: new Uint8Array(1024) }));
      await store.enqueue([message(1_000_000)], 10_000); // warm the pool's prepared statements
      let started = performance.now();
      expect(new Set(await store.enqueue(batch, 10_000))).toEqual(new Set(["ok"]));
      const batchMs = performance.now() - started;
      const fan = Array.from({ length: 1000 }, (_, i) => ({ ...message(i, i + 1), userId: fanUser, envelope: new Uint8Array(80) }));
      started = performance.now();
      expect(new Set(await store.enqueueMany({ bytes: new Uint8Array(4096) }, fan, 10_000))).toEqual(new Set(["ok"]));
      const fanOutMs = performance.now() - started;
      started = performance.now();
      const acked = await store.ack(
        fan.map((m) => ({ mailbox: { userId: fanUser, deviceId: m.deviceId }, messageIds: [m.messageId] })),
        5000,
      );
      const ackMs = performance.now() - started;
      expect(acked.every((n) => n === 1)).toBe(true);
      console.info(
        `postgres store: enqueue 100 in ${batchMs.toFixed(1)} ms, fan-out to 1000 in ${fanOutMs.toFixed(1)} ms, ack 1000 in ${ackMs.toFixed(1)} ms`,
      );
      // Generous bounds for a loaded machine; one round trip per message would be far slower.
      expect(batchMs).toBeLessThan(2000);
      expect(fanOutMs).toBeLessThan(5000);
    });
  });
});
