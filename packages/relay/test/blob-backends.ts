// The three blob backends for tests, each on private resources that are removed afterwards: a
// temp directory; a random PostgreSQL schema on 127.0.0.1:5432 db `test` (skipped locally with a
// reason when PostgreSQL does not answer, a failure when CI is set); and s3rver (an unmaintained
// S3 stand-in, fine for tests, not for production) in-process on a random loopback port.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import pg from "pg";
import S3rver from "s3rver";
import { BlobFiles } from "../src/blobs/blob-files.js";
import type { BlobStorage } from "../src/blobs/blob-storage.js";
import { blobStorageFor } from "../src/blobs/open-blobs.js";

/** The test database (trust auth). */
export const PG_URL = "postgres://postgres@127.0.0.1:5432/test";

/** One backend for a test run: `open` gives a new handle on the same storage (another node). */
export interface BlobBackend {
  readonly name: "directory" | "postgres" | "s3";
  /** The `--blobs` URL of this storage. */
  readonly url: string;
  /** A new, initialised handle on the shared storage. */
  open(): Promise<BlobStorage>;
  /** Removes the storage (schema, bucket files, directory). */
  destroy(): Promise<void>;
}

/** Whether PostgreSQL answers; throws when it does not and CI is set (tests must run there). */
export async function postgresAvailable(): Promise<boolean> {
  const client = new pg.Client({ connectionString: PG_URL, connectionTimeoutMillis: 2000 });
  try {
    await client.connect();
    await client.query("SELECT 1");
    return true;
  } catch (error) {
    if (process.env.CI) throw new Error(`PostgreSQL at 127.0.0.1:5432 db test is required in CI: ${(error as Error).message}`);
    return false;
  } finally {
    await client.end().catch(() => {});
  }
}

/** A blob directory in a temp dir. */
export async function directoryBackend(): Promise<BlobBackend> {
  const dir = mkdtempSync(join(tmpdir(), "parley-blob-dir-"));
  return {
    name: "directory",
    url: `file:${dir}`,
    async open() {
      const storage = new BlobFiles(dir);
      await storage.init();
      return storage;
    },
    async destroy() {
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** Blob tables in a random schema of db `test`. */
export async function postgresBackend(): Promise<BlobBackend> {
  const schema = `blobs_test_${Math.random().toString(36).slice(2, 10)}`;
  const url = `${PG_URL}?schema=${schema}`;
  return {
    name: "postgres",
    url,
    async open() {
      const storage = blobStorageFor(url, "/nonexistent");
      await storage.init().catch(async (error: unknown) => {
        await storage.close();
        throw error;
      });
      return storage;
    },
    async destroy() {
      const client = new pg.Client({ connectionString: PG_URL });
      await client.connect();
      try {
        await client.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
      } finally {
        await client.end();
      }
    },
  };
}

/** A bucket on an in-process s3rver. */
export async function s3Backend(): Promise<BlobBackend> {
  const dir = mkdtempSync(join(tmpdir(), "parley-s3rver-"));
  const server = new S3rver({ address: "127.0.0.1", port: 0, silent: true, directory: dir, configureBuckets: [{ name: "parley-blobs" }] });
  const { port } = await server.run();
  const url = `s3://S3RVER:S3RVER@parley-blobs?endpoint=http://127.0.0.1:${port}&region=us-east-1`;
  return {
    name: "s3",
    url,
    async open() {
      const storage = blobStorageFor(url, "/nonexistent");
      await storage.init().catch(async (error: unknown) => {
        await storage.close();
        throw error;
      });
      return storage;
    },
    async destroy() {
      server.httpServer.closeAllConnections?.();
      await server.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** Makers of the backends to run a suite on; PostgreSQL only when it answers (see {@link postgresAvailable}). */
export async function availableBackends(): Promise<{ name: BlobBackend["name"]; make: () => Promise<BlobBackend> }[]> {
  const makers: { name: BlobBackend["name"]; make: () => Promise<BlobBackend> }[] = [
    { name: "directory", make: directoryBackend },
    { name: "s3", make: s3Backend },
  ];
  if (await postgresAvailable()) makers.push({ name: "postgres", make: postgresBackend });
  else console.warn("PostgreSQL at 127.0.0.1:5432 does not answer: the postgres blob backend tests are skipped (they fail when CI is set)");
  return makers;
}
