/**
 * Every numeric limit of the protocol core, in one place (spec/limits.md mirrors this file).
 * Each bounds memory or CPU an attacker can make us spend, or a counter's range.
 */

/**
 * Most message keys one incoming message may make us derive and store in a single receiving
 * chain. A gap larger than this is far beyond real message loss and is treated as an attack.
 */
export const MAX_SKIP_PER_CHAIN = 1000;

/**
 * Most skipped message keys kept in one session across all chains. When a new skipped key
 * would exceed it, the oldest is discarded (its message then reads as a duplicate): bounded
 * memory matters more than a message delayed past two thousand others.
 */
export const MAX_SKIPPED_KEYS = 2000;

/** Retired receiving ratchet keys remembered per session, so replays on old chains read as duplicates. */
export const MAX_RETIRED_CHAINS = 5;

/** Older sessions kept per remote device for trial decryption of messages still in flight. */
export const MAX_ARCHIVED_SESSIONS = 10;

/**
 * Most sessions of one record a ratchet message with an unknown ratchet key is tried on (each
 * try is a DH ratchet step: two X25519 and a key generation). A message on a chain a session
 * knows goes straight to that session; only a new ratchet key needs trying, and a peer steps
 * the ratchet on one of its newest sessions, so the current one and the two newest archived
 * ones are tried (spec/ratchet.md §7).
 */
export const MAX_RATCHET_STEP_TRIALS = 3;

/**
 * Static–static agreements remembered by a StaticAgreementCache (32 bytes each, plus the key).
 * A multi-recipient seal needs one per member device: 4,096 covers a full 1,000-member group
 * with its members' other devices (below that, every seal to a large group misses: +35 % CPU,
 * BENCHMARKS.md §Groups), for about 1 MB of memory.
 */
export const STATIC_AGREEMENT_CACHE_SIZE = 4096;

/** Highest message number in one chain; a sender must step the ratchet before reaching it. */
export const MAX_CHAIN_INDEX = 0xffff_fffe;

/** Largest content plaintext before padding (bytes). Fits the relay's 96 KiB frame with overhead. */
export const MAX_CONTENT_BYTES = 65_536;

/** Largest text body, reply body, edit body, caption or call payload (UTF-8 bytes). */
export const MAX_TEXT_BYTES = 60_000;

/** Largest short string (emoji, content type, file name, blob id), UTF-8 bytes. */
export const MAX_SHORT_STRING_BYTES = 1024;

/** Most message ids one receipt may acknowledge. */
export const MAX_RECEIPT_IDS = 512;

/** Iterations of the safety-number hash (same work factor as Signal's, per key). */
export const SAFETY_NUMBER_ITERATIONS = 5200;

/** Largest serialized session record accepted by `decodeSessionRecord` (bytes). */
export const MAX_SESSION_RECORD_BYTES = 4 * 1024 * 1024;

/**
 * Most message keys one group message may make a receiver derive in one sender key chain
 * (spec/groups.md VAL-084). Like MAX_SKIP_PER_CHAIN: far beyond real loss on a durable relay,
 * small enough that a member's forged jump costs a receiver at most this many HMAC pairs.
 */
export const MAX_GROUP_SKIP = 1000;

/**
 * Most skipped message keys kept per sender key (spec/groups.md VAL-085); the oldest are
 * discarded first. 36 bytes each, so a receiver holds at most ~36 KB per sender in a group.
 */
export const MAX_GROUP_SKIPPED_KEYS = 1000;

/** Most users one text or reply may mention (a page of a large group; each is 16 bytes). */
export const MAX_MENTIONS = 256;

/** Largest encoded sender-key distribution in a `senderKey` content (the format is ~80 bytes; room to grow). */
export const MAX_SENDER_KEY_DISTRIBUTION_BYTES = 1024;

/** Group messages (and distributions for unknown groups) a client holds per group while waiting for a sender key; the oldest go first. */
export const MAX_GROUP_PENDING = 256;
/** Applied group changes a client remembers (version and hash) per group, to tell a replay from a competing change to a version it moved past; 64 × ~40 bytes per group record. */
export const MAX_GROUP_CHANGE_HISTORY = 64;
/**
 * Changes a client can go back over to take a competing change that wins (spec/group-state.md §5):
 * it keeps this many applied changes with the state each replaced, up to ~52 KB per state.
 */
export const MAX_GROUP_FORK_DEPTH = 8;
/** Most members of one group (as Signal); an encoded full group state still fits one group change content. */
export const MAX_GROUP_MEMBERS = 1000;

/** Largest group name (UTF-8 bytes): a title, not a paragraph. */
export const MAX_GROUP_NAME_BYTES = 256;

/** Largest group description (UTF-8 bytes); with 1,000 members the state stays under MAX_TEXT_BYTES. */
export const MAX_GROUP_DESCRIPTION_BYTES = 2048;

/** Largest group avatar: an encoded attachment pointer (key, digest, blob id), never the image. */
export const MAX_GROUP_AVATAR_BYTES = 1024;

/** Most actions in one group change: enough to add a full group at once, bounding the work one change costs. */
export const MAX_GROUP_ACTIONS = 1000;
/** Plaintext bytes per attachment chunk (spec/attachments.md): a chunk is decrypted and shown on its own, so memory stays at a few chunks. */
export const ATTACHMENT_CHUNK_BYTES = 65_536;

/** Largest attachment plaintext (bytes, 4 GiB): keeps chunk counters far below 2^32 and sizes exact in a JS number. */
export const MAX_ATTACHMENT_BYTES = 4_294_967_296;

/** Smallest padded attachment plaintext (bytes): every file under 1 KiB looks alike. */
export const MIN_ATTACHMENT_PADDED_BYTES = 1024;

/** Largest attachment preview (a ThumbHash, bytes): ThumbHashes are ≤ 25 bytes; 64 leaves room and bounds the content. */
export const MAX_ATTACHMENT_PREVIEW_BYTES = 64;

/** Largest encoded attachment pointer (`encodeAttachmentPointer`, bytes): a group avatar must fit the group state's 1 KiB slot. */
export const MAX_ATTACHMENT_POINTER_BYTES = 1024;

/** Largest SDP in a call offer or answer (UTF-8 bytes): real SDPs are 2–10 KB; the payload must fit MAX_TEXT_BYTES with its JSON. */
export const MAX_CALL_SDP_BYTES = 50_000;

/** Most ICE candidates in one `ice` call signal: a sender batches candidates gathered together, a receiver bounds the work. */
export const MAX_CALL_ICE_BATCH = 32;

/** Largest ICE candidate line (UTF-8 bytes): real ones are about 100–200 bytes. */
export const MAX_CALL_ICE_CANDIDATE_BYTES = 1024;

/** Most participants in a call, caller included (group calls are a mesh: n·(n−1)/2 legs, each peer uploads n−1 streams). */
export const MAX_CALL_PARTICIPANTS = 4;
