/**
 * The behaviour every Store must have, as a vitest suite any implementation registers with a
 * factory (sqlite-store.test.ts, pg-store.test.ts): mailbox order, enqueue outcomes, dedupe
 * windows, queue limits at N and N+1, fan-outs sharing one payload, acks, expiry notices,
 * prekeys and bundles, device lists, handles, delivery tokens and blob metadata.
 */

import { afterEach, beforeEach, describe, expect, it } from "vitest";
import type { BlobRecord, NewMessage, PreKeyUpload, Store } from "./store.js";

/** A fresh, empty store for one test, with a look inside for checks no Store method answers. */
export interface ContractStore {
  readonly store: Store;
  /** Shared payload rows still holding bytes (a payload must go with the last row naming it). */
  sharedPayloads(): Promise<number>;
  /** Ends the store (or readies it for the next test). */
  close(): Promise<void>;
}

const userId = new Uint8Array(16).fill(3);
const otherUser = new Uint8Array(16).fill(4);
const mailbox = { userId, deviceId: 1 };
const id = (n: number) => new Uint8Array(16).fill(n);
const message = (n: number, at = 1000, deviceId = 1): NewMessage => ({
  userId,
  deviceId,
  messageId: id(n),
  envelope: new Uint8Array([n]),
  receivedAt: at,
  expiresAt: at + 100,
});
const device = (deviceId: number, signingKey = new Uint8Array(32)) => ({
  userId,
  deviceId,
  certificate: new Uint8Array(173).fill(deviceId),
  signingKey,
});
const payload = new Uint8Array(500).fill(0xab);
const fanOut = (first = 1, at = 1000, deviceIds = [1, 2, 3]) =>
  deviceIds.map((deviceId, i) => ({ ...message(first + i, at, deviceId), envelope: new Uint8Array([1, 4, deviceId]) }));
const ids = (messages: readonly { messageId: Uint8Array }[]) => messages.map((m) => m.messageId[0]);

