// Which PostgreSQL failures are storage failures (retry later) and which are the statement's own.
import { DatabaseError } from "pg";
import { describe, expect, it } from "vitest";
import { pgStorageError } from "./pg-errors.js";
import { StorageError } from "./storage-error.js";

const serverError = (code: string) => Object.assign(new DatabaseError("server says no", 0, "error"), { code });

describe("pgStorageError", () => {
  it.each([
    ["08006", "io"],
    ["57P01", "io"],
    ["53300", "io"],
    ["40P01", "io"],
    ["53100", "full"],
  ])("maps SQLSTATE %s to a %s StorageError", (code, kind) => {
    expect(pgStorageError(serverError(code))).toMatchObject({ kind });
  });

  it.each(["23505", "42P01", "22P02", "28P01"])("leaves SQLSTATE %s (the statement's or the login's own) as it is", (code) => {
    expect(pgStorageError(serverError(code))).toBeUndefined();
  });

  it("maps lost or refused connections, never keeping their message", () => {
    const refused = Object.assign(new Error("connect ECONNREFUSED 127.0.0.1:5432"), { code: "ECONNREFUSED" });
    for (const error of [refused, new Error("Connection terminated unexpectedly"), new Error("timeout exceeded when trying to connect")]) {
      const mapped = pgStorageError(error);
      expect(mapped).toBeInstanceOf(StorageError);
      expect(mapped?.message).not.toContain("127.0.0.1");
    }
    expect(pgStorageError(new Error("something else"))).toBeUndefined();
    expect(pgStorageError("not an error")).toBeUndefined();
  });
});
