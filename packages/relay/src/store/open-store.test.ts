// `--store` URLs: none opens SQLite in the data directory, postgres:// and postgresql:// open the
// PostgreSQL store, anything else is a RangeError naming the URL without its password.
import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Writable } from "node:stream";
import { pino } from "pino";
import { afterAll, describe, expect, it } from "vitest";
import { adminQuery, describePg, randomSchema, TEST_PG_URL } from "../../test/pg-test-support.js";
import { openStore, redactUrl } from "./open-store.js";

const dataDir = mkdtempSync(join(tmpdir(), "parley-open-store-"));
let logged = "";
const log = pino(
  { level: "debug" },
  new Writable({
    write(chunk, _encoding, done) {
      logged += String(chunk);
      done();
    },
  }),
);
const schemas: string[] = [];
afterAll(async () => {
  rmSync(dataDir, { recursive: true, force: true });
  for (const schema of schemas) await adminQuery(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
});

describe("openStore", () => {
  it("opens SQLite in the data directory when no URL is given", async () => {
    const store = await openStore(undefined, dataDir, log);
    await store.close();
    expect(existsSync(join(dataDir, "relay.sqlite"))).toBe(true);
  });

  it.each(["mysql://relay:hunter2@db/relay", "sqlite:///var/relay.sqlite", "redis://:hunter2@127.0.0.1:6379", "relay.sqlite", "postgres"])(
    "refuses %s with a RangeError that hides the password",
    async (url) => {
      const error = await openStore(url, dataDir, log).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(RangeError);
      expect((error as Error).message).toMatch(/is not supported: use a postgres:\/\/ or postgresql:\/\/ URL/);
      expect((error as Error).message).not.toContain("hunter2");
    },
  );

  it("redacts a URL's password, also in a URL that does not parse", () => {
    expect(redactUrl("postgres://relay:hunter2@db:5432/relay?schema=a")).toBe("postgres://relay:***@db:5432/relay?schema=a");
    expect(redactUrl("postgres://relay:hunter2@[db/relay")).not.toContain("hunter2");
  });
});

describePg("openStore with PostgreSQL", () => {
  it.each(["postgres", "postgresql", "POSTGRES"])(
    "opens the PostgreSQL store for a %s:// URL, logging it without its password",
    async (scheme) => {
      const schema = randomSchema();
      schemas.push(schema);
      const url = `${TEST_PG_URL.replace(/^postgres:\/\/([^@/]*)@/, `${scheme}://$1:hunter2@`)}?schema=${schema}`;
      const store = await openStore(url, dataDir, log);
      try {
        expect(await store.queueDepth({ userId: new Uint8Array(16), deviceId: 1 })).toBe(0);
        const found = await adminQuery("SELECT 1 FROM pg_namespace WHERE nspname = $1", [schema]);
        expect(found.rowCount).toBe(1);
      } finally {
        await store.close();
      }
      expect(logged).toContain("opened the PostgreSQL store");
      expect(logged).not.toContain("hunter2");
    },
  );
});
