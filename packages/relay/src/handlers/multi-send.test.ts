// multi_send in-process: one payload, many mailboxes. Each device gets `version ‖ 0x04 ‖ header ‖
// payload` and opens it with the real protocol; tokens are checked per recipient user; results
// come per device in flattened order; message ids are derived so a retry dedupes; every row of
// a fan-out commits in one transaction; and the relay's own limits hold at N and N+1.
import { openEnvelope, sealMulti } from "@parley/protocol";
import { encodeFrame, type MultiSendRecipient, multiEnvelope, multiMessageId } from "@parley/protocol/wire";
import { afterEach, describe, expect, it, vi } from "vitest";
import { codeOf, createHarness, type FakeConnection, type Harness, request } from "../../test/harness.js";
import { addDevice, deps, newIdentity, type TestIdentity, utf8 } from "../../test/identities.js";

let h: Harness;
afterEach(async () => {
  await h?.close();
});

const results = async (...args: Parameters<typeof request>) => {
  const answer = await request(...args);
  if (answer.t !== "sent") throw new Error(`expected sent, got ${JSON.stringify(answer)}`);
  return answer.results;
};

/** Registers a user (with `extraDevices` more devices) whose sealed sends need `token`. */
async function member(
  extraDevices = 0,
): Promise<{ identity: TestIdentity; devices: TestIdentity[]; token: Uint8Array; conns: FakeConnection[] }> {
  const base = newIdentity();
  const ids = [1, ...Array.from({ length: extraDevices }, (_, i) => i + 2)];
  const devices = [base];
  for (const id of ids.slice(1)) devices.push(addDevice(base, id, ids, 1 + id));
  const conns: FakeConnection[] = [];
  for (const d of devices) conns.push(await h.register(d));
  const token = deps.crypto.randomBytes(32);
  expect(
    codeOf(await request(conns[0] as FakeConnection, { t: "set_delivery_token", tokenHash: deps.crypto.sha256(token), open: false })),
  ).toBe("ok");
  return { identity: base, devices, token, conns };
}

/** The recipient entry of `m` with one header per device; `token` null sends none. */
function recipientOf(
  m: { identity: TestIdentity; devices: TestIdentity[]; token: Uint8Array },
  headers: Uint8Array[],
  token: Uint8Array | null = m.token,
) {
  return {
    userId: m.identity.account.userId,
    ...(token ? { token } : {}),
    devices: m.devices.map((d, i) => ({ deviceId: d.device.deviceId, header: headers[i] as Uint8Array })),
  } satisfies MultiSendRecipient;
}

