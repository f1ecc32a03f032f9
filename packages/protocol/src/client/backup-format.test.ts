// The backup container and payload (spec/backup.md): the committed vector consumed from its listed
// values with every provider (and WebCrypto's PBKDF2), the KDF cost limits at N and N+1, the
// passphrase rules, and the decoders fuzzed: they fail only with ERR_BACKUP_* codes.
import { readFileSync } from "node:fs";
import { fc, test as fcTest } from "@fast-check/vitest";
import { describe, expect, test } from "vitest";
import { allDeps } from "../../test/fixtures.js";
import { mutated, onlyParleyErrors } from "../../test/fuzz.js";
import { hexToBytes as bytes, bytesToHex as hex } from "../crypto/bytes.js";
import { ErrorCode, ParleyError } from "../errors.js";
import {
  BACKUP_HEADER_BYTES,
  BACKUP_KDF_ITERATIONS,
  type BackupPayload,
  backupMasterKey,
  decodeBackupPayload,
  decryptBackup,
  encryptBackup,
  MAX_BACKUP_KDF_ITERATIONS,
  openBackup,
  parseBackupHeader,
  pbkdf2Sha256,
} from "./backup-format.js";
import { encodeRecord } from "./records.js";

const vector = JSON.parse(readFileSync(new URL("../../../../test-vectors/backup.json", import.meta.url), "utf8"));
const utf8 = (s: string) => new TextEncoder().encode(s);
const low = { minIterations: vector.iterations as number };
const RUNS = Number(process.env.PARLEY_FUZZ_RUNS ?? 300);
const [, nodeDeps] = allDeps[0] as (typeof allDeps)[number];
const crypto = nodeDeps.crypto;

async function codeOf(run: () => Promise<unknown>): Promise<string> {
  try {
    await run();
  } catch (error) {
    if (error instanceof ParleyError) return error.code;
    throw error;
  }
  return "none";
}

/** The vector's backup with its iteration count field set to `n` (nothing else changes). */
function withIterations(n: number): Uint8Array {
  const copy = bytes(vector.backup);
  new DataView(copy.buffer).setUint32(10, n);
  return copy;
}

describe.each(allDeps)("backup.json with the %s provider", (_name, deps) => {
  const c = deps.crypto;
  test("every listed value follows from the one before it with bare primitives", async () => {
    const salt = bytes(vector.salt);
    const master = pbkdf2Sha256(c, utf8(vector.passphrase), salt, vector.iterations, 32);
    expect(hex(master)).toBe(vector.masterKey);
    expect(hex(await backupMasterKey(c, utf8(vector.passphrase), salt, vector.iterations))).toBe(vector.masterKey);
    expect(hex(c.hkdfSha256(master, new Uint8Array(0), utf8(vector.keyLabel), 32))).toBe(vector.key);
    expect(hex(c.hkdfSha256(master, new Uint8Array(0), utf8(vector.checkLabel), 32))).toBe(vector.check);
    const backup = bytes(vector.backup);
    expect(hex(backup.subarray(0, BACKUP_HEADER_BYTES))).toBe(vector.header);
    const plaintext = c.aeadDecrypt(bytes(vector.key), bytes(vector.nonce), backup.subarray(BACKUP_HEADER_BYTES), bytes(vector.header));
    expect(plaintext && hex(plaintext)).toBe(vector.payload);
    const payload = await decryptBackup(c, backup, vector.passphrase, low);
    expect(payload.account.displayName).toBe("Alice");
    expect(payload.contacts[0]?.id).toBe("@bob");
    expect(payload.conversations[0]?.messages[0]?.text).toBe("Hello Bob 👋");
    expect(hex(encodeRecord(payload))).toBe(vector.payload);
  });

  test("every listed failure gives its code", async () => {
    for (const f of vector.failures) {
      expect(await codeOf(() => decryptBackup(c, bytes(f.input), f.passphrase, low)), f.name).toBe(f.expectedError);
    }
  });
});

