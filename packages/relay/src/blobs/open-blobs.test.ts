// The `--blobs` forms: file:DIR, postgres(ql)://…?schema=NAME and s3://BUCKET?endpoint=…&region=…
// with credentials in the URL or the AWS_* environment; anything else, and any bad part, is a
// RangeError whose message never shows the password or secret key.
import { describe, expect, it } from "vitest";
import { blobStorageFor, DEFAULT_BLOB_SCHEMA } from "./open-blobs.js";
import type { PgBlobStorage } from "./pg-blob-storage.js";

const SECRET = "s3cr3t-pw";
const noEnv = {};

/** The RangeError `url` gives; fails if there is none or it shows the secret. */
function refusal(url: string, env: NodeJS.ProcessEnv = noEnv): string {
  try {
    blobStorageFor(url, "/data", env);
  } catch (error) {
    expect(error).toBeInstanceOf(RangeError);
    const message = (error as Error).message;
    expect(message).not.toContain(SECRET);
    return message;
  }
  throw new Error(`${url} was accepted`);
}

describe("--blobs", () => {
  it("opens a directory: the default <data>/blobs, or file:DIR; an empty file: is refused", () => {
    expect(blobStorageFor(undefined, "/data").kind).toBe("directory");
    expect(blobStorageFor("file:/srv/blobs", "/data")).toMatchObject({ kind: "directory", dir: "/srv/blobs" });
    expect(refusal("file:")).toMatch(/needs a directory/);
  });

  it("opens PostgreSQL for postgres:// and postgresql://, in ?schema= (default parley_blobs), refusing a bad schema name", async () => {
    for (const url of [`postgres://u:${SECRET}@127.0.0.1/test`, `postgresql://u:${SECRET}@127.0.0.1/test?schema=cluster_1`]) {
      const storage = blobStorageFor(url, "/data") as PgBlobStorage;
      expect(storage.kind).toBe("postgres");
      expect(storage.options.connectionString).not.toContain("schema=");
      await storage.close();
    }
    const defaulted = blobStorageFor("postgres://127.0.0.1/test", "/data") as PgBlobStorage;
    expect(defaulted.options.schema).toBe(DEFAULT_BLOB_SCHEMA);
    await defaulted.close();
    const longest = blobStorageFor(`postgres://127.0.0.1/test?schema=${"s".repeat(63)}`, "/data") as PgBlobStorage;
    expect(longest.options.schema).toHaveLength(63);
    await longest.close();
    expect(refusal(`postgres://u:${SECRET}@127.0.0.1/test?schema=${"s".repeat(64)}`)).toMatch(/schema/);
    expect(refusal(`postgres://u:${SECRET}@127.0.0.1/test?schema=a;drop`)).toMatch(/schema/);
    expect(refusal(`postgres://u:${SECRET}@127.0.0.1/test?schema="x"`)).toMatch(/\*\*\*/);
  });

  it("opens S3 with credentials from the URL or the environment, and refuses a missing part", () => {
    const endpoint = "endpoint=http://127.0.0.1:9000&region=eu-west-1";
    expect(blobStorageFor(`s3://KEY:${SECRET}@my-bucket?${endpoint}`, "/data", noEnv).kind).toBe("s3");
    expect(blobStorageFor(`s3://my-bucket?${endpoint}`, "/data", { AWS_ACCESS_KEY_ID: "K", AWS_SECRET_ACCESS_KEY: SECRET }).kind).toBe(
      "s3",
    );
    expect(blobStorageFor("s3://my-bucket", "/data", { AWS_ACCESS_KEY_ID: "K", AWS_SECRET_ACCESS_KEY: SECRET }).kind).toBe("s3");
    expect(refusal(`s3://my-bucket?${endpoint}`)).toMatch(/credentials/);
    expect(refusal(`s3://KEY:${SECRET}@My_Bucket?${endpoint}`)).toMatch(/bucket/);
    expect(refusal(`s3://KEY:${SECRET}@my-bucket?endpoint=ftp://host`)).toMatch(/endpoint/);
    expect(refusal(`s3://KEY:${SECRET}@my-bucket?endpoint=http://host/path`)).toMatch(/endpoint/);
  });

  it("refuses any other scheme with a RangeError naming the forms, without the password", () => {
    for (const url of [`redis://u:${SECRET}@127.0.0.1`, `mysql://u:${SECRET}@h/db`, "/var/blobs", "", `https://u:${SECRET}@h/`]) {
      expect(refusal(url)).toMatch(/not supported: use file:DIR, postgres:\/\/… or s3:\/\/BUCKET/);
    }
  });
});
