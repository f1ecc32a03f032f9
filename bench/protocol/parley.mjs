// Benchmark adapter for @parley/protocol (the built dist), one adapter per crypto provider.
// Every adapter in this folder has the same shape; see the comment at the top of metrics.mjs.
import {
  addressKey,
  createProvider,
  decryptMessage,
  encodeSessionRecord,
  encryptMessage,
  encryptSealed,
  generateAccount,
  generateDevice,
  generateKemPreKey,
  generateOneTimePreKeys,
  generateSignedPreKey,
  initiateSession,
  openAndDecrypt,
  StaticAgreementCache,
  sameAddress,
} from "@parley/protocol";
import { assertSame, stamp, stampedPlaintext } from "../lib/harness.mjs";
import { packageVersion } from "../lib/machine.mjs";

/** A device and the private prekeys it has published, held in maps as a client store would. */
function makeParty(deps, deviceId) {
  const account = generateAccount(deps);
  const device = generateDevice(deps, account, deviceId);
  const signed = new Map();
  const oneTime = new Map();
  const kem = new Map();
  const lookup = { signedPreKey: (id) => signed.get(id), oneTimePreKey: (id) => oneTime.get(id), kemPreKey: (id) => kem.get(id) };
  return { account, device, signed, oneTime, kem, lookup, nextId: 1 };
}

/** Generates one fresh signed + one-time + one-time ML-KEM prekey set and returns its bundle. */
function publishBundle(deps, party) {
  const id = party.nextId++;
  const signed = generateSignedPreKey(deps, party.device, id);
  const [oneTime] = generateOneTimePreKeys(deps, id, 1);
  const kem = generateKemPreKey(deps, party.device, id, "one-time");
  party.signed.set(id, signed);
  party.oneTime.set(id, oneTime);
  party.kem.set(id, kem);
  return { deviceCertificate: party.device.certificate, signedPreKey: signed.record, oneTimePreKey: oneTime.record, kemPreKey: kem.record };
}

/** Deletes what a prekey message consumed, as a client must (and so maps do not grow). */
function consume(party, consumed) {
  if (consumed.oneTimePreKeyId !== undefined) party.oneTime.delete(consumed.oneTimePreKeyId);
  if (consumed.kemPreKeyId !== undefined) party.kem.delete(consumed.kemPreKeyId);
}

/**
 * Creates the adapter for one built-in provider.
 *
 * @param providerName "node" | "sodium" | "noble"
 */
export async function createParleyAdapter(providerName) {
  return parleyAdapterFor(await createProvider(providerName), `parley-${providerName}`);
}

/**
 * The adapter over any `CryptoProvider`, e.g. an experimental one whose gain is to be measured
 * against libsignal-client with the same harness.
 */
