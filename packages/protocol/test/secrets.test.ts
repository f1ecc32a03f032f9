// No secret reaches JSON.stringify, util.inspect, String() or an error message.
import { inspect } from "node:util";
import { describe, expect, test } from "vitest";
import { bytesToHex } from "../src/crypto/bytes.js";
import { ParleyError } from "../src/errors.js";
import { decryptMessage, encryptMessage, initiateSession } from "../src/session/record.js";
import { allDeps, bundleOf, makeDevice, utf8 } from "./fixtures.js";

const [, deps] = allDeps[0] as [string, (typeof allDeps)[number][1]];

describe("secret redaction", () => {
  const alice = makeDevice(deps);
  const bob = makeDevice(deps);
  const sent = encryptMessage(deps, initiateSession(deps, alice.device, undefined, bundleOf(bob)).record, utf8("secret plaintext"));
  const received = decryptMessage(deps, bob.device, undefined, sent.message, bob.lookup);
  const session = received.record.current;
  if (!session) throw new Error("no session");

  const secrets: Record<string, Uint8Array> = {
    "account seed": alice.account.signingKey.privateKey,
    "device signing seed": alice.device.signingKey.privateKey,
    "identity private key": alice.device.identityKey.privateKey,
    "signed prekey private key": (bob.signed.get(1) as { keyPair: { privateKey: Uint8Array } }).keyPair.privateKey,
    "ML-KEM secret key": (bob.kem.get(2) as { keyPair: { secretKey: Uint8Array } }).keyPair.secretKey.subarray(0, 64),
    "root key": session.rootKey,
    "sending chain key": session.sendingChain.key,
    "ratchet private key": session.sendingRatchetKey.privateKey,
  };
  const holders: Record<string, unknown> = {
    account: alice.account,
    device: alice.device,
    "signed prekey": bob.signed.get(1),
    "ML-KEM prekey": bob.kem.get(2),
    session,
    record: received.record,
    "key pair": alice.device.identityKey,
    "decrypt result": received,
  };

  const renderings = (value: unknown): string[] => [JSON.stringify(value), inspect(value, { depth: 10 }), String(value), `${value}`];

  test.each(Object.entries(holders))("%s prints no secret key in any rendering", (_name, holder) => {
    for (const rendered of renderings(holder)) {
      for (const secret of Object.values(secrets)) {
        expect(rendered).not.toContain(bytesToHex(secret));
        expect(rendered).not.toContain(Buffer.from(secret).toString("base64"));
        expect(rendered).not.toContain(Array.from(secret.subarray(0, 8)).join(","));
      }
    }
  });

  test("errors from decryption carry no key or plaintext", () => {
    const bad = sent.message.slice();
    bad[bad.length - 1] = (bad[bad.length - 1] as number) ^ 1;
    try {
      decryptMessage(deps, bob.device, received.record, bad, bob.lookup);
      throw new Error("expected a failure");
    } catch (error) {
      expect(error).toBeInstanceOf(ParleyError);
      const rendered = `${(error as Error).message} ${inspect(error)} ${JSON.stringify(error)}`;
      for (const secret of Object.values(secrets)) expect(rendered).not.toContain(bytesToHex(secret));
      expect(rendered).not.toContain("secret plaintext");
    }
  });
});
