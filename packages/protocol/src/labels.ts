/**
 * Domain-separation labels: every signature context and KDF `info` string, in one place.
 * Each is ASCII, used as `label ‖ 0x00 ‖ …` so no label is a prefix of another's input.
 */

const ascii = (s: string): Uint8Array => new TextEncoder().encode(s);

/** Protocol version byte carried at the start of every top-level structure. */
export const PROTOCOL_VERSION = 1;

/** The one cipher suite of version 1 (for humans and logs; the version byte implies it). */
export const SUITE_NAME = "PARLEY_V1_X25519_ED25519_MLKEM768_CHACHA20POLY1305_SHA256";

export const LABEL_USER_ID = ascii("Parley/v1/user-id");
export const LABEL_DEVICE_CERTIFICATE = ascii("Parley/v1/device-certificate");
export const LABEL_DEVICE_LIST = ascii("Parley/v1/device-list");
export const LABEL_SIGNED_PREKEY = ascii("Parley/v1/signed-prekey");
export const LABEL_KEM_PREKEY = ascii("Parley/v1/kem-prekey");
export const LABEL_PQXDH = ascii("Parley/v1/pqxdh");
export const LABEL_ROOT = ascii("Parley/v1/ratchet-root");
export const LABEL_SEALED = ascii("Parley/v1/sealed-envelope");
export const LABEL_SEALED_SENDER = ascii("Parley/v1/sealed-sender");
export const LABEL_FINGERPRINT = ascii("Parley/v1/fingerprint");
export const LABEL_AUTH_CHALLENGE = ascii("Parley/v1/relay-auth");
export const LABEL_LINK_CODE = ascii("Parley/v1/link-code");
export const LABEL_LINK_TOKEN = ascii("Parley/v1/link-token");
export const LABEL_GROUP_CHANGE = ascii("Parley/v1/group-change");
export const LABEL_SEALED_MULTI = ascii("Parley/v1/sealed-multi");
export const LABEL_SEALED_MULTI_PAYLOAD = ascii("Parley/v1/sealed-multi-payload");
export const LABEL_SEALED_MULTI_AUTH = ascii("Parley/v1/sealed-multi-auth");
export const LABEL_SEALED_MULTI_ID = ascii("Parley/v1/sealed-multi-id");
/** HKDF info deriving an attachment's chunk key and nonce prefix from its file key (spec/attachments.md §3). */
export const LABEL_ATTACHMENT = ascii("Parley/v1/attachment");

/** X3DH's 32 0xFF bytes prepended to the DH outputs (domain separation from XEdDSA/other uses). */
export const PQXDH_PREFIX = new Uint8Array(32).fill(0xff);

/** HKDF `info` (bare) turning a sender key chain's message seed into the AEAD key (spec/groups.md §3). */
export const LABEL_GROUP_MESSAGE_KEY = ascii("Parley/v1/group-message-key");
/** Signature context of a group message (spec/groups.md §5), followed by 0x00. */
export const LABEL_GROUP_MESSAGE = ascii("Parley/v1/group-message");
