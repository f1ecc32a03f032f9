// Benchmark adapter for @signalapp/libsignal-client (Signal's Rust implementation via N-API).
// The package ships store interfaces but no implementations, so minimal Map-based in-memory
// stores are defined here; they hold native objects as they are, with no serialization.
import {
  IdentityChange,
  IdentityKeyPair,
  IdentityKeyStore,
  KEMKeyPair,
  KyberPreKeyRecord,
  KyberPreKeyStore,
  PreKeyBundle,
  PreKeyRecord,
  PreKeySignalMessage,
  PreKeyStore,
  PrivateKey,
  ProtocolAddress,
  processPreKeyBundle,
  SenderCertificate,
  ServerCertificate,
  SessionStore,
  SignalMessage,
  SignedPreKeyRecord,
  SignedPreKeyStore,
  sealedSenderDecryptMessage,
  sealedSenderEncryptMessage,
  signalDecrypt,
  signalDecryptPreKey,
  signalEncrypt,
} from "@signalapp/libsignal-client";
import { assertSame, stamp, stampedPlaintext } from "../lib/harness.mjs";
import { packageVersion } from "../lib/machine.mjs";

const addressKey = (address) => `${address.name()}.${address.deviceId()}`;

class MemorySessionStore extends SessionStore {
  sessions = new Map();
  async saveSession(address, record) {
    this.sessions.set(addressKey(address), record);
  }
  async getSession(address) {
    return this.sessions.get(addressKey(address)) ?? null;
  }
  async getExistingSessions(addresses) {
    return addresses.map((address) => {
      const record = this.sessions.get(addressKey(address));
      if (!record) throw new Error(`no session for ${addressKey(address)}`);
      return record;
    });
  }
}

/** Trust on first use, like a client before the user has verified safety numbers. */
class MemoryIdentityStore extends IdentityKeyStore {
  identities = new Map();
  constructor(identity, registrationId) {
    super();
    this.identity = identity;
    this.registrationId = registrationId;
  }
  async getIdentityKey() {
    return this.identity.privateKey;
  }
  async getLocalRegistrationId() {
    return this.registrationId;
  }
  async saveIdentity(address, key) {
    const existing = this.identities.get(addressKey(address));
    this.identities.set(addressKey(address), key);
    return existing && !existing.equals(key) ? IdentityChange.ReplacedExisting : IdentityChange.NewOrUnchanged;
  }
  async isTrustedIdentity(address, key) {
    const existing = this.identities.get(addressKey(address));
    return !existing || existing.equals(key);
  }
  async getIdentity(address) {
    return this.identities.get(addressKey(address)) ?? null;
  }
}

class MemoryPreKeyStore extends PreKeyStore {
  keys = new Map();
  async savePreKey(id, record) {
    this.keys.set(id, record);
  }
  async getPreKey(id) {
    const record = this.keys.get(id);
    if (!record) throw new Error(`no prekey ${id}`);
    return record;
  }
  async removePreKey(id) {
    this.keys.delete(id);
  }
}

class MemorySignedPreKeyStore extends SignedPreKeyStore {
  keys = new Map();
  async saveSignedPreKey(id, record) {
    this.keys.set(id, record);
  }
  async getSignedPreKey(id) {
    const record = this.keys.get(id);
    if (!record) throw new Error(`no signed prekey ${id}`);
    return record;
  }
}

class MemoryKyberPreKeyStore extends KyberPreKeyStore {
  keys = new Map();
  async saveKyberPreKey(id, record) {
    this.keys.set(id, record);
  }
  async getKyberPreKey(id) {
    const record = this.keys.get(id);
    if (!record) throw new Error(`no Kyber prekey ${id}`);
    return record;
  }
  /** One-time Kyber prekeys are deleted on use (Parley's benchmark uses one-time ML-KEM prekeys too). */
  async markKyberPreKeyUsed(id) {
    this.keys.delete(id);
  }
}

function makeParty(uuid, deviceId, registrationId) {
  const identity = IdentityKeyPair.generate();
  return {
    uuid,
    deviceId,
    identity,
    address: ProtocolAddress.new(uuid, deviceId),
    identityStore: new MemoryIdentityStore(identity, registrationId),
    preKeys: new MemoryPreKeyStore(),
    signedPreKeys: new MemorySignedPreKeyStore(),
    kyberPreKeys: new MemoryKyberPreKeyStore(),
    registrationId,
    nextId: 1,
  };
}

/** A fresh one-time EC prekey, signed EC prekey and one-time Kyber (ML-KEM-1024) prekey, stored, and their bundle. */
function publishBundle(party) {
  const id = party.nextId++;
  const now = Date.now();
  const preKey = PrivateKey.generate();
  const signedKey = PrivateKey.generate();
  const signedSignature = party.identity.privateKey.sign(signedKey.getPublicKey().serialize());
  const kyber = KEMKeyPair.generate();
  const kyberSignature = party.identity.privateKey.sign(kyber.getPublicKey().serialize());
  party.preKeys.keys.set(id, PreKeyRecord.new(id, preKey.getPublicKey(), preKey));
  party.signedPreKeys.keys.set(id, SignedPreKeyRecord.new(id, now, signedKey.getPublicKey(), signedKey, signedSignature));
  party.kyberPreKeys.keys.set(id, KyberPreKeyRecord.new(id, now, kyber, kyberSignature));
  return PreKeyBundle.new(
    party.registrationId,
    party.deviceId,
    id,
    preKey.getPublicKey(),
    id,
    signedKey.getPublicKey(),
    signedSignature,
    party.identity.publicKey,
    id,
    kyber.getPublicKey(),
    kyberSignature,
  );
}

