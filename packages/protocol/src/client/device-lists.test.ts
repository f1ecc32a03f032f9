// Device-list checks (spec/client.md VAL-050, VAL-051) at their limits: a list of the sequence
// already seen is taken and one lower is refused; a device found unlisted is not asked about
// again for REFUSED_DEVICE_MEMORY_MS; at most MAX_REFUSED_DEVICES refusals are remembered.
// The relay is a stub answering only `fetch_devices` here (a list read never fetches a bundle);
// tests/e2e drive the real one.
import { afterEach, describe, expect, test, vi } from "vitest";
import { allDeps } from "../../test/fixtures.js";
import type { Deps } from "../deps.js";
import { ErrorCode, ParleyError } from "../errors.js";
import { ClientContext } from "./context.js";
import {
  LIST_FETCH_ATTEMPTS,
  learnDevices,
  listedSender,
  MAX_REFUSED_DEVICES,
  REFUSED_DEVICE_MEMORY_MS,
  verifyNewerList,
} from "./device-lists.js";
import { LocalDevice } from "./local-device.js";
import type { Contact } from "./records.js";
import type { RelayConnection } from "./relay-connection.js";
import { MemoryStore } from "./store/memory-store.js";

const crypto = (() => {
  const first = allDeps[0]?.[1].crypto;
  if (!first) throw new Error("no provider");
  return first;
})();

function setup(refuseFirst = 0) {
  let clock = 1_000_000;
  const deps: Deps = { crypto, now: () => clock };
  const me = LocalDevice.create(deps, "Me").device;
  const them = LocalDevice.create(deps, "Them").device;
  const fetched: string[] = [];
  const connection = {
    request: async (frame: { t: string; userId: Uint8Array }) => {
      if (frame.t !== "fetch_devices") throw new Error(`unexpected ${frame.t}`);
      fetched.push(frame.t);
      if (fetched.length <= refuseFirst) throw new ParleyError(ErrorCode.Relay, "relay refused", { reason: "RATE_LIMITED" });
      return { t: "devices", id: 1, userId: frame.userId, accountKey: them.accountPublicKey, deviceList: them.identity.deviceList };
    },
  } as unknown as RelayConnection;
  const events: unknown[] = [];
  const ctx = new ClientContext(
    deps,
    new MemoryStore(),
    me,
    connection,
    () => connection,
    (_event, payload) => events.push(payload),
  );
  const contact: Contact = {
    id: "them",
    userId: them.userId,
    accountKey: them.accountPublicKey,
    deviceIds: [1],
    deviceListSequence: 1,
    verified: false,
    profileSent: false,
  };
  return { ctx, them, contact, fetched, events, tick: (ms: number) => (clock += ms) };
}

describe("device lists", () => {
  test("a list of the sequence already seen is taken; one lower is ERR_STALE_DEVICE_LIST", () => {
    const { ctx, them } = setup();
    expect(verifyNewerList(ctx, them.identity.deviceList, them.accountPublicKey, 1).sequence).toBe(1);
    expect(verifyNewerList(ctx, them.identity.deviceList, them.accountPublicKey, 0).sequence).toBe(1);
    expect(() => verifyNewerList(ctx, them.identity.deviceList, them.accountPublicKey, 2)).toThrow(
      expect.objectContaining({ code: ErrorCode.StaleDeviceList }),
    );
  });

  test("a listed device is accepted without asking the relay", async () => {
    const { ctx, contact, fetched } = setup();
    expect(await listedSender(ctx, contact, 1, false)).toBe(contact);
    expect(fetched).toEqual([]);
  });

  test("an unlisted device is refused, and not asked about again until REFUSED_DEVICE_MEMORY_MS has passed", async () => {
    const { ctx, contact, fetched, events, tick } = setup();
    const refused = (e: unknown) => ParleyError.is(e, ErrorCode.DeviceRemoved);
    await expect(listedSender(ctx, contact, 7, false)).rejects.toSatisfy(refused);
    expect(fetched).toEqual(["fetch_devices"]);
    expect(events).toMatchObject([{ contactId: "them", deviceId: 7 }]);
    tick(REFUSED_DEVICE_MEMORY_MS - 1);
    await expect(listedSender(ctx, contact, 7, false)).rejects.toSatisfy(refused);
    expect(fetched).toEqual(["fetch_devices"]);
    // Refusals from memory do not extend it.
    tick(1);
    await expect(listedSender(ctx, contact, 7, false)).rejects.toSatisfy(refused);
    expect(fetched).toEqual(["fetch_devices", "fetch_devices"]);
  });

  test("a contact known only from sync copies learns its devices from the list alone", async () => {
    const { ctx, contact, fetched } = setup();
    const learned = await learnDevices(ctx, { ...contact, deviceIds: [], deviceListSequence: 0 });
    expect(learned.deviceIds).toEqual([1]);
    expect(fetched).toEqual(["fetch_devices"]);
  });

  test("at most MAX_REFUSED_DEVICES refusals are remembered, the oldest forgotten first", async () => {
    const { ctx, contact } = setup();
    for (let id = 2; id < 2 + MAX_REFUSED_DEVICES; id++) await listedSender(ctx, contact, id, false).catch(() => undefined);
    expect(ctx.refusedDevices.size).toBe(MAX_REFUSED_DEVICES);
    await listedSender(ctx, contact, 2 + MAX_REFUSED_DEVICES, false).catch(() => undefined);
    expect(ctx.refusedDevices.size).toBe(MAX_REFUSED_DEVICES);
    const ids = [...ctx.refusedDevices.keys()].map((k) => Number(k.split(".").at(-1)));
    expect(ids).not.toContain(2);
    expect(ids).toContain(3);
    expect(ids).toContain(2 + MAX_REFUSED_DEVICES);
  });
});

describe("a rate-limited list fetch", () => {
  afterEach(() => {
    vi.useRealTimers();
  });

  test(`is tried ${LIST_FETCH_ATTEMPTS} times: the last try may succeed, one more refusal gives up`, async () => {
    vi.useFakeTimers();
    const ok = setup(LIST_FETCH_ATTEMPTS - 1);
    const accepted = listedSender(ok.ctx, ok.contact, 9, false).catch((e: unknown) => e);
    await vi.runAllTimersAsync();
    expect(await accepted).toSatisfy((e) => ParleyError.is(e, ErrorCode.DeviceRemoved)); // Answered: not listed.
    expect(ok.fetched).toHaveLength(LIST_FETCH_ATTEMPTS);

    const limited = setup(LIST_FETCH_ATTEMPTS);
    const given = listedSender(limited.ctx, limited.contact, 9, false).catch((e: unknown) => e);
    await vi.runAllTimersAsync();
    expect(await given).toMatchObject({ code: ErrorCode.Relay, reason: "RATE_LIMITED" });
    expect(limited.fetched).toHaveLength(LIST_FETCH_ATTEMPTS);
  });
});
