// The protocol benchmark's metrics: their definitions (printed next to every result), the
// targets Parley's default Node provider must reach against libsignal-client, and the adapters.
//
// Adapter shape (every library file in this folder exports `adapters = [{ id, create }]`, and
// `create()` resolves to one of these):
//   { id, label, library, version, notes: string[],
//     prepare: { handshake, burst, pingPong, sealed? }  // (n) => closure running n ops, returns n
//     sizes(): { preKeyMessage, message, sealed?, sessionRecord } }

/** Throughput metrics, in report order. `minOps` is the smallest batch worth timing. */
export const THROUGHPUT_METRICS = [
  {
    key: "handshake",
    title: "full handshake/s",
    minOps: 10,
    definition:
      "Responder identity long-lived; a fresh prekey set (signed + one-time EC prekey, and a one-time post-quantum prekey where the library has one) per iteration, generated before timing. Timed: initiator verifies the bundle's signatures and sets up the session, encrypts a 100 B message; responder decrypts that prekey message. Both sides start from empty session stores.",
  },
  {
    key: "burst",
    title: "burst messages/s",
    minOps: 100,
    definition:
      "On a session that is established and acknowledged, one direction only, so no message carries a DH ratchet step. One op = encrypt 100 B + decrypt it (message serialized to bytes and parsed back).",
  },
  {
    key: "pingPong",
    title: "ping-pong messages/s",
    minOps: 50,
    definition:
      "As burst, but the direction alternates every message, so every decryption performs a DH ratchet step (and the next encryption uses the new chain).",
  },
  {
    key: "sealed",
    title: "sealed messages/s",
    minOps: 50,
    definition:
      "As burst (one direction, established session), with the sender's identity hidden: encrypt + seal, then open + decrypt, 100 B. Parley: encryptSealed / openAndDecrypt (sender authenticated by the envelope's static–static layer, its agreement remembered per peer as ParleyClient does; the certificate's signature check is served by the provider's verified-signature cache). libsignal-client: sealedSenderEncryptMessage / sealedSenderDecryptMessage (sender certificate validated against a trust root on every message).",
  },
];

/** Size metrics. */
export const SIZE_METRICS = [
  {
    key: "preKeyMessage",
    title: "first (prekey) message, 100 B plaintext",
    definition: "bytes on the wire of the initiator's first message",
  },
  {
    key: "message",
    title: "normal message, 100 B plaintext",
    definition: "bytes of a message on an acknowledged session, no prekey header",
  },
  { key: "sealed", title: "sealed message, 100 B plaintext", definition: "bytes of a sealed-sender message on an established session" },
  {
    key: "sessionRecord",
    title: "serialized session after 10 messages each way",
    definition:
      "initiator's stored record after the handshake and 10 alternating messages each way (Parley: encodeSessionRecord(record).length; libsignal-client: SessionRecord.serialize(); libsignal-typescript: its JSON record string, UTF-8 bytes)",
  },
];

/** Targets: Parley with the default Node provider ÷ libsignal-client, same run. */
export const TARGETS = { handshake: 1.2, burst: 3, pingPong: 1.2, sealed: 2 };

/** Target for the gzip size of the browser bundle (core + noble provider). */
export const BUNDLE_TARGET_BYTES = 60 * 1024;

/** The adapter every ratio is taken against, and the Parley adapter the targets apply to. */
export const BASELINE_ID = "libsignal-client";
export const TARGET_ID = "parley-node";

/** Creates the adapters named in `only` (all when undefined), in report order. */
export async function loadAdapters(only) {
  const modules = [await import("./parley.mjs"), await import("./libsignal-client.mjs"), await import("./libsignal-typescript.mjs")];
  const wanted = modules.flatMap((m) => m.adapters).filter((a) => !only || only.includes(a.id));
  const unknown = (only ?? []).filter((id) => !wanted.some((a) => a.id === id));
  if (unknown.length > 0) throw new RangeError(`unknown adapter: ${unknown.join(", ")}`);
  const created = [];
  for (const entry of wanted) created.push(await entry.create());
  return created;
}
