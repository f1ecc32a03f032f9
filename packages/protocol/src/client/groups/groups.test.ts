// Client-side group pieces without a relay: what travels to a new member fits one content at
// the 1,000-member limit (and the 1,001st member is refused before anything is sent),
// per-member receipts ("read by 3 of 5") move forward only, and held messages stay bounded.
import { describe, expect, test } from "vitest";
import { allDeps } from "../../../test/fixtures.js";
import { decodeContent, encodeContent } from "../../content/content.js";
import { bytesToHex as hex } from "../../crypto/bytes.js";
import { ErrorCode, ParleyError } from "../../errors.js";
import { createGroup, proposeChange } from "../../group/apply.js";
import {
  createSenderKey,
  decodeSenderKeyState,
  encodeSenderKeyDistribution,
  encodeSenderKeyState,
  groupDecrypt,
  groupEncrypt,
} from "../../group/sender-key.js";
import { encodeGroupState } from "../../group/state.js";
import { deriveUserId, generateAccount } from "../../keys/identity.js";
import { MAX_GROUP_MEMBERS, MAX_GROUP_PENDING } from "../../limits.js";
import type { ClientContext } from "../context.js";
import type { ChatMessage } from "../conversation.js";
import type { Applied } from "../incoming.js";
import { MemoryStore } from "../store/memory-store.js";
import { groupConversationId, groupIdOf, isGroupConversation } from "./ids.js";
import { holdPending } from "./pending.js";
import { withReceipt } from "./receipts.js";
import { receivedSenderKey } from "./receive.js";
import { GROUP_NS } from "./records.js";

const [, deps] = allDeps[0] as [string, (typeof allDeps)[number][1]];
const account = generateAccount(deps);
const creator = { userId: deriveUserId(deps, account.publicKey), accountKeyPair: account.signingKey };
const member = (i: number) => {
  const userId = new Uint8Array(16);
  new DataView(userId.buffer).setUint32(0, i + 1);
  // Every member with a delivery token: the largest state a group of this size can have.
  return { userId, deliveryToken: new Uint8Array(32).fill(i % 251) };
};
const others = (n: number) => Array.from({ length: n }, (_, i) => member(i));
const snapshot = (state: Uint8Array, change: Uint8Array) =>
  encodeContent({ kind: "groupSnapshot", id: new Uint8Array(16), sentAt: 1, groupId: new Uint8Array(16), state, change });

describe("group limits as the client sends them", () => {
  test(`a ${MAX_GROUP_MEMBERS}-member group's creation, and the snapshot for its last member, each fit one content`, () => {
    const full = createGroup(deps, creator, {
      name: "everyone",
      deliveryToken: new Uint8Array(32),
      members: others(MAX_GROUP_MEMBERS - 1),
    });
    expect(full.state.members).toHaveLength(MAX_GROUP_MEMBERS);
    const created = snapshot(new Uint8Array(0), full.change.encoded);
    expect(decodeContent(created).kind).toBe("groupSnapshot");
    expect(
      encodeContent({ kind: "groupChange", id: new Uint8Array(16), sentAt: 1, groupId: full.state.groupId, change: full.change.encoded })
        .length,
    ).toBeGreaterThan(0);

    // The 1,000th member joining: the state it replaced (999 members) and the adding change.
    const almost = createGroup(deps, creator, {
      name: "almost",
      deliveryToken: new Uint8Array(32),
      members: others(MAX_GROUP_MEMBERS - 2),
    });
    const last = member(5000);
    const added = proposeChange(deps, almost.state, creator, [{ type: "add", ...last }]);
    expect(added.state.members).toHaveLength(MAX_GROUP_MEMBERS);
    expect(decodeContent(snapshot(encodeGroupState(almost.state), added.change.encoded)).kind).toBe("groupSnapshot");
  });

  test(`the ${MAX_GROUP_MEMBERS + 1}st member is refused (ERR_GROUP_INVALID) before anything is sent`, () => {
    const full = createGroup(deps, creator, { name: "everyone", members: others(MAX_GROUP_MEMBERS - 1) });
    expect(() => proposeChange(deps, full.state, creator, [{ type: "add", ...member(7000) }])).toThrow(
      expect.objectContaining({ code: ErrorCode.GroupInvalid }),
    );
    expect(() => createGroup(deps, creator, { name: "over", members: others(MAX_GROUP_MEMBERS) })).toThrow(ParleyError);
  });
});

