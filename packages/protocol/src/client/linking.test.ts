// Device linking pieces (spec/client.md §6): the check code commits to the keys with 132 bits,
// the token sealed in the approval opens only for the new device, and a pending approval grants
// nothing before confirmation, and nothing on a wrong code.
import fc from "fast-check";
import { describe, expect, test, vi } from "vitest";
import { allDeps } from "../../test/fixtures.js";
import { newX25519KeyPair } from "../deps.js";
import { ErrorCode, ParleyError } from "../errors.js";
import {
  decodeLinkApproval,
  decodeLinkRequest,
  encodeLinkApproval,
  encodeLinkRequest,
  LINK_CODE_GROUPS,
  type LinkRequest,
  linkCode,
  openLinkToken,
  PendingLinkApproval,
  sealLinkToken,
  toBase64Url,
} from "./linking.js";
import { encodeRecord } from "./records.js";

describe.each(allDeps)("linking with the %s provider", (_name, deps) => {
  const request = (): LinkRequest => ({
    deviceId: 77,
    signingKey: deps.crypto.randomBytes(32),
    identityKey: newX25519KeyPair(deps).publicKey,
  });

  test("the check code is 8 groups of 5 digits, computed from the keys alone", () => {
    const r = request();
    const code = linkCode(deps, r);
    expect(code).toMatch(/^\d{5}( \d{5}){7}$/);
    expect(LINK_CODE_GROUPS * Math.log2(100_000)).toBeGreaterThanOrEqual(128);
    // Same keys, any encoding: same code. Any key or the device id changed: another code.
    expect(linkCode(deps, decodeLinkRequest(encodeLinkRequest(r)))).toBe(code);
    expect(linkCode(deps, { ...r, deviceId: 78 })).not.toBe(code);
    expect(linkCode(deps, { ...r, signingKey: deps.crypto.randomBytes(32) })).not.toBe(code);
    expect(linkCode(deps, { ...r, identityKey: deps.crypto.randomBytes(32) })).not.toBe(code);
  });

  test("the sealed token opens with the new device's identity key only, and not when changed", () => {
    const identity = newX25519KeyPair(deps);
    const token = deps.crypto.randomBytes(32);
    const sealed = sealLinkToken(deps, identity.publicKey, token);
    expect(sealed).toHaveLength(92);
    expect(openLinkToken(deps, identity, sealed)).toEqual(token);
    const other = newX25519KeyPair(deps);
    expect(() => openLinkToken(deps, other, sealed)).toThrow(expect.objectContaining({ code: ErrorCode.DecryptFailed }));
    for (const at of [0, 40, 60, 91]) {
      const bent = sealed.slice();
      bent[at] = (bent[at] ?? 0) ^ 1;
      expect(() => openLinkToken(deps, identity, bent)).toThrow(ParleyError);
    }
  });
});

describe("link request and approval decoding", () => {
  const deps = allDeps[0]?.[1];
  if (!deps) throw new Error("no provider");
  const key = () => deps.crypto.randomBytes(32);

  test("anything but a request is ERR_INVALID_ENCODING", () => {
    const bad = [
      "not base64 !",
      toBase64Url(encodeRecord({ deviceId: 5, signingKey: key() })),
      toBase64Url(encodeRecord({ deviceId: 5, signingKey: key(), identityKey: key().subarray(0, 31) })),
      toBase64Url(encodeRecord({ deviceId: 0, signingKey: key(), identityKey: key() })),
      toBase64Url(encodeRecord({ deviceId: 2 ** 31, signingKey: key(), identityKey: key() })),
      toBase64Url(encodeRecord("hello")),
      // Bytes that are not msgpack at all (a truncated map), as a mistyped paste gives.
      toBase64Url(new Uint8Array([0x85, 0xa1])),
      toBase64Url(new Uint8Array([0xc1])),
    ];
    for (const text of bad) expect(() => decodeLinkRequest(text)).toThrow(expect.objectContaining({ code: ErrorCode.InvalidEncoding }));
    const ok = { deviceId: 2 ** 31 - 1, signingKey: key(), identityKey: key() };
    expect(decodeLinkRequest(encodeLinkRequest(ok))).toEqual(ok);
  });

  test("any pasted text that is not a request or approval is ERR_INVALID_ENCODING, never another error", () => {
    fc.assert(
      fc.property(
        fc.oneof(
          fc.string(),
          fc.uint8Array({ maxLength: 64 }).map((b) => toBase64Url(b)),
        ),
        (text) => {
          for (const decode of [decodeLinkRequest, decodeLinkApproval]) {
            try {
              decode(text);
            } catch (error) {
              expect(error).toBeInstanceOf(ParleyError);
              expect((error as ParleyError).code).toBe(ErrorCode.InvalidEncoding);
            }
          }
        },
      ),
      { numRuns: 500 },
    );
  });

  test("an approval without a 92-byte sealed token is ERR_INVALID_ENCODING", () => {
    const approval = { certificate: key(), deviceList: key(), displayName: "A", sealedToken: new Uint8Array(92) };
    expect(decodeLinkApproval(encodeLinkApproval(approval))).toEqual(approval);
    for (const sealedToken of [new Uint8Array(91), new Uint8Array(93)]) {
      expect(() => decodeLinkApproval(encodeLinkApproval({ ...approval, sealedToken }))).toThrow(
        expect.objectContaining({ code: ErrorCode.InvalidEncoding }),
      );
    }
  });
});

describe("a pending link approval", () => {
  const code = "12345 67890 12345 67890 12345 67890 12345 67890";

  test("grants nothing on a wrong code, and grants once on the right one (separators ignored)", async () => {
    const grant = vi.fn(async () => "approval");
    const pending = new PendingLinkApproval(9, code, grant);
    await expect(pending.confirm("12345 67890")).rejects.toMatchObject({ code: ErrorCode.IdentityMismatch });
    await expect(pending.confirm(code.replace("0", "1"))).rejects.toMatchObject({ code: ErrorCode.IdentityMismatch });
    expect(grant).not.toHaveBeenCalled();
    expect(await pending.confirm(code.replace(/ /g, "-"))).toBe("approval");
    await expect(pending.confirm(code)).rejects.toBeInstanceOf(TypeError);
    expect(grant).toHaveBeenCalledTimes(1);
  });

  test("a cancelled approval grants nothing; a failed grant may be retried", async () => {
    const cancelled = new PendingLinkApproval(9, code, async () => "approval");
    cancelled.cancel();
    await expect(cancelled.confirm()).rejects.toBeInstanceOf(TypeError);
    let fail = true;
    const flaky = new PendingLinkApproval(9, code, async () => {
      if (fail) throw new Error("relay down");
      return "approval";
    });
    await expect(flaky.confirm()).rejects.toThrow("relay down");
    fail = false;
    expect(await flaky.confirm()).toBe("approval");
  });
});
