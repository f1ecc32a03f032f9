// The backup vector generator (test-vectors/backup.json, spec/backup.md): one backup made with a
// fixed passphrase, salt and nonce, every derived value (PBKDF2 master key, AEAD key, check
// value, header) recomputed here from the spec's formulas with bare primitives, and the failures
// a reader must report. Its own seed ("parley backup vectors v1"), so other vector files do not
// change. The iteration count is 1 000 to keep the vectors quick to check: below the format's
// minimum (600 000), so a reader checks them with its minimum lowered, as spec/backup.md §5 says.

import {
  BACKUP_HEADER_BYTES,
  type BackupPayload,
  openBackup,
  parseBackupHeader,
  pbkdf2Sha256,
  sealBackup,
} from "../../src/client/backup-format.js";
import { encodeRecord } from "../../src/client/records.js";
import { concatBytes, equalBytes, bytesToHex as hex } from "../../src/crypto/bytes.js";
import type { CryptoProvider } from "../../src/crypto/provider.js";
import { ParleyError } from "../../src/errors.js";
import { signDeviceList } from "../../src/keys/device-list.js";
import { accountFromSeed, deriveUserId } from "../../src/keys/identity.js";
import { seededStream } from "./seeded.js";

const SEED = "parley backup vectors v1";
/** Fixed clock of the vectors: 2026-01-01T00:00:00Z. */
const VECTOR_TIME = 1_767_225_600_000;
/** The vectors' iteration count (below the format's minimum: readers lower it to check them). */
export const BACKUP_VECTOR_ITERATIONS = 1_000;
const utf8 = (s: string) => new TextEncoder().encode(s);

function check(condition: boolean, what: string): void {
  if (!condition) throw new Error(`backup vector generator: ${what} disagrees with the specification`);
}

