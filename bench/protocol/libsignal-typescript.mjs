// Benchmark adapter for @privacyresearch/libsignal-protocol-typescript: a pure TypeScript port
// of libsignal-protocol-javascript over WebCrypto (globalThis.crypto in Node 20). X3DH without
// Kyber, no sealed sender. Its store interface takes sessions as serialized strings, so the
// minimal store below keeps exactly those strings.
import lib from "@privacyresearch/libsignal-protocol-typescript";
import { assertSame, stamp, stampedPlaintext } from "../lib/harness.mjs";
import { packageVersion } from "../lib/machine.mjs";

const { KeyHelper, SessionBuilder, SessionCipher, SignalProtocolAddress } = lib;

/** Bytes → the ArrayBuffer the library's API takes (a copy, so later stamping cannot alias it). */
const toArrayBuffer = (bytes) => bytes.slice().buffer;

/** One device's storage; `sessions` is per instance so a handshake can start from an empty store. */
class MemoryStorage {
  constructor(party) {
    this.party = party;
    this.sessions = new Map();
  }
  async getIdentityKeyPair() {
    return this.party.identity;
  }
  async getLocalRegistrationId() {
    return this.party.registrationId;
  }
  /** Trust on first use, like a client before the user has verified safety numbers. */
  async isTrustedIdentity(identifier, identityKey) {
    const known = this.party.identities.get(identifier.split(".")[0]);
    return known === undefined || equalBuffers(known, identityKey);
  }
  async saveIdentity(encodedAddress, publicKey) {
    const name = encodedAddress.split(".")[0];
    const known = this.party.identities.get(name);
    this.party.identities.set(name, publicKey);
    return known !== undefined && !equalBuffers(known, publicKey);
  }
  async loadPreKey(keyId) {
    return this.party.preKeys.get(Number(keyId));
  }
  async storePreKey(keyId, keyPair) {
    this.party.preKeys.set(Number(keyId), keyPair);
  }
  async removePreKey(keyId) {
    this.party.preKeys.delete(Number(keyId));
  }
  async loadSignedPreKey(keyId) {
    return this.party.signedPreKeys.get(Number(keyId));
  }
  async storeSignedPreKey(keyId, keyPair) {
    this.party.signedPreKeys.set(Number(keyId), keyPair);
  }
  async removeSignedPreKey(keyId) {
    this.party.signedPreKeys.delete(Number(keyId));
  }
  async storeSession(encodedAddress, record) {
    this.sessions.set(encodedAddress, record);
  }
  async loadSession(encodedAddress) {
    return this.sessions.get(encodedAddress);
  }
}

function equalBuffers(a, b) {
  const x = new Uint8Array(a);
  const y = new Uint8Array(b);
  return x.length === y.length && x.every((v, i) => v === y[i]);
}

async function makeParty(name, deviceId) {
  return {
    identity: await KeyHelper.generateIdentityKeyPair(),
    registrationId: KeyHelper.generateRegistrationId(),
    address: new SignalProtocolAddress(name, deviceId),
    identities: new Map(),
    preKeys: new Map(),
    signedPreKeys: new Map(),
    nextId: 1,
  };
}

/** A fresh one-time prekey and signed prekey, stored, and the "device" bundle naming them. */
async function publishBundle(party) {
  const id = party.nextId++;
  const signed = await KeyHelper.generateSignedPreKey(party.identity, id);
  const preKey = await KeyHelper.generatePreKey(id);
  party.signedPreKeys.set(id, signed.keyPair);
  party.preKeys.set(id, preKey.keyPair);
  return {
    identityKey: party.identity.pubKey,
    registrationId: party.registrationId,
    signedPreKey: { keyId: id, publicKey: signed.keyPair.pubKey, signature: signed.signature },
    preKey: { keyId: id, publicKey: preKey.keyPair.pubKey },
  };
}