describe("per-member receipts", () => {
  const mine: ChatMessage = {
    id: "00",
    contactId: "group:00",
    sender: "me",
    senderDevice: 1,
    outgoing: true,
    kind: "text",
    text: "hi",
    sentAt: 1,
    receivedAt: 1,
    deleted: false,
    reactions: {},
    status: "sent",
    receipts: {},
  };
  const members = ["a", "b", "c", "d"];

  test("delivered by all makes it delivered; read by some shows as a count; read by all makes it read", () => {
    let m = mine;
    for (const who of members) m = withReceipt(m, who, "delivered", members);
    expect(m.status).toBe("delivered");
    m = withReceipt(m, "a", "read", members);
    m = withReceipt(m, "c", "read", members);
    expect(Object.values(m.receipts ?? {}).filter((r) => r === "read")).toHaveLength(2);
    expect(m.status).toBe("delivered");
    m = withReceipt(m, "b", "read", members);
    m = withReceipt(m, "d", "read", members);
    expect(m.status).toBe("read");
  });

  test("a late delivered after read does not move back; non-members and incoming messages are ignored", () => {
    const read = withReceipt(mine, "a", "read", members);
    expect(withReceipt(read, "a", "delivered", members)).toBe(read);
    expect(withReceipt(mine, "zed", "read", members)).toBe(mine);
    const incoming = { ...mine, outgoing: false, status: "received" as const };
    expect(withReceipt(incoming, "a", "read", members)).toBe(incoming);
  });
});

describe("group conversation ids", () => {
  test("round-trip, and anything else is not one", () => {
    const groupId = new Uint8Array(16).fill(0xab);
    const id = groupConversationId(groupId);
    expect(id).toBe(`group:${"ab".repeat(16)}`);
    expect(isGroupConversation(id)).toBe(true);
    expect(groupIdOf(id)).toEqual(groupId);
    expect(isGroupConversation("@bob")).toBe(false);
    expect(() => groupIdOf("group:xyz")).toThrow(RangeError);
  });
});

describe("held group messages", () => {
  test(`${MAX_GROUP_PENDING} are held per group; the next one drops the oldest`, async () => {
    const store = new MemoryStore();
    let clock = 1_000;
    const ctx = { store, deps, now: () => clock, arrivalTime: () => ++clock } as unknown as ClientContext;
    const groupId = new Uint8Array(16).fill(1);
    const incoming = (n: number) => ({
      sender: { userId: new Uint8Array(16), deviceId: 1 },
      certificate: new Uint8Array(4),
      message: Uint8Array.of(n),
    });
    const hold = async (n: number) => {
      const applied: Applied = { writes: [], events: [], followUps: [] };
      await holdPending(ctx, groupId, incoming(n), applied);
      await store.batch(applied.writes);
    };
    for (let i = 0; i < MAX_GROUP_PENDING; i++) await hold(i % 256);
    const full = await store.list(GROUP_NS.pending, `${hex(groupId)}/`);
    expect(full).toHaveLength(MAX_GROUP_PENDING);
    await hold(255);
    const after = await store.list(GROUP_NS.pending, `${hex(groupId)}/`);
    expect(after).toHaveLength(MAX_GROUP_PENDING);
    expect(after[0]?.[0]).toBe(full[1]?.[0]); // The oldest went.
    // Another group's messages are held separately.
    const other = new Uint8Array(16).fill(2);
    const applied: Applied = { writes: [], events: [], followUps: [] };
    await holdPending(ctx, other, incoming(1), applied);
    await store.batch(applied.writes);
    expect(await store.list(GROUP_NS.pending, `${hex(other)}/`)).toHaveLength(1);
  });
});

describe("a sender key distribution received again", () => {
  test("does not wind the stored chain back: a message already read stays a duplicate", () => {
    const groupId = new Uint8Array(16).fill(7);
    const own = createSenderKey(deps);
    const distribution = encodeSenderKeyDistribution(own);
    const first = groupEncrypt(deps, own, groupId, new TextEncoder().encode("once"));
    const stored = receivedSenderKey(undefined, distribution);
    const read = groupDecrypt(deps, decodeSenderKeyState(stored), groupId, first.message);
    const afterRead = encodeSenderKeyState(read.state);
    // The same distribution again (a resend, or a relay replaying its envelope's content).
    const again = receivedSenderKey(afterRead, distribution);
    expect(() => groupDecrypt(deps, decodeSenderKeyState(again), groupId, first.message)).toThrow(
      expect.objectContaining({ code: ErrorCode.DuplicateMessage }),
    );
    // A new key (another key id) replaces the stored one.
    const rotated = receivedSenderKey(afterRead, encodeSenderKeyDistribution(createSenderKey(deps)));
    expect(decodeSenderKeyState(rotated).keyId).not.toBe(read.state.keyId);
  });
});