describe("multi_send", () => {
  it("stores version ‖ 0x04 ‖ header ‖ payload in every mailbox; each device opens it and authenticates the sender", async () => {
    h = await createHarness();
    const alice = newIdentity();
    const bob = await member(1);
    const carol = await member();
    const devices = [...bob.devices, ...carol.devices];
    const { payload, headers } = sealMulti(
      deps,
      alice.device,
      devices.map((d) => ({ identityKey: d.device.identityKey.publicKey })),
      utf8("hello group"),
    );
    const anonymous = h.connect();
    const frame = {
      t: "multi_send" as const,
      payload,
      recipients: [recipientOf(bob, headers.slice(0, 2)), recipientOf(carol, headers.slice(2))],
    };
    expect(await results(anonymous, frame)).toEqual(["OK", "OK", "OK"]);
    const conns = [...bob.conns, ...carol.conns];
    devices.forEach((d, i) => {
      const [delivered] = (conns[i] as FakeConnection).ofType("message");
      expect(delivered?.envelope).toEqual(multiEnvelope(headers[i] as Uint8Array, payload));
      const opened = openEnvelope(deps, d.device.identityKey, delivered?.envelope as Uint8Array);
      expect(opened.multi).toBe(true);
      expect(new TextDecoder().decode(opened.message)).toBe("hello group");
      expect(opened.sender).toEqual(alice.device.address);
      // The id is derived from the payload, the mailbox and the header, as a client can compute it too.
      expect(delivered?.messageId).toEqual(
        multiMessageId(deps.crypto, deps.crypto.sha256(payload), d.account.userId, d.device.deviceId, headers[i] as Uint8Array),
      );
    });
  });

  it("checks each recipient user's token: a bad or missing token or an unknown user is TOKEN_INVALID for its devices only", async () => {
    h = await createHarness();
    const bob = await member(1);
    const carol = await member();
    const dave = await member();
    const ghost = { identity: newIdentity(), devices: [newIdentity()], token: deps.crypto.randomBytes(32) };
    const header = new Uint8Array(48).fill(1);
    const payload = new Uint8Array(300).fill(2);
    const recipients = [
      recipientOf(bob, [header, header]),
      recipientOf(carol, [header], deps.crypto.randomBytes(32)),
      recipientOf(dave, [header], null),
      recipientOf(ghost, [header]),
    ];
    expect(await results(h.connect(), { t: "multi_send", payload, recipients })).toEqual([
      "OK",
      "OK",
      "TOKEN_INVALID",
      "TOKEN_INVALID",
      "TOKEN_INVALID",
    ]);
    expect(bob.conns.map((c) => c.ofType("message").length)).toEqual([1, 1]);
    expect(carol.conns[0]?.ofType("message")).toHaveLength(0);
  });

  it("answers NOT_FOUND for a device the user does not have, OK for the others", async () => {
    h = await createHarness();
    const bob = await member();
    const header = new Uint8Array(48).fill(1);
    const recipients = [
      {
        userId: bob.identity.account.userId,
        token: bob.token,
        devices: [
          { deviceId: 1, header },
          { deviceId: 7, header },
        ],
      },
    ];
    expect(await results(h.connect(), { t: "multi_send", payload: new Uint8Array(300), recipients })).toEqual(["OK", "NOT_FOUND"]);
  });

  it("dedupes a retry of the same upload (derived ids) and honours ids the sender chose", async () => {
    h = await createHarness();
    const bob = await member(1);
    const headers = [new Uint8Array(48).fill(1), new Uint8Array(48).fill(2)];
    const frame = { t: "multi_send" as const, payload: new Uint8Array(300).fill(9), recipients: [recipientOf(bob, headers)] };
    expect(await results(h.connect(), frame)).toEqual(["OK", "OK"]);
    expect(await results(h.connect(), frame)).toEqual(["DUPLICATE", "DUPLICATE"]);
    // The same payload under a different header is another message (a co-recipient cannot burn the real one's id).
    const other = { ...frame, recipients: [recipientOf(bob, [new Uint8Array(48).fill(3), headers[1] as Uint8Array])] };
    expect(await results(h.connect(), other)).toEqual(["OK", "DUPLICATE"]);
    const chosen = deps.crypto.randomBytes(16);
    const withId = {
      ...frame,
      recipients: [
        {
          userId: bob.identity.account.userId,
          token: bob.token,
          devices: [{ deviceId: 1, header: headers[0] as Uint8Array, messageId: chosen }],
        },
      ],
    };
    expect(await results(h.connect(), withId)).toEqual(["OK"]);
    expect(bob.conns[0]?.ofType("message").at(-1)?.messageId).toEqual(chosen);
  });

  it("commits every row of a fan-out in one store transaction before answering", async () => {
    h = await createHarness();
    const members = [await member(2), await member(1), await member()];
    const enqueue = vi.spyOn(h.relay.context.store, "enqueueReporting");
    const header = new Uint8Array(48).fill(5);
    const recipients = members.map((m) =>
      recipientOf(
        m,
        m.devices.map(() => header),
      ),
    );
    expect(await results(h.connect(), { t: "multi_send", payload: new Uint8Array(400), recipients })).toEqual(new Array(6).fill("OK"));
    expect(enqueue).toHaveBeenCalledTimes(1);
    const batch = enqueue.mock.calls[0]?.[0] ?? [];
    expect(batch).toHaveLength(6);
    // One shared payload object for the whole fan-out: the store writes it once.
    expect(new Set(batch.map((m) => m.shared)).size).toBe(1);
  });

  it("delivers an ephemeral multi_send to live devices only (OK / OFFLINE), storing nothing", async () => {
    h = await createHarness();
    const bob = await member(1);
    (bob.conns[1] as FakeConnection).conn.close(1000, "gone");
    const headers = [new Uint8Array(48).fill(1), new Uint8Array(48).fill(2)];
    const payload = new Uint8Array(300).fill(4);
    expect(await results(h.connect(), { t: "multi_send", payload, ephemeral: true, recipients: [recipientOf(bob, headers)] })).toEqual([
      "OK",
      "OFFLINE",
    ]);
    expect(bob.conns[0]?.ofType("ephemeral")[0]?.envelope).toEqual(multiEnvelope(headers[0] as Uint8Array, payload));
    expect(await h.relay.context.store.queueDepth({ userId: bob.identity.account.userId, deviceId: 1 })).toBe(0);
  });

  it("refuses a user or a device listed twice (BAD_REQUEST), storing nothing", async () => {
    h = await createHarness();
    const bob = await member();
    const header = new Uint8Array(48);
    const twiceUser = [recipientOf(bob, [header]), recipientOf(bob, [header])];
    expect(codeOf(await request(h.connect(), { t: "multi_send", payload: new Uint8Array(300), recipients: twiceUser }))).toBe(
      "BAD_REQUEST",
    );
    const twiceDevice = [
      {
        userId: bob.identity.account.userId,
        token: bob.token,
        devices: [
          { deviceId: 1, header },
          { deviceId: 1, header },
        ],
      },
    ];
    expect(codeOf(await request(h.connect(), { t: "multi_send", payload: new Uint8Array(300), recipients: twiceDevice }))).toBe(
      "BAD_REQUEST",
    );
    expect(await h.relay.context.store.queueDepth({ userId: bob.identity.account.userId, deviceId: 1 })).toBe(0);
  });
});