export function parleyAdapterFor(crypto, id) {
  // As ParleyClient does: the static–static agreement of sealed envelopes is remembered per peer.
  const deps = { crypto, agreements: new StaticAgreementCache() };
  const alice = makeParty(deps, 1);
  const bob = makeParty(deps, 2);
  const expectBob = { accountKey: bob.account.publicKey, deviceId: 2 };
  const plaintext = stampedPlaintext();

  /**
   * A session Alice started with a fresh bundle, acknowledged by Bob's reply, plus one more
   * message from Alice so Bob takes the DH ratchet step her new key calls for: from here on,
   * Alice → Bob messages carry no ratchet step.
   */
  function establish() {
    let { record: a } = initiateSession(deps, alice.device, undefined, publishBundle(deps, bob), expectBob);
    const first = encryptMessage(deps, a, plaintext);
    a = first.record;
    const opened = decryptMessage(deps, bob.device, undefined, first.message, bob.lookup);
    consume(bob, opened.consumedPreKeys);
    const reply = encryptMessage(deps, opened.record, plaintext);
    const acked = decryptMessage(deps, alice.device, a, reply.message, alice.lookup);
    const settle = encryptMessage(deps, acked.record, plaintext);
    const settled = decryptMessage(deps, bob.device, reply.record, settle.message, bob.lookup);
    return { a: settle.record, b: settled.record, firstMessage: first.message };
  }

  /** `n` messages; `fromAlice(i)` picks each one's direction. */
  function messages(n, fromAlice) {
    let { a, b } = establish();
    return () => {
      for (let i = 0; i < n; i++) {
        stamp(plaintext, i);
        if (fromAlice(i)) {
          const sent = encryptMessage(deps, a, plaintext);
          a = sent.record;
          const got = decryptMessage(deps, bob.device, b, sent.message, bob.lookup);
          b = got.record;
          assertSame(got.plaintext, plaintext, "parley");
        } else {
          const sent = encryptMessage(deps, b, plaintext);
          b = sent.record;
          const got = decryptMessage(deps, alice.device, a, sent.message, alice.lookup);
          a = got.record;
          assertSame(got.plaintext, plaintext, "parley");
        }
      }
      return n;
    };
  }

  return {
    id,
    label: `Parley (${crypto.name})`,
    library: "@parley/protocol",
    version: packageVersion("@parley/protocol"),
    notes: [],
    prepare: {
      handshake(n) {
        const bundles = Array.from({ length: n }, () => publishBundle(deps, bob));
        return () => {
          for (let i = 0; i < n; i++) {
            stamp(plaintext, i);
            const { record } = initiateSession(deps, alice.device, undefined, bundles[i], expectBob);
            const { message } = encryptMessage(deps, record, plaintext);
            const got = decryptMessage(deps, bob.device, undefined, message, bob.lookup);
            consume(bob, got.consumedPreKeys);
            assertSame(got.plaintext, plaintext, "parley handshake");
          }
          return n;
        };
      },
      burst: (n) => messages(n, () => true),
      pingPong: (n) => messages(n, (i) => i % 2 === 0),
      sealed(n) {
        let { a, b } = establish();
        const records = new Map([[addressKey(alice.device.address), b]]);
        const recordFor = (sender) => records.get(addressKey(sender));
        return () => {
          for (let i = 0; i < n; i++) {
            stamp(plaintext, i);
            const sent = encryptSealed(deps, alice.device, a, plaintext);
            a = sent.record;
            const got = openAndDecrypt(deps, bob.device, sent.envelope, recordFor, bob.lookup);
            records.set(addressKey(got.sender), got.record);
            assertSame(got.plaintext, plaintext, "parley sealed");
            if (!sameAddress(got.sender, alice.device.address)) throw new Error("parley sealed: wrong sender");
          }
          return n;
        };
      },
    },
    sizes() {
      const hundred = stampedPlaintext();
      let { a, b, firstMessage } = establish();
      const normal = encryptMessage(deps, a, hundred);
      a = normal.record;
      b = decryptMessage(deps, bob.device, b, normal.message, bob.lookup).record;
      const sealed = encryptSealed(deps, alice.device, a, hundred);
      a = sealed.record;
      b = openAndDecrypt(deps, bob.device, sealed.envelope, () => b, bob.lookup).record;
      // Ten each way, alternating, on top of the set-up traffic above.
      for (let i = 0; i < 10; i++) {
        const out = encryptMessage(deps, a, hundred);
        a = out.record;
        b = decryptMessage(deps, bob.device, b, out.message, bob.lookup).record;
        const back = encryptMessage(deps, b, hundred);
        b = back.record;
        a = decryptMessage(deps, alice.device, a, back.message, alice.lookup).record;
      }
      return {
        preKeyMessage: firstMessage.length,
        message: normal.message.length,
        sealed: sealed.envelope.length,
        sessionRecord: encodeSessionRecord(a).length,
      };
    },
  };
}

/** The three Parley adapters, one per built-in provider. */
export const adapters = ["node", "sodium", "noble"].map((name) => ({ id: `parley-${name}`, create: () => createParleyAdapter(name) }));
