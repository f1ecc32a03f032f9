// Alice and Bob set up an end-to-end encrypted session and exchange sealed messages, using
// only @parley/protocol (no relay: the "network" is a variable). Run: node examples/protocol-quickstart/index.mjs
import {
  addressKey,
  decodeContent,
  encodeContent,
  encryptSealed,
  generateAccount,
  generateDevice,
  generateKemPreKey,
  generateOneTimePreKeys,
  generateSignedPreKey,
  initiateSession,
  loadCryptoProvider,
  openAndDecrypt,
  safetyNumber,
} from "@parley/protocol";

const deps = { crypto: await loadCryptoProvider() };

// Bob creates his account and device, and publishes prekeys (normally to a relay).
const bobAccount = generateAccount(deps);
const bob = generateDevice(deps, bobAccount, 1);
const signed = generateSignedPreKey(deps, bob, 1);
const [oneTime] = generateOneTimePreKeys(deps, 1, 1);
const kem = generateKemPreKey(deps, bob, 1, "one-time");
const bobPreKeys = {
  signedPreKey: (id) => (id === signed.id ? signed : undefined),
  oneTimePreKey: (id) => (id === oneTime.id ? oneTime : undefined),
  kemPreKey: (id) => (id === kem.id ? kem : undefined),
};
const bundle = { deviceCertificate: bob.certificate, signedPreKey: signed.record, oneTimePreKey: oneTime.record, kemPreKey: kem.record };

// Alice fetches Bob's bundle, checks it is signed by the account key she trusts, and writes.
const aliceAccount = generateAccount(deps);
const alice = generateDevice(deps, aliceAccount, 1);
let aliceRecord = initiateSession(deps, alice, undefined, bundle, { accountKey: bobAccount.publicKey }).record;
const hello = encodeContent({ kind: "text", id: crypto.getRandomValues(new Uint8Array(16)), sentAt: Date.now(), text: "Hi Bob!" });
const sealed = encryptSealed(deps, alice, aliceRecord, hello);
aliceRecord = sealed.record;

// Bob opens the envelope: he learns (and the session authenticates) who sent it.
const bobRecords = new Map();
const received = openAndDecrypt(deps, bob, sealed.envelope, (sender) => bobRecords.get(addressKey(sender)), bobPreKeys);
bobRecords.set(addressKey(received.sender), received.record);
const content = decodeContent(received.plaintext);
console.log(`Bob got a ${content.kind}: ${content.text}`);

// Both compare safety numbers out of band.
const atAlice = safetyNumber(
  deps,
  { accountKey: aliceAccount.publicKey, userId: aliceAccount.userId },
  { accountKey: bobAccount.publicKey, userId: bobAccount.userId },
);
const atBob = safetyNumber(
  deps,
  { accountKey: bobAccount.publicKey, userId: bobAccount.userId },
  { accountKey: aliceAccount.publicKey, userId: aliceAccount.userId },
);
console.log(`safety numbers match: ${atAlice.digits === atBob.digits}`);