describe("multi_send between senders", () => {
  it("keeps an anonymous connection alive once a fan-out is accepted, not for one refused everywhere", async () => {
    h = await createHarness();
    const bob = await member();
    const header = new Uint8Array(48);
    const refused = h.connect();
    await request(refused, { t: "multi_send", payload: new Uint8Array(300), recipients: [recipientOf(bob, [header], null)] });
    expect(refused.conn.anonymousActivity).toBe(false);
    const accepted = h.connect();
    await request(accepted, { t: "multi_send", payload: new Uint8Array(300), recipients: [recipientOf(bob, [header])] });
    expect(accepted.conn.anonymousActivity).toBe(true);
  });

  it("a sender that used up its fan-out budget leaves other senders' sealed sends and authenticated sends untouched", async () => {
    h = await createHarness({ fanOutDeviceBurst: 2, fanOutDevicesPerSecond: 1 });
    const bob = await member(1);
    const headers = [new Uint8Array(48).fill(1), new Uint8Array(48).fill(2)];
    const flooder = h.connect();
    expect(await results(flooder, { t: "multi_send", payload: new Uint8Array(300), recipients: [recipientOf(bob, headers)] })).toEqual([
      "OK",
      "OK",
    ]);
    expect(codeOf(await request(flooder, { t: "multi_send", payload: new Uint8Array(301), recipients: [recipientOf(bob, headers)] }))).toBe(
      "RATE_LIMITED",
    );
    const honest = h.connect();
    const sealed = await request(honest, {
      t: "sealed_send",
      userId: bob.identity.account.userId,
      token: bob.token,
      messages: [{ deviceId: 1, messageId: deps.crypto.randomBytes(16), envelope: utf8("hi") }],
    });
    expect(sealed).toMatchObject({ t: "sent", results: ["OK"] });
    const alice = await h.register(newIdentity());
    const direct = await request(alice, {
      t: "send",
      messages: [{ userId: bob.identity.account.userId, deviceId: 2, messageId: deps.crypto.randomBytes(16), envelope: utf8("hi") }],
    });
    expect(direct).toMatchObject({ t: "sent", results: ["OK"] });
  });

  it("answers INTERNAL and gives every reserved share back when the commit fails; nothing is stored", async () => {
    h = await createHarness({ maxQueuedPerSender: 1 });
    const bob = await member(1);
    const headers = [new Uint8Array(48).fill(1), new Uint8Array(48).fill(2)];
    const c = h.connect();
    const enqueue = vi.spyOn(h.relay.context.store, "enqueueReporting").mockRejectedValueOnce(new Error("disk gone"));
    expect(codeOf(await request(c, { t: "multi_send", payload: new Uint8Array(300), recipients: [recipientOf(bob, headers)] }))).toBe(
      "INTERNAL",
    );
    enqueue.mockRestore();
    expect(await h.relay.context.store.queueDepth({ userId: bob.identity.account.userId, deviceId: 1 })).toBe(0);
    // The shares came back: the same connection (whose share is one message per mailbox) may send again.
    expect(await results(c, { t: "multi_send", payload: new Uint8Array(300), recipients: [recipientOf(bob, headers)] })).toEqual([
      "OK",
      "OK",
    ]);
  });
});