/** Registers the store behaviour suite under `name`; `open` gives each test a fresh store. */
export function describeStoreContract(name: string, open: () => Promise<ContractStore>): void {
  describe(`${name}: Store contract`, () => {
    let opened: ContractStore;
    let store: Store;
    beforeEach(async () => {
      opened = await open();
      store = opened.store;
    });
    afterEach(async () => {
      await opened.close();
    });

    /** Registers `deviceIds` of `userId` (sequence `sequence`), each with a device record. */
    async function withDevices(deviceIds = [1], sequence = 1): Promise<void> {
      for (const deviceId of deviceIds) {
        const r = await store.saveDeviceList({
          userId,
          accountKey: new Uint8Array(32),
          deviceList: new Uint8Array([sequence]),
          sequence,
          deviceIds,
          device: device(deviceId),
        });
        expect(r.ok).toBe(true);
      }
    }

    describe("mailboxes", () => {
      it("delivers a mailbox oldest first, after a seq, up to a limit", async () => {
        await withDevices();
        expect(await store.enqueue([message(1), message(2), message(3)], 10)).toEqual(["ok", "ok", "ok"]);
        const all = await store.fetchMessages(mailbox, 0, 10);
        expect(ids(all)).toEqual([1, 2, 3]);
        expect(all.map((m) => m.envelope)).toEqual([new Uint8Array([1]), new Uint8Array([2]), new Uint8Array([3])]);
        expect(all[0]?.receivedAt).toBe(1000);
        const seqs = all.map((m) => m.seq);
        expect([...seqs].sort((a, b) => a - b)).toEqual(seqs);
        expect(ids(await store.fetchMessages(mailbox, seqs[0] ?? 0, 10))).toEqual([2, 3]);
        expect(ids(await store.fetchMessages(mailbox, 0, 2))).toEqual([1, 2]);
        expect(await store.fetchMessages({ userId, deviceId: 2 }, 0, 10)).toEqual([]);
        expect(await store.enqueue([], 10)).toEqual([]);
      });

      it("reports duplicates, full queues and unknown mailboxes per message", async () => {
        await withDevices();
        expect(await store.enqueue([message(1), message(1), message(2), message(3), message(9, 1000, 2)], 2)).toEqual([
          "ok",
          "duplicate",
          "ok",
          "queue_full",
          "no_mailbox",
        ]);
        expect(await store.enqueue([message(1)], 10)).toEqual(["duplicate"]);
      });

      it("accepts the Nth message of a mailbox limited to N and refuses the N+1th, until one is acknowledged", async () => {
        await withDevices();
        expect(await store.enqueue([message(1), message(2)], 3)).toEqual(["ok", "ok"]);
        expect(await store.enqueue([message(3)], 3)).toEqual(["ok"]);
        expect(await store.queueDepth(mailbox)).toBe(3);
        expect(await store.enqueue([message(4)], 3)).toEqual(["queue_full"]);
        expect(await store.ack([{ mailbox, messageIds: [id(1)] }], 5000)).toEqual([1]);
        expect(await store.enqueue([message(4)], 3)).toEqual(["ok"]);
      });

      it("acks only the named mailbox, and remembers acked ids until forgetAt", async () => {
        await withDevices();
        await store.enqueue([message(1)], 10);
        expect(await store.ack([{ mailbox: { userId, deviceId: 2 }, messageIds: [id(1)] }], 5000)).toEqual([0]);
        expect(await store.ack([{ mailbox, messageIds: [id(1), id(7)] }], 5000)).toEqual([1]);
        expect(await store.queueDepth(mailbox)).toBe(0);
        expect(await store.enqueue([message(1)], 10)).toEqual(["duplicate"]);
        await store.purgeDedupe(4999);
        expect(await store.enqueue([message(1)], 10)).toEqual(["duplicate"]);
        await store.purgeDedupe(5000);
        expect(await store.enqueue([message(1)], 10)).toEqual(["ok"]);
      });

      it("reports the seq of each stored message (0 for the others), as fetchMessages returns them", async () => {
        await withDevices();
        if (!store.enqueueReporting) return; // optional: the relay then reads the store back
        const report = await store.enqueueReporting([message(1), message(1), message(2), message(9, 1000, 2)], 10);
        expect(report.outcomes).toEqual(["ok", "duplicate", "ok", "no_mailbox"]);
        const stored = await store.fetchMessages(mailbox, 0, 10);
        expect(report.seqs).toEqual([stored[0]?.seq, 0, stored[1]?.seq, 0]);
        expect(report.seqs[0]).toBeGreaterThan(0);
      });

      it("acks by seq the same as by id, only within the named mailbox, remembering the ids", async () => {
        await withDevices([1, 2]);
        const second = { userId, deviceId: 2 };
        await store.enqueue([message(1), message(2), message(3, 1000, 2)], 10);
        const [first, next] = await store.fetchMessages(mailbox, 0, 10);
        const [other] = await store.fetchMessages(second, 0, 10);
        // A seq of another mailbox deletes nothing there; a 0 (unknown) falls back to the id.
        expect(await store.ack([{ mailbox, messageIds: [id(3)], seqs: [other?.seq ?? -1] }], 5000)).toEqual([0]);
        expect(await store.queueDepth(second)).toBe(1);
        expect(await store.ack([{ mailbox, messageIds: [id(1), id(2)], seqs: [first?.seq ?? -1, 0] }], 5000)).toEqual([2]);
        expect(next?.seq).toBeGreaterThan(first?.seq ?? 0);
        expect(await store.queueDepth(mailbox)).toBe(0);
        expect(await store.enqueue([message(1), message(2)], 10)).toEqual(["duplicate", "duplicate"]);
      });

      it("acks a batch of several mailboxes, counting per ack", async () => {
        await withDevices([1, 2]);
        await store.enqueue([message(1), message(2), message(3, 1000, 2)], 10);
        const second = { userId, deviceId: 2 };
        expect(
          await store.ack(
            [
              { mailbox, messageIds: [id(1), id(2)] },
              { mailbox: second, messageIds: [id(9)] },
              { mailbox: second, messageIds: [id(3)] },
            ],
            5000,
          ),
        ).toEqual([2, 0, 1]);
        expect(await store.ack([], 5000)).toEqual([]);
      });

      it("expires messages into one notice per mailbox, taken once; expired ids stay duplicates", async () => {
        await withDevices();
        await store.enqueue([message(1, 1000), message(2, 1050)], 10);
        expect(await store.expireMessages(1099, 9999)).toHaveLength(0);
        expect(await store.expireMessages(1100, 9999)).toEqual([mailbox]);
        expect(await store.expireMessages(1150, 9999)).toEqual([mailbox]);
        expect(await store.takeExpiryNotice(mailbox)).toEqual({ count: 2, firstAt: 1000, lastAt: 1050 });
        expect(await store.takeExpiryNotice(mailbox)).toBeUndefined();
        expect(await store.fetchMessages(mailbox, 0, 10)).toEqual([]);
        expect(await store.enqueue([message(2)], 10)).toEqual(["duplicate"]);
        await store.purgeDedupe(9999);
        expect(await store.enqueue([message(2)], 10)).toEqual(["ok"]);
      });

      it("deletes a removed device's mailbox; a re-added device's seqs continue after its old ones", async () => {
        await withDevices();
        await store.enqueue([message(1)], 10);
        const [old] = await store.fetchMessages(mailbox, 0, 10);
        const base = { userId, accountKey: new Uint8Array(32), deviceList: new Uint8Array([2]) };
        expect(await store.saveDeviceList({ ...base, sequence: 1, deviceIds: [2] })).toEqual({ ok: false });
        expect(await store.saveDeviceList({ ...base, sequence: 2, deviceIds: [2] })).toEqual({ ok: true, removed: [1] });
        expect(await store.queueDepth(mailbox)).toBe(0);
        expect(await store.getDevice(mailbox)).toBeUndefined();
        expect(await store.enqueue([message(5)], 10)).toEqual(["no_mailbox"]);
        expect(await store.saveDeviceList({ ...base, sequence: 3, deviceIds: [1, 2], device: device(1) })).toEqual({
          ok: true,
          removed: [],
        });
        expect(await store.enqueue([message(6)], 10)).toEqual(["ok"]);
        const [fresh] = await store.fetchMessages(mailbox, 0, 10);
        expect(fresh?.seq).toBeGreaterThan(old?.seq ?? Number.POSITIVE_INFINITY);
      });
    });

    describe("fan-outs sharing one payload", () => {
      it("stores a fan-out's payload once; each device reads its prefix followed by the payload", async () => {
        await withDevices([1, 2, 3]);
        expect(await store.enqueueMany({ bytes: payload }, fanOut(), 100)).toEqual(["ok", "ok", "ok"]);
        expect(await opened.sharedPayloads()).toBe(1);
        for (const deviceId of [1, 2, 3]) {
          const [row] = await store.fetchMessages({ userId, deviceId }, 0, 10);
          expect(row?.envelope).toEqual(new Uint8Array([1, 4, deviceId, ...payload]));
        }
      });

      it("keeps the payload until the last device acknowledges, then deletes it", async () => {
        await withDevices([1, 2, 3]);
        await store.enqueueMany({ bytes: payload }, fanOut(), 100);
        await store.ack([{ mailbox: { userId, deviceId: 1 }, messageIds: [id(1)] }], 5000);
        await store.ack([{ mailbox: { userId, deviceId: 2 }, messageIds: [id(2)] }], 5000);
        expect(await opened.sharedPayloads()).toBe(1);
        await store.ack([{ mailbox: { userId, deviceId: 3 }, messageIds: [id(3)] }], 5000);
        expect(await opened.sharedPayloads()).toBe(0);
      });

      it("deletes the payload when its rows expire, and with a removed device's mailbox", async () => {
        await withDevices([1, 2, 3]);
        await store.enqueueMany({ bytes: payload }, fanOut(1, 1000), 100);
        await store.enqueueMany({ bytes: payload.slice().fill(1) }, fanOut(10, 5000), 100);
        expect(await opened.sharedPayloads()).toBe(2);
        await store.expireMessages(1100, 9000);
        expect(await opened.sharedPayloads()).toBe(1);
        // Devices 2 and 3 removed: the second payload stays for device 1, then goes with its ack.
        await store.saveDeviceList({
          userId,
          accountKey: new Uint8Array(32),
          deviceList: new Uint8Array([2]),
          sequence: 2,
          deviceIds: [1],
        });
        expect(await opened.sharedPayloads()).toBe(1);
        expect(await store.queueDepth({ userId, deviceId: 2 })).toBe(0);
        await store.ack([{ mailbox: { userId, deviceId: 1 }, messageIds: [id(10)] }], 9000);
        expect(await opened.sharedPayloads()).toBe(0);
      });

      it("stores no payload when every row is refused (duplicates, missing mailboxes, full queues)", async () => {
        await withDevices([1, 2, 3]);
        await store.enqueueMany({ bytes: payload }, fanOut(), 100);
        const again = [...fanOut(), message(20, 1000, 9)];
        expect(await store.enqueueMany({ bytes: new Uint8Array(300) }, again, 100)).toEqual([
          "duplicate",
          "duplicate",
          "duplicate",
          "no_mailbox",
        ]);
        expect(await store.enqueueMany({ bytes: new Uint8Array(300) }, fanOut(30), 1)).toEqual(["queue_full", "queue_full", "queue_full"]);
        expect(await opened.sharedPayloads()).toBe(1);
      });

      it("answers DUPLICATE, not QUEUE_FULL, for an acknowledged id sent again to a full mailbox", async () => {
        await withDevices([1, 2, 3]);
        await store.enqueueMany({ bytes: payload }, fanOut(), 100);
        await store.ack([{ mailbox: { userId, deviceId: 1 }, messageIds: [id(1)] }], 5000);
        await store.enqueue([message(40)], 100);
        expect(await store.enqueueMany({ bytes: payload }, fanOut().slice(0, 1), 1)).toEqual(["duplicate"]);
      });

      it("keeps two payloads of one batch apart, and plain messages beside them", async () => {
        await withDevices([1, 2]);
        const a = { bytes: new Uint8Array([0xaa]) };
        const b = { bytes: new Uint8Array([0xbb]) };
        const batch = [{ ...message(1), shared: a }, { ...message(2, 1000, 2), shared: a }, message(3), { ...message(4), shared: b }];
        expect(await store.enqueue(batch, 10)).toEqual(["ok", "ok", "ok", "ok"]);
        expect(await opened.sharedPayloads()).toBe(2);
        expect((await store.fetchMessages(mailbox, 0, 10)).map((m) => [...m.envelope])).toEqual([[1, 0xaa], [3], [4, 0xbb]]);
      });
    });

    describe("prekeys", () => {
      const key = (n: number) => ({ id: n, record: new Uint8Array([n]) });
      const keys = (from: number, count: number) => Array.from({ length: count }, (_, i) => key(from + i));
      const upload = (u: Partial<PreKeyUpload>): PreKeyUpload => ({ oneTime: [], kemOneTime: [], ...u });

      it("stores up to maxStored keys of each kind and refuses the N+1th, storing nothing of that upload", async () => {
        await withDevices();
        expect(
          await store.putPreKeys(mailbox, upload({ signedPreKey: new Uint8Array([7]), oneTime: keys(1, 3), kemOneTime: keys(1, 2) }), 3),
        ).toBe(true);
        expect(await store.countPreKeys(mailbox)).toEqual({ oneTime: 3, kem: 2 });
        expect(await store.putPreKeys(mailbox, upload({ kemOneTime: keys(3, 1) }), 3)).toBe(true);
        expect(
          await store.putPreKeys(mailbox, upload({ signedPreKey: new Uint8Array([8]), oneTime: keys(10, 1), kemOneTime: keys(20, 1) }), 3),
        ).toBe(false);
        expect(await store.countPreKeys(mailbox)).toEqual({ oneTime: 3, kem: 3 });
        // The refused upload's signed prekey was not stored either.
        expect((await store.takeBundle(mailbox))?.signedPreKey).toEqual(new Uint8Array([7]));
        // Re-uploading an id replaces it rather than adding one.
        expect(await store.putPreKeys(mailbox, upload({ oneTime: [key(1), key(2)] }), 3)).toBe(true);
      });

      it("hands out one-time keys in id order, each once, with the counts left", async () => {
        await withDevices();
        await store.putPreKeys(
          mailbox,
          upload({ signedPreKey: new Uint8Array([7]), oneTime: keys(1, 2), kemOneTime: keys(5, 2), kemLastResort: key(9) }),
          10,
        );
        const first = await store.takeBundle(mailbox);
        expect(first).toEqual({
          deviceId: 1,
          certificate: device(1).certificate,
          signedPreKey: new Uint8Array([7]),
          oneTimePreKey: new Uint8Array([1]),
          kemPreKey: new Uint8Array([5]),
          remaining: { oneTime: 1, kem: 1 },
        });
        expect((await store.takeBundle(mailbox))?.remaining).toEqual({ oneTime: 0, kem: 0 });
        const third = await store.takeBundle(mailbox);
        expect(third?.oneTimePreKey).toBeUndefined();
        expect(third?.kemPreKey).toEqual(new Uint8Array([9]));
        expect(await store.countPreKeys(mailbox)).toEqual({ oneTime: 0, kem: 0 });
      });

      it("without consuming one-time keys, gives the last-resort key, else a one-time ML-KEM key", async () => {
        await withDevices();
        await store.putPreKeys(
          mailbox,
          upload({ signedPreKey: new Uint8Array([7]), oneTime: keys(1, 1), kemOneTime: keys(5, 1), kemLastResort: key(9) }),
          10,
        );
        const bundle = await store.takeBundle(mailbox, false);
        expect(bundle?.oneTimePreKey).toBeUndefined();
        expect(bundle?.kemPreKey).toEqual(new Uint8Array([9]));
        expect(await store.countPreKeys(mailbox)).toEqual({ oneTime: 1, kem: 1 });
        // A new last-resort key replaces the old one.
        await store.putPreKeys(mailbox, upload({ kemLastResort: key(10) }), 10);
        expect((await store.takeBundle(mailbox, false))?.kemPreKey).toEqual(new Uint8Array([10]));

        const second = { userId, deviceId: 2 };
        await withDevices([1, 2], 2);
        await store.putPreKeys(second, upload({ signedPreKey: new Uint8Array([7]), oneTime: keys(1, 1), kemOneTime: keys(5, 1) }), 10);
        expect((await store.takeBundle(second, false))?.kemPreKey).toEqual(new Uint8Array([5]));
        expect(await store.countPreKeys(second)).toEqual({ oneTime: 1, kem: 0 });
      });

      it("gives no bundle without a signed prekey or any ML-KEM key, consuming nothing", async () => {
        await withDevices();
        expect(await store.takeBundle(mailbox)).toBeUndefined();
        await store.putPreKeys(mailbox, upload({ signedPreKey: new Uint8Array([7]), oneTime: keys(1, 1) }), 10);
        expect(await store.takeBundle(mailbox)).toBeUndefined();
        expect(await store.countPreKeys(mailbox)).toEqual({ oneTime: 1, kem: 0 });
        expect(await store.takeBundle({ userId, deviceId: 5 })).toBeUndefined();
      });
    });

    describe("device lists", () => {
      it("applies the sequence rule: re-registering a listed device at the same list, never an older or different list", async () => {
        await withDevices();
        const base = { userId, accountKey: new Uint8Array(32), deviceIds: [1] };
        expect(await store.saveDeviceList({ ...base, deviceList: new Uint8Array([1]), sequence: 1, device: device(1) })).toEqual({
          ok: true,
          removed: [],
        });
        expect(await store.saveDeviceList({ ...base, deviceList: new Uint8Array([1]), sequence: 1 })).toEqual({ ok: false });
        expect(await store.saveDeviceList({ ...base, deviceList: new Uint8Array([9]), sequence: 1, device: device(1) })).toEqual({
          ok: false,
        });
        expect(await store.saveDeviceList({ ...base, deviceList: new Uint8Array([0]), sequence: 0, device: device(1) })).toEqual({
          ok: false,
        });
        expect(await store.saveDeviceList({ ...base, deviceList: new Uint8Array([2]), sequence: 2 })).toEqual({ ok: true, removed: [] });
        expect(await store.getAccount(userId)).toEqual({
          userId,
          accountKey: new Uint8Array(32),
          deviceList: new Uint8Array([2]),
          listSequence: 2,
          deviceIds: [1],
          handle: undefined,
          tokenHash: undefined,
          sealedOpen: false,
        });
        expect(await store.getAccount(otherUser)).toBeUndefined();
      });

      it("keeps a device's signed prekey when it re-registers with the same signing key, drops it on a new key", async () => {
        await withDevices();
        await store.putPreKeys(
          mailbox,
          { signedPreKey: new Uint8Array([7]), oneTime: [], kemOneTime: [], kemLastResort: { id: 1, record: new Uint8Array([1]) } },
          10,
        );
        const base = { userId, accountKey: new Uint8Array(32), deviceList: new Uint8Array([1]), sequence: 1, deviceIds: [1] };
        await store.saveDeviceList({ ...base, device: device(1) });
        expect(await store.takeBundle(mailbox)).toBeDefined();
        await store.saveDeviceList({ ...base, device: device(1, new Uint8Array(32).fill(9)) });
        expect(await store.getDevice(mailbox)).toEqual({ ...device(1, new Uint8Array(32).fill(9)) });
        expect(await store.takeBundle(mailbox)).toBeUndefined();
      });
    });

    describe("handles and delivery tokens", () => {
      it("claims a handle for one user only, releasing the user's previous one", async () => {
        await withDevices();
        expect(await store.claimHandle(otherUser, "alice")).toBe(false);
        await store.saveDeviceList({
          userId: otherUser,
          accountKey: new Uint8Array(32),
          deviceList: new Uint8Array([1]),
          sequence: 1,
          deviceIds: [1],
        });
        expect(await store.claimHandle(userId, "alice")).toBe(true);
        expect(await store.claimHandle(userId, "alice")).toBe(true);
        expect(await store.claimHandle(otherUser, "alice")).toBe(false);
        expect((await store.lookupHandle("alice"))?.userId).toEqual(userId);
        expect(await store.claimHandle(userId, "alicia")).toBe(true);
        expect(await store.lookupHandle("alice")).toBeUndefined();
        expect(await store.claimHandle(otherUser, "alice")).toBe(true);
        expect((await store.getAccount(userId))?.handle).toBe("alicia");
      });

      it("sets and clears a delivery token and the sealed-open flag", async () => {
        await withDevices();
        await store.setDeliveryToken(userId, new Uint8Array(32).fill(5), true);
        expect(await store.getAccount(userId)).toMatchObject({ tokenHash: new Uint8Array(32).fill(5), sealedOpen: true });
        await store.setDeliveryToken(userId, undefined, false);
        expect(await store.getAccount(userId)).toMatchObject({ tokenHash: undefined, sealedOpen: false });
      });
    });

    describe("blobs", () => {
      const owner = new Uint8Array(32).fill(1);
      const ticket = (blobId: string, maxSize = 10, ticketExpiresAt = 100): BlobRecord => ({
        blobId,
        capabilityHash: new Uint8Array(32).fill(2),
        maxSize,
        ticketExpiresAt,
        owner,
        createdAt: 40,
      });

      it("grants up to maxOpenTickets open tickets and refuses the N+1th; expired tickets do not count", async () => {
        const quota = { now: 50, maxOpenTickets: 2, maxBytes: 1000 };
        expect(await store.createBlob(ticket("a"), quota)).toBe("ok");
        expect(await store.createBlob(ticket("b", 10, 60), quota)).toBe("ok");
        expect(await store.createBlob(ticket("c"), quota)).toBe("quota_exceeded");
        expect(await store.getBlob("c")).toBeUndefined();
        expect(await store.createBlob(ticket("c"), { ...quota, now: 60 })).toBe("ok");
        expect(await store.createBlob({ ...ticket("d"), owner: undefined }, quota)).toBe("ok");
      });

      it("reserves up to maxBytes (open tickets by size declared, stored blobs by size) and refuses one byte more", async () => {
        const quota = { now: 50, maxOpenTickets: 10, maxBytes: 100 };
        expect(await store.createBlob(ticket("a", 60), quota)).toBe("ok");
        expect(await store.completeBlob("a", 30, 1000)).toBe(true);
        expect(await store.createBlob(ticket("b", 71), quota)).toBe("quota_exceeded");
        expect(await store.createBlob(ticket("b", 70), quota)).toBe("ok");
        expect(await store.createBlob(ticket("c", 1), quota)).toBe("quota_exceeded");
      });

      it("completes a blob once and keeps its metadata", async () => {
        await store.createBlob(ticket("a"), { now: 50, maxOpenTickets: 10, maxBytes: 1000 });
        expect(await store.getBlob("a")).toEqual({ ...ticket("a"), size: undefined, expiresAt: undefined, uploadOffset: 0 });
        expect(await store.completeBlob("a", 7, 500)).toBe(true);
        expect(await store.completeBlob("a", 8, 600)).toBe(false);
        expect(await store.completeBlob("missing", 8, 600)).toBe(false);
        expect(await store.getBlob("a")).toMatchObject({ size: 7, expiresAt: 500 });
      });

      it("moves the upload offset only from the recorded one, only before completion, and only extends the ticket", async () => {
        await store.createBlob(ticket("a"), { now: 50, maxOpenTickets: 10, maxBytes: 1000 });
        expect(await store.setBlobOffset("a", 0, 4, 150)).toBe(true);
        expect(await store.setBlobOffset("a", 0, 8, 150)).toBe(false);
        expect(await store.getBlob("a")).toMatchObject({ uploadOffset: 4, ticketExpiresAt: 150 });
        expect(await store.setBlobOffset("a", 4, 6, 120)).toBe(true);
        expect(await store.getBlob("a")).toMatchObject({ uploadOffset: 6, ticketExpiresAt: 150 });
        expect(await store.setBlobOffset("a", 6, 0, 150)).toBe(true);
        await store.completeBlob("a", 10, 500);
        expect(await store.setBlobOffset("a", 0, 4, 150)).toBe(false);
        expect(await store.setBlobOffset("missing", 0, 4, 150)).toBe(false);
      });

      it("expires unused tickets and stored blobs past their lifetime, returning their ids", async () => {
        const quota = { now: 50, maxOpenTickets: 10, maxBytes: 1000 };
        await store.createBlob(ticket("open", 10, 100), quota);
        await store.createBlob(ticket("done", 10, 100), quota);
        await store.completeBlob("done", 5, 300);
        expect(await store.expireBlobs(99)).toEqual([]);
        expect(await store.expireBlobs(100)).toEqual(["open"]);
        expect(await store.expireBlobs(299)).toEqual([]);
        expect(await store.expireBlobs(300)).toEqual(["done"]);
        expect(await store.getBlob("done")).toBeUndefined();
      });
    });

    describe("push subscriptions and settings", () => {
      const sub = (n: number) => ({
        endpoint: `https://push.example/s/${n}`,
        p256dh: new Uint8Array(65).fill(n),
        auth: new Uint8Array(16).fill(n),
      });

      it("stores one subscription per registered device, replaced by a newer one, and none for an unknown device", async () => {
        await withDevices([1, 2]);
        expect(await store.getPushSubscription(mailbox)).toBeUndefined();
        expect(await store.setPushSubscription(mailbox, sub(1))).toBe(true);
        expect(await store.setPushSubscription({ userId, deviceId: 2 }, sub(2))).toBe(true);
        expect(await store.getPushSubscription(mailbox)).toEqual(sub(1));
        expect(await store.setPushSubscription(mailbox, sub(3))).toBe(true);
        expect(await store.getPushSubscription(mailbox)).toEqual(sub(3));
        expect(await store.getPushSubscription({ userId, deviceId: 2 })).toEqual(sub(2));
        expect(await store.setPushSubscription({ userId, deviceId: 9 }, sub(4))).toBe(false);
        expect(await store.setPushSubscription({ userId: otherUser, deviceId: 1 }, sub(4))).toBe(false);
        expect(await store.getPushSubscription({ userId, deviceId: 9 })).toBeUndefined();
      });

      it("deletes a subscription, with an endpoint only while it is still that one", async () => {
        await withDevices([1]);
        await store.setPushSubscription(mailbox, sub(1));
        await store.deletePushSubscription(mailbox, sub(2).endpoint);
        expect(await store.getPushSubscription(mailbox)).toEqual(sub(1));
        await store.deletePushSubscription(mailbox, sub(1).endpoint);
        expect(await store.getPushSubscription(mailbox)).toBeUndefined();
        await store.setPushSubscription(mailbox, sub(1));
        await store.deletePushSubscription(mailbox);
        expect(await store.getPushSubscription(mailbox)).toBeUndefined();
        await store.deletePushSubscription(mailbox);
      });

      it("deletes a removed device's subscription (a re-added device has none)", async () => {
        await withDevices([1, 2]);
        await store.setPushSubscription(mailbox, sub(1));
        await store.setPushSubscription({ userId, deviceId: 2 }, sub(2));
        const base = { userId, accountKey: new Uint8Array(32), deviceList: new Uint8Array([2]) };
        expect(await store.saveDeviceList({ ...base, sequence: 2, deviceIds: [2] })).toEqual({ ok: true, removed: [1] });
        expect(await store.getPushSubscription(mailbox)).toBeUndefined();
        expect(await store.getPushSubscription({ userId, deviceId: 2 })).toEqual(sub(2));
        expect(
          await store.saveDeviceList({ ...base, deviceList: new Uint8Array([3]), sequence: 3, deviceIds: [1, 2], device: device(1) }),
        ).toMatchObject({
          ok: true,
        });
        expect(await store.getPushSubscription(mailbox)).toBeUndefined();
      });

      it("keeps the first value of a setting, even when claimed at once", async () => {
        const claims = await Promise.all([1, 2, 3].map((n) => store.claimSetting("vapid", new Uint8Array([n]))));
        const first = claims[0] as Uint8Array;
        for (const claimed of claims) expect(claimed).toEqual(first);
        expect(await store.claimSetting("vapid", new Uint8Array([9]))).toEqual(first);
        expect(await store.claimSetting("other", new Uint8Array([7, 7]))).toEqual(new Uint8Array([7, 7]));
      });
    });

    it("reports healthy storage", async () => {
      expect(await store.health(0)).toBe("ok");
    });
  });
}
