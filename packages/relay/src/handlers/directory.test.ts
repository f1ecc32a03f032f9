// Handles and delivery tokens in-process: unique, normalised, case-insensitive handles.
import { afterEach, describe, expect, it } from "vitest";
import { codeOf, createHarness, type Harness, request } from "../../test/harness.js";
import { newIdentity } from "../../test/identities.js";
import { normalizeHandle } from "./handle-rules.js";

let h: Harness;
afterEach(async () => {
  await h?.close();
});

describe("handles", () => {
  it("normalises with NFKC and lower case, and enforces 3–32 of a-z 0-9 _ starting with a letter", () => {
    expect(normalizeHandle("Alice_01")).toBe("alice_01");
    expect(normalizeHandle("ＡＬＩＣＥ")).toBe("alice");
    expect(normalizeHandle("ab")).toBeUndefined();
    expect(normalizeHandle(`a${"b".repeat(31)}`)).toBe(`a${"b".repeat(31)}`);
    expect(normalizeHandle(`a${"b".repeat(32)}`)).toBeUndefined();
    expect(normalizeHandle("1abc")).toBeUndefined();
    expect(normalizeHandle("alicе")).toBeUndefined(); // Cyrillic е
  });

  it("claims a handle once, looks it up case-insensitively, and refuses it to another account", async () => {
    h = await createHarness();
    const alice = newIdentity();
    const a = await h.register(alice);
    expect(codeOf(await request(a, { t: "claim_handle", handle: "Alice" }))).toBe("ok");
    expect(codeOf(await request(a, { t: "claim_handle", handle: "alice" }))).toBe("ok");
    const m = await h.register(newIdentity());
    expect(codeOf(await request(m, { t: "claim_handle", handle: "ALICE" }))).toBe("HANDLE_TAKEN");
    expect(codeOf(await request(m, { t: "claim_handle", handle: "a!" }))).toBe("HANDLE_INVALID");
    expect(await request(m, { t: "lookup_handle", handle: "aLiCe" })).toMatchObject({
      t: "handle",
      userId: alice.account.userId,
      accountKey: alice.account.publicKey,
      deviceList: alice.deviceList,
    });
    expect(codeOf(await request(m, { t: "lookup_handle", handle: "nobody" }))).toBe("NOT_FOUND");
  });

  it("answers handle lookups on an anonymous connection (contact re-checks that do not name the asker)", async () => {
    h = await createHarness();
    const alice = newIdentity();
    const a = await h.register(alice);
    await request(a, { t: "claim_handle", handle: "alice" });
    const anonymous = h.connect();
    expect(await request(anonymous, { t: "lookup_handle", handle: "Alice" })).toMatchObject({ t: "handle", userId: alice.account.userId });
    expect(codeOf(await request(anonymous, { t: "lookup_handle", handle: "nobody" }))).toBe("NOT_FOUND");
  });

  it("moves an account to a new handle and frees the old one", async () => {
    h = await createHarness();
    const a = await h.register(newIdentity());
    await request(a, { t: "claim_handle", handle: "first" });
    await request(a, { t: "claim_handle", handle: "second" });
    const b = await h.register(newIdentity());
    expect(codeOf(await request(b, { t: "claim_handle", handle: "first" }))).toBe("ok");
  });
});