describe("PBKDF2-HMAC-SHA256", () => {
  test("RFC 7914 §11 (P = passwd, S = salt, c = 1) with every provider, and WebCrypto agrees at 1 000 iterations", async () => {
    const expected =
      "55ac046e56e3089fec1691c22544b605f94185216dde0465e68b9d57c20dacbc49ca9cccf179b645991664b39d77ef317c71b845b1e30bd509112041d3a19783";
    for (const [, deps] of allDeps) expect(hex(pbkdf2Sha256(deps.crypto, utf8("passwd"), utf8("salt"), 1, 64))).toBe(expected);
    const salt = bytes("00112233445566778899aabbccddeeff");
    expect(hex(await backupMasterKey(crypto, utf8("pass"), salt, 1_000))).toBe(hex(pbkdf2Sha256(crypto, utf8("pass"), salt, 1_000, 32)));
  });
});

describe("the header's limits", () => {
  test(`KDF iterations: ${BACKUP_KDF_ITERATIONS - 1} refused, ${BACKUP_KDF_ITERATIONS} accepted (the minimum)`, () => {
    expect(() => parseBackupHeader(withIterations(BACKUP_KDF_ITERATIONS - 1))).toThrow(
      expect.objectContaining({ code: ErrorCode.BackupCorrupt, reason: "KDF_COST" }),
    );
    expect(parseBackupHeader(withIterations(BACKUP_KDF_ITERATIONS)).iterations).toBe(BACKUP_KDF_ITERATIONS);
  });

  test(`KDF iterations: ${MAX_BACKUP_KDF_ITERATIONS} accepted, ${MAX_BACKUP_KDF_ITERATIONS + 1} refused (the maximum)`, () => {
    expect(parseBackupHeader(withIterations(MAX_BACKUP_KDF_ITERATIONS)).iterations).toBe(MAX_BACKUP_KDF_ITERATIONS);
    expect(() => parseBackupHeader(withIterations(MAX_BACKUP_KDF_ITERATIONS + 1))).toThrow(
      expect.objectContaining({ code: ErrorCode.BackupCorrupt, reason: "KDF_COST" }),
    );
  });

  test(`length: header + tag (${BACKUP_HEADER_BYTES + 16} bytes) parses, one byte less does not`, () => {
    const full = bytes(vector.backup);
    expect(parseBackupHeader(full.subarray(0, BACKUP_HEADER_BYTES + 16), low).iterations).toBe(vector.iterations);
    expect(() => parseBackupHeader(full.subarray(0, BACKUP_HEADER_BYTES + 15), low)).toThrow(
      expect.objectContaining({ code: ErrorCode.BackupCorrupt }),
    );
  });
});

describe("encrypting", () => {
  const payload = (): Promise<BackupPayload> => decryptBackup(crypto, bytes(vector.backup), vector.passphrase, low);

  test("by default at the minimum cost, 600 000 iterations, readable without lowering anything", async () => {
    const backup = await encryptBackup(crypto, await payload(), "a long passphrase");
    expect(parseBackupHeader(backup).iterations).toBe(BACKUP_KDF_ITERATIONS);
    expect((await decryptBackup(crypto, backup, "a long passphrase")).account.handle).toBe("alice");
    expect(await codeOf(() => decryptBackup(crypto, backup, "a long passphrasf"))).toBe(ErrorCode.BackupPassphrase);
  });

  test("fresh salt and nonce each time; the passphrase is NFC-normalised; empty ones and costs beyond the maximum refused", async () => {
    const p = await payload();
    const a = await encryptBackup(crypto, p, "café", { iterations: 1_000 });
    const b = await encryptBackup(crypto, p, "café", { iterations: 1_000 });
    expect(hex(a.subarray(14, 30))).not.toBe(hex(b.subarray(14, 30)));
    expect((await decryptBackup(crypto, a, "cafe\u0301", { minIterations: 1_000 })).account.userId).toEqual(p.account.userId);
    await expect(encryptBackup(crypto, p, "", { iterations: 1_000 })).rejects.toThrow(RangeError);
    await expect(encryptBackup(crypto, p, "x", { iterations: MAX_BACKUP_KDF_ITERATIONS + 1 })).rejects.toThrow(RangeError);
    expect(await codeOf(() => decryptBackup(crypto, a, "", { minIterations: 1_000 }))).toBe(ErrorCode.BackupPassphrase);
  });
});