/** Returns `{ "backup.json": … }` for generate.ts's output. */
export function generateBackupVectors(crypto: CryptoProvider): Record<string, unknown> {
  const deps = { crypto };
  const random = seededStream(crypto, SEED);
  const account = accountFromSeed(deps, random(32));
  const bob = accountFromSeed(deps, random(32));
  const payload: BackupPayload = {
    v: 1,
    createdAt: VECTOR_TIME,
    account: {
      userId: account.userId,
      accountPublicKey: account.publicKey,
      accountSeed: account.signingKey.privateKey,
      deliveryToken: random(32),
      deviceList: signDeviceList(deps, account, 1, [1]),
      deviceListSequence: 1,
      deviceId: 1,
      displayName: "Alice",
      handle: "alice",
    },
    settings: { readReceipts: false, typingIndicators: true, presence: true },
    contacts: [
      {
        id: "@bob",
        userId: bob.userId,
        accountKey: bob.publicKey,
        handle: "bob",
        displayName: "Bob",
        deviceIds: [1],
        deviceListSequence: 1,
        verified: true,
        deliveryToken: random(32),
        profileSent: true,
        lastSeen: VECTOR_TIME - 60_000,
      },
    ],
    groups: [],
    conversations: [
      {
        id: "@bob",
        messages: [
          {
            id: hex(random(16)),
            contactId: "@bob",
            sender: hex(account.userId),
            senderDevice: 1,
            outgoing: true,
            kind: "text",
            text: "Hello Bob 👋",
            sentAt: VECTOR_TIME,
            receivedAt: VECTOR_TIME,
            deleted: false,
            reactions: { "❤️": [hex(bob.userId)] },
            status: "read",
          },
        ],
      },
    ],
  };
  const passphrase = "correct horse battery staple";
  const salt = random(16);
  const nonce = random(12);
  const iterations = BACKUP_VECTOR_ITERATIONS;
  const master = pbkdf2Sha256(crypto, utf8(passphrase), salt, iterations, 32);
  const backup = sealBackup(crypto, payload, master, { iterations, salt, nonce });

  // Recomputed from spec/backup.md §2 with bare primitives.
  const empty = new Uint8Array(0);
  const key = crypto.hkdfSha256(master, empty, utf8("Parley/v1/backup key"), 32);
  const checkValue = crypto.hkdfSha256(master, empty, utf8("Parley/v1/backup check"), 32);
  const iterationBytes = new Uint8Array(4);
  new DataView(iterationBytes.buffer).setUint32(0, iterations);
  const header = concatBytes(utf8("PARLEYBK"), Uint8Array.of(1, 1), iterationBytes, salt, checkValue, nonce);
  const plaintext = encodeRecord(payload);
  check(header.length === BACKUP_HEADER_BYTES, "header length");
  check(equalBytes(backup, concatBytes(header, crypto.aeadEncrypt(key, nonce, plaintext, header))), "sealed backup");
  check(equalBytes(deriveUserId(deps, account.publicKey), account.userId), "user id");

  const options = { minIterations: iterations };
  const open = (bytes: Uint8Array, pass: string) =>
    openBackup(crypto, bytes, parseBackupHeader(bytes, options), pbkdf2Sha256(crypto, utf8(pass), bytes.slice(14, 30), iterations, 32));
  const errorCode = (run: () => unknown): string => {
    try {
      run();
    } catch (error) {
      if (error instanceof ParleyError) return error.code;
      throw error;
    }
    return "none";
  };
  const flip = (at: number) => {
    const copy = backup.slice();
    copy[at] = (copy[at] as number) ^ 1;
    return copy;
  };
  const fewer = backup.slice();
  new DataView(fewer.buffer).setUint32(10, iterations - 1);
  const failures = [
    { name: "wrong passphrase", passphrase: "correct horse battery stapler", input: hex(backup) },
    { name: "ciphertext flipped (byte 80)", passphrase, input: hex(flip(80)) },
    { name: "tag flipped (last byte)", passphrase, input: hex(flip(backup.length - 1)) },
    { name: "salt flipped (byte 14)", passphrase, input: hex(flip(14)) },
    { name: "version 2", passphrase, input: hex(Uint8Array.of(...backup.subarray(0, 8), 2, ...backup.subarray(9))) },
    { name: "kdf 2", passphrase, input: hex(Uint8Array.of(...backup.subarray(0, 9), 2, ...backup.subarray(10))) },
    { name: "magic changed", passphrase, input: hex(flip(0)) },
    { name: `iterations ${iterations - 1}, below the reader's minimum ${iterations}`, passphrase, input: hex(fewer) },
    { name: "truncated to the header and 15 bytes", passphrase, input: hex(backup.subarray(0, BACKUP_HEADER_BYTES + 15)) },
  ].map((c) => ({ ...c, expectedError: errorCode(() => open(Uint8Array.from(Buffer.from(c.input, "hex")), c.passphrase)) }));
  check(
    failures.every((f) => f.expectedError !== "none"),
    "every failure fails",
  );
  check(hex(encodeRecord(open(backup, passphrase))) === hex(plaintext), "round trip");

  return {
    "backup.json": {
      description:
        "An encrypted backup (spec/backup.md). PBKDF2-HMAC-SHA256 over the UTF-8 (NFC) passphrase with the salt and iteration count gives the master key; HKDF-SHA256 (empty salt) of it with the two labels gives the AEAD key and the check value; the header (74 bytes) is the associated data of ChaCha20-Poly1305 over the msgpack payload. 'iterations' is below the format's minimum: check these vectors with the minimum lowered to it. Failures: open 'input' with 'passphrase' (minimum lowered likewise).",
      passphrase,
      salt: hex(salt),
      iterations,
      masterKey: hex(master),
      keyLabel: "Parley/v1/backup key",
      checkLabel: "Parley/v1/backup check",
      key: hex(key),
      check: hex(checkValue),
      nonce: hex(nonce),
      header: hex(header),
      payload: hex(plaintext),
      backup: hex(backup),
      failures,
    },
  };
}