describe("multi_send limits (N, N+1)", () => {
  /** `n` devices of one user (a user may have up to 64), spread over `n / 8` users. */
  async function fanOut(n: number) {
    const users = await Promise.all(Array.from({ length: Math.ceil(n / 8) }, () => member(0)));
    // Each user has one registered device; extra header entries for unknown devices answer NOT_FOUND, which is fine here.
    let left = n;
    return users.map((u) => {
      const count = Math.min(8, left);
      left -= count;
      return {
        userId: u.identity.account.userId,
        token: u.token,
        devices: Array.from({ length: count }, (_, i) => ({ deviceId: i + 1, header: new Uint8Array(48).fill(i) })),
      };
    });
  }

  it("takes maxMultiSendDevices devices and refuses one more with TOO_MANY_RECIPIENTS", async () => {
    h = await createHarness({ maxMultiSendDevices: 16 });
    const payload = new Uint8Array(300);
    const ok = await request(h.connect(), { t: "multi_send", payload, recipients: await fanOut(16) });
    expect(codeOf(ok)).toBe("sent");
    expect(ok.t === "sent" && ok.results.length).toBe(16);
    expect(codeOf(await request(h.connect(), { t: "multi_send", payload, recipients: await fanOut(17) }))).toBe("TOO_MANY_RECIPIENTS");
  });

  it("charges the fan-out per device to the address: fanOutDeviceBurst devices pass, one more is RATE_LIMITED", async () => {
    h = await createHarness({ fanOutDeviceBurst: 24, fanOutDevicesPerSecond: 1 });
    const payload = new Uint8Array(300);
    const recipients = await fanOut(12);
    expect(codeOf(await request(h.connect(), { t: "multi_send", payload, recipients }))).toBe("sent");
    expect(codeOf(await request(h.connect(), { t: "multi_send", payload: new Uint8Array(301), recipients }))).toBe("sent");
    // The burst is spent (harness connections share one address); one more device is refused.
    const one = [{ ...(recipients[0] as MultiSendRecipient), devices: [(recipients[0] as MultiSendRecipient).devices[0] as never] }];
    expect(codeOf(await request(h.connect(), { t: "multi_send", payload: new Uint8Array(302), recipients: one }))).toBe("RATE_LIMITED");
    h.clock.now += 1000;
    expect(codeOf(await request(h.connect(), { t: "multi_send", payload: new Uint8Array(302), recipients: one }))).toBe("sent");
  });

  it("limits an ephemeral fan-out's payload to maxEphemeralFanOutPayloadBytes (N sent, N+1 BAD_REQUEST); stored ones are not limited by it", async () => {
    h = await createHarness({ maxEphemeralFanOutPayloadBytes: 1000 });
    const bob = await member();
    const recipients = [recipientOf(bob, [new Uint8Array(48)])];
    expect(await results(h.connect(), { t: "multi_send", payload: new Uint8Array(1000), ephemeral: true, recipients })).toEqual(["OK"]);
    expect(codeOf(await request(h.connect(), { t: "multi_send", payload: new Uint8Array(1001), ephemeral: true, recipients }))).toBe(
      "BAD_REQUEST",
    );
    expect(await results(h.connect(), { t: "multi_send", payload: new Uint8Array(1001), recipients })).toEqual(["OK"]);
  });

  it("has its own frame limit: maxMultiSendFrameBytes bytes pass, one more is FRAME_TOO_LARGE; other frames keep maxFrameBytes", async () => {
    const limit = 200 * 1024;
    h = await createHarness({ maxFrameBytes: 64 * 1024, maxMultiSendFrameBytes: limit });
    const bob = await member();
    const frameOfSize = (size: number) => {
      const base = { t: "multi_send" as const, id: 77, recipients: [recipientOf(bob, [new Uint8Array(48)])] };
      const overhead = encodeFrame({ ...base, payload: new Uint8Array(70_000) }).length - 70_000;
      const bytes = encodeFrame({ ...base, payload: new Uint8Array(size - overhead) });
      expect(bytes.length).toBe(size);
      return bytes;
    };
    const c = h.connect();
    await c.sendBytes(frameOfSize(limit));
    expect(codeOf(c.response(77) as never)).toBe("sent");
    const d = h.connect();
    await d.sendBytes(frameOfSize(limit + 1));
    expect(d.response(77)).toMatchObject({ t: "error", code: "FRAME_TOO_LARGE" });
    // A sealed_send of the same size is over the general limit.
    const e = h.connect();
    await e.sendBytes(
      encodeFrame({
        t: "sealed_send",
        id: 78,
        userId: bob.identity.account.userId,
        token: bob.token,
        messages: [{ deviceId: 1, messageId: new Uint8Array(16), envelope: new Uint8Array(100 * 1024) }],
      }),
    );
    expect(e.response(78)).toMatchObject({ t: "error", code: "FRAME_TOO_LARGE" });
  });
});