describe("decoders under fuzzing", () => {
  const valid = bytes(vector.backup);
  const master = bytes(vector.masterKey);
  /** The decoding path of `decryptBackup` with the vector's master key (KDF skipped: the bytes' salt is ignored). */
  const open = (input: Uint8Array) => openBackup(crypto, input, parseBackupHeader(input, low), master);
  const onlyBackupErrors = (run: (b: Uint8Array) => unknown, input: Uint8Array) =>
    onlyParleyErrors((b) => {
      try {
        return run(b);
      } catch (error) {
        if (error instanceof ParleyError) expect(error.code).toMatch(/^ERR_BACKUP_(CORRUPT|PASSPHRASE)$/);
        throw error;
      }
    }, input);

  fcTest.prop([mutated(valid)], { numRuns: RUNS })("a mutated backup: its payload or an ERR_BACKUP_* error", (input) => {
    onlyBackupErrors(open, input);
  });

  fcTest.prop([fc.uint8Array({ maxLength: 512 })], { numRuns: RUNS })("arbitrary bytes: ERR_BACKUP_CORRUPT", (input) => {
    onlyBackupErrors(open, input);
  });

  fcTest.prop([mutated(bytes(vector.payload))], { numRuns: RUNS })(
    "a mutated payload: decoded and checked, or ERR_BACKUP_CORRUPT",
    (input) => {
      onlyBackupErrors((b) => decodeBackupPayload(crypto, b), input);
    },
  );

  fcTest.prop([fc.anything({ withTypedArray: true })], { numRuns: RUNS })("any msgpack value as a payload: ERR_BACKUP_CORRUPT", (value) => {
    let encoded: Uint8Array;
    try {
      encoded = encodeRecord(value);
    } catch {
      return; // Not encodable (e.g. a BigInt out of range): nothing to decode.
    }
    expect(() => decodeBackupPayload(crypto, encoded)).toThrow(expect.objectContaining({ code: ErrorCode.BackupCorrupt }));
  });
});

describe("call history lines in a backup", () => {
  const payload = decodeBackupPayload(crypto, bytes(vector.payload));
  const conversation = payload.conversations[0] as BackupPayload["conversations"][number];
  const withLine = (call: unknown): Uint8Array => {
    const base = conversation.messages[0] as object;
    const line = { ...base, id: "ab".repeat(16), kind: "call", text: "Missed voice call", call };
    return encodeRecord({ ...payload, conversations: [{ ...conversation, messages: [...conversation.messages, line] }] });
  };

  test("a call line with its record is kept; a malformed record is ERR_BACKUP_CORRUPT", () => {
    const call = { callId: "cd".repeat(16), video: false, direction: "incoming", outcome: "missed" };
    const decoded = decodeBackupPayload(crypto, withLine(call));
    expect(decoded.conversations[0]?.messages.at(-1)?.call).toEqual(call);
    expect(
      decodeBackupPayload(crypto, withLine({ ...call, outcome: "completed", durationMs: 83_000 })).conversations[0]?.messages.at(-1)?.kind,
    ).toBe("call");
    for (const bad of [{ ...call, outcome: "exploded" }, { ...call, direction: "sideways" }, { ...call, durationMs: -1 }, "missed"]) {
      expect(() => decodeBackupPayload(crypto, withLine(bad))).toThrow(expect.objectContaining({ code: ErrorCode.BackupCorrupt }));
    }
  });
});
