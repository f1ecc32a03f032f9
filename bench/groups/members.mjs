// The people of the groups benchmark, made once before any timing with @parley/protocol's built
// dist: one sender device and up to 1,000 members (device 1 each), each member with a delivery
// token, a signed device list (for registering at the relay) and an established pairwise session
// with the sender (a prekey handshake, a reply and one more message, so both sides have taken
// their DH ratchet step: what a group of contacts has when a member is removed).
import {
  createSenderKey,
  decodeSenderKeyDistribution,
  decryptMessage,
  encodeContent,
  encodeSenderKeyDistribution,
  encryptMessage,
  generateAccount,
  generateDevice,
  generateKemPreKey,
  generateOneTimePreKeys,
  generateSignedPreKey,
  initiateSession,
  StaticAgreementCache,
  senderKeyFromDistribution,
  signDeviceList,
} from "@parley/protocol";

/** A device with its published private prekeys, as a client store would hold them. */
function makeParty(deps, deviceId, account = generateAccount(deps)) {
  const device = generateDevice(deps, account, deviceId);
  const signed = new Map();
  const oneTime = new Map();
  const kem = new Map();
  const lookup = { signedPreKey: (id) => signed.get(id), oneTimePreKey: (id) => oneTime.get(id), kemPreKey: (id) => kem.get(id) };
  return { account, device, deviceId, signed, oneTime, kem, lookup, deviceList: signDeviceList(deps, account, 1, [deviceId]) };
}

function publishBundle(deps, party) {
  const signed = generateSignedPreKey(deps, party.device, 1);
  const [oneTime] = generateOneTimePreKeys(deps, 1, 1);
  const kem = generateKemPreKey(deps, party.device, 1, "one-time");
  party.signed.set(1, signed);
  party.oneTime.set(1, oneTime);
  party.kem.set(1, kem);
  return { deviceCertificate: party.device.certificate, signedPreKey: signed.record, oneTimePreKey: oneTime.record, kemPreKey: kem.record };
}

/** A padded text content: what a short group message is. */
export function groupPlaintext(counter) {
  const id = new Uint8Array(16);
  new DataView(id.buffer).setUint32(0, counter);
  return encodeContent({
    kind: "text",
    id,
    sentAt: 1_767_225_600_000 + counter,
    text: "Are we still on for Friday? I can book the place near the station.",
  });
}

/**
 * The pairwise plaintext of a sender-key distribution: a content of the same padded size as the
 * client's `senderKey` content (kind + id + sentAt + group id + the 74-byte distribution). The
 * `senderKey` content kind belongs to the client part; its bytes here are a text content whose
 * text is the 16-byte group id and the distribution in hex-free latin1, so the padding bucket is
 * the one the real content lands in.
 */
export function distributionPlaintext(groupId, distribution, counter) {
  const id = new Uint8Array(16);
  new DataView(id.buffer).setUint32(0, counter);
  const text = String.fromCharCode(...groupId, ...distribution).replace(/[^\x20-\x7e]/g, "x");
  return encodeContent({ kind: "text", id, sentAt: 1_767_225_600_000 + counter, text });
}

/** Sender and member agree on a session; returns both records after the settling exchange. */
function establish(deps, sender, member) {
  const expect = { accountKey: member.account.publicKey, deviceId: member.deviceId };
  const hello = new Uint8Array(32);
  let { record: a } = initiateSession(deps.sender, sender.device, undefined, publishBundle(deps.sender, member), expect);
  const first = encryptMessage(deps.sender, a, hello);
  a = first.record;
  const opened = decryptMessage(member.deps, member.device, undefined, first.message, member.lookup);
  const reply = encryptMessage(member.deps, opened.record, hello);
  const acked = decryptMessage(deps.sender, sender.device, a, reply.message, sender.lookup);
  const settle = encryptMessage(deps.sender, acked.record, hello);
  const settled = decryptMessage(member.deps, member.device, reply.record, settle.message, member.lookup);
  return { senderRecord: settle.record, memberRecord: settled.record };
}

/**
 * The sender, `count` members with `devicesPerMember` devices each, every device with a session
 * with the sender, a group id and the sender's sender key, which every device holds (from its
 * distribution). `members` lists devices, a member's devices next to each other; they share the
 * member's account and delivery token, and device d carries a device list of sequence d naming all
 * of them (so registering them in order at the relay only ever moves the list forward). Each device
 * has its own agreement cache, as its own client would; the sender has one of the default size
 * (STATIC_AGREEMENT_CACHE_SIZE peers).
 */
export function makeGroup(crypto, count, log = () => {}, devicesPerMember = 1) {
  const senderDeps = { crypto, agreements: new StaticAgreementCache() };
  const sender = makeParty(senderDeps, 1);
  const members = [];
  const started = performance.now();
  const deviceIds = Array.from({ length: devicesPerMember }, (_, d) => d + 1);
  for (let i = 0; i < count; i++) {
    const account = generateAccount(senderDeps);
    const token = crypto.randomBytes(32);
    for (const deviceId of deviceIds) {
      const member = makeParty(senderDeps, deviceId, account);
      member.deviceList = signDeviceList(senderDeps, account, deviceId, deviceIds);
      member.deps = { crypto, agreements: new StaticAgreementCache() };
      member.token = token;
      const { senderRecord, memberRecord } = establish({ sender: senderDeps }, sender, member);
      member.senderRecord = senderRecord; // the sender's record of its session with this device
      member.record = memberRecord; // the device's record of its session with the sender
      members.push(member);
    }
    if ((i + 1) % 250 === 0) log(`  ${i + 1}/${count} members with sessions (${((performance.now() - started) / 1000).toFixed(1)} s)`);
  }
  const groupId = crypto.randomBytes(16);
  const senderKey = createSenderKey(senderDeps);
  const distribution = encodeSenderKeyDistribution(senderKey);
  for (const member of members) member.senderKey = senderKeyFromDistribution(decodeSenderKeyDistribution(distribution));
  return { deps: senderDeps, sender, members, devicesPerMember, groupId, senderKey };
}