/** Creates the libsignal-protocol-typescript adapter. */
export async function createAdapter() {
  const alice = await makeParty("alice", 1);
  const bob = await makeParty("bob", 2);
  const plaintext = stampedPlaintext();

  /** Process the bundle, encrypt, decrypt the PreKeyWhisperMessage; returns the wire body. */
  async function handshakeOnce(device, aliceStorage, bobStorage, label) {
    await new SessionBuilder(aliceStorage, bob.address).processPreKey(device);
    const sent = await new SessionCipher(aliceStorage, bob.address).encrypt(toArrayBuffer(plaintext));
    if (sent.type !== 3) throw new Error(`${label}: expected a PreKeyWhisperMessage, got type ${sent.type}`);
    const got = await new SessionCipher(bobStorage, alice.address).decryptPreKeyWhisperMessage(sent.body, "binary");
    assertSame(new Uint8Array(got), plaintext, label);
    return sent.body;
  }

  /** A WhisperMessage between two established sessions; `ciphers` are reused, as an app would. */
  async function send(senderCipher, receiverCipher) {
    const sent = await senderCipher.encrypt(toArrayBuffer(plaintext));
    if (sent.type !== 1) throw new Error(`libsignal-typescript: expected a WhisperMessage, got type ${sent.type}`);
    const got = await receiverCipher.decryptWhisperMessage(sent.body, "binary");
    assertSame(new Uint8Array(got), plaintext, "libsignal-typescript");
    return sent.body;
  }

  async function establish() {
    const a = new MemoryStorage(alice);
    const b = new MemoryStorage(bob);
    const firstMessage = await handshakeOnce(await publishBundle(bob), a, b, "libsignal-typescript establish");
    const toBob = new SessionCipher(a, bob.address);
    const toAlice = new SessionCipher(b, alice.address);
    await send(toAlice, toBob);
    // One more from Alice so both ratchets have stepped: Alice → Bob messages then carry no step.
    await send(toBob, toAlice);
    return { a, b, toBob, toAlice, firstMessage };
  }

  async function messages(n, fromAlice) {
    const { toBob, toAlice } = await establish();
    return async () => {
      for (let i = 0; i < n; i++) {
        stamp(plaintext, i);
        if (fromAlice(i)) await send(toBob, toAlice);
        else await send(toAlice, toBob);
      }
      return n;
    };
  }

  return {
    id: "libsignal-typescript",
    label: "libsignal-protocol-typescript (pure TS)",
    library: "@privacyresearch/libsignal-protocol-typescript",
    version: packageVersion("@privacyresearch/libsignal-protocol-typescript"),
    notes: ["X3DH without Kyber (no post-quantum prekey): its handshake does less work than the other two.", "No sealed sender."],
    prepare: {
      async handshake(n) {
        const jobs = [];
        for (let i = 0; i < n; i++) jobs.push({ device: await publishBundle(bob), a: new MemoryStorage(alice), b: new MemoryStorage(bob) });
        return async () => {
          for (let i = 0; i < n; i++) {
            stamp(plaintext, i);
            await handshakeOnce(jobs[i].device, jobs[i].a, jobs[i].b, "libsignal-typescript handshake");
          }
          return n;
        };
      },
      burst: (n) => messages(n, () => true),
      pingPong: (n) => messages(n, (i) => i % 2 === 0),
      sealed: undefined,
    },
    async sizes() {
      const { a, toBob, toAlice, firstMessage } = await establish();
      const message = await send(toBob, toAlice);
      for (let i = 0; i < 10; i++) {
        await send(toBob, toAlice);
        await send(toAlice, toBob);
      }
      // Bodies are "binary" strings (one char per byte); the record is a JSON string.
      const record = a.sessions.get(bob.address.toString());
      return {
        preKeyMessage: firstMessage.length,
        message: message.length,
        sealed: undefined,
        sessionRecord: Buffer.byteLength(record, "utf8"),
      };
    },
  };
}

export const adapters = [{ id: "libsignal-typescript", create: createAdapter }];