/** Creates the libsignal-client adapter. */
export async function createAdapter() {
  const alice = makeParty("9d0652a3-dcc3-4d11-975f-74d61598733f", 1, 1111);
  const bob = makeParty("796abedb-ca4e-4f18-8803-1fab5b9b9fcf", 2, 2222);
  const plaintext = stampedPlaintext();

  // Sealed sender needs a server certificate chained to a trust root, and a sender certificate.
  const trustRoot = PrivateKey.generate();
  const serverKey = PrivateKey.generate();
  const serverCertificate = ServerCertificate.new(1, serverKey.getPublicKey(), trustRoot);
  const expiration = Date.now() + 365 * 24 * 3600 * 1000;
  const senderCertificate = SenderCertificate.new(
    alice.uuid,
    null,
    alice.deviceId,
    alice.identity.publicKey,
    expiration,
    serverCertificate,
    serverKey,
  );
  const trustRootPublic = trustRoot.getPublicKey();

  /** One prekey message from Alice to Bob: process bundle, encrypt, serialize, parse, decrypt. */
  async function handshakeOnce(bundle, aliceSessions, bobSessions, label) {
    await processPreKeyBundle(bundle, bob.address, alice.address, aliceSessions, alice.identityStore);
    const sent = await signalEncrypt(plaintext, bob.address, alice.address, aliceSessions, alice.identityStore);
    const wire = sent.serialize();
    const got = await signalDecryptPreKey(
      PreKeySignalMessage.deserialize(wire),
      alice.address,
      bob.address,
      bobSessions,
      bob.identityStore,
      bob.preKeys,
      bob.signedPreKeys,
      bob.kyberPreKeys,
    );
    assertSame(got, plaintext, label);
    return wire;
  }

  async function send(from, to, fromSessions, toSessions) {
    const wire = (await signalEncrypt(plaintext, to.address, from.address, fromSessions, from.identityStore)).serialize();
    const got = await signalDecrypt(SignalMessage.deserialize(wire), from.address, to.address, toSessions, to.identityStore);
    assertSame(got, plaintext, "libsignal-client");
    return wire;
  }

  /**
   * Fresh session stores with a session Alice started and Bob acknowledged, plus one more
   * message from Alice so both ratchets have stepped: Alice → Bob messages then carry no step.
   */
  async function establish() {
    const a = new MemorySessionStore();
    const b = new MemorySessionStore();
    const firstMessage = await handshakeOnce(publishBundle(bob), a, b, "libsignal-client establish");
    await send(bob, alice, b, a);
    await send(alice, bob, a, b);
    return { a, b, firstMessage };
  }

  function messages(n, fromAlice) {
    return establish().then(({ a, b }) => async () => {
      for (let i = 0; i < n; i++) {
        stamp(plaintext, i);
        if (fromAlice(i)) await send(alice, bob, a, b);
        else await send(bob, alice, b, a);
      }
      return n;
    });
  }

  async function sealedOnce(a, b) {
    const envelope = await sealedSenderEncryptMessage(plaintext, bob.address, senderCertificate, a, alice.identityStore);
    const got = await sealedSenderDecryptMessage(
      envelope,
      trustRootPublic,
      Date.now(),
      null,
      bob.uuid,
      bob.deviceId,
      b,
      bob.identityStore,
      bob.preKeys,
      bob.signedPreKeys,
      bob.kyberPreKeys,
    );
    assertSame(got.message(), plaintext, "libsignal-client sealed");
    if (got.senderUuid() !== alice.uuid) throw new Error("libsignal-client sealed: wrong sender");
    return envelope;
  }

  return {
    id: "libsignal-client",
    label: "libsignal-client (Rust, N-API)",
    library: "@signalapp/libsignal-client",
    version: packageVersion("@signalapp/libsignal-client"),
    notes: [
      "Its Kyber prekeys are Kyber-1024 (key type 0x08, 1568-byte public key and ciphertext); Parley uses ML-KEM-768 (1184 / 1088 bytes), which is cheaper.",
      "Sealed sender v1 carries and validates a server-signed sender certificate in every envelope.",
    ],
    prepare: {
      handshake(n) {
        // A fresh prekey set per iteration, and empty session stores on both sides, as Parley's
        // `record = undefined`; Bob's identity and Alice's are long-lived.
        const jobs = Array.from({ length: n }, () => ({
          bundle: publishBundle(bob),
          a: new MemorySessionStore(),
          b: new MemorySessionStore(),
        }));
        return async () => {
          for (let i = 0; i < n; i++) {
            stamp(plaintext, i);
            await handshakeOnce(jobs[i].bundle, jobs[i].a, jobs[i].b, "libsignal-client handshake");
          }
          return n;
        };
      },
      burst: (n) => messages(n, () => true),
      pingPong: (n) => messages(n, (i) => i % 2 === 0),
      async sealed(n) {
        const { a, b } = await establish();
        return async () => {
          for (let i = 0; i < n; i++) {
            stamp(plaintext, i);
            await sealedOnce(a, b);
          }
          return n;
        };
      },
    },
    async sizes() {
      const { a, b, firstMessage } = await establish();
      const message = await send(alice, bob, a, b);
      const sealed = await sealedOnce(a, b);
      for (let i = 0; i < 10; i++) {
        await send(alice, bob, a, b);
        await send(bob, alice, b, a);
      }
      const record = await a.getSession(bob.address);
      return {
        preKeyMessage: firstMessage.length,
        message: message.length,
        sealed: sealed.length,
        sessionRecord: record.serialize().length,
      };
    },
  };
}

export const adapters = [{ id: "libsignal-client", create: createAdapter }];
