// The group model (spec/groups.md §9.1): members with one or two devices, random group sends,
// drops, reorders and duplicate deliveries of group messages, distributions delayed and
// reordered on the pairwise channel, joins, re-joins, removals of members and of single
// devices, states saved and reloaded, and two attacks: messages re-sent under another sender's
// name, and insiders forging with a chain key they hold — all at the level of the pure core, with the
// membership rules of §9 played by the model. After every run:
// - each device decrypted exactly the messages sent while it was a member (once it had the
//   sender's key), exactly once, to what was sent; a second delivery is ERR_DUPLICATE_MESSAGE
//   and changes nothing;
// - no device can read a message sent while it was not a member: not through the API with any
//   state it holds, and not by running any chain key it ever received forward and trying the
//   AEAD directly (a removed member that kept its keys; a later member with its current keys).
// PARLEY_FUZZ_RUNS raises the run count (the nightly script uses 20,000).
import { fc, test } from "@fast-check/vitest";
import { describe, expect } from "vitest";
import type { Deps } from "../src/deps.js";
import { ErrorCode, ParleyError } from "../src/errors.js";
import {
  acceptSenderKeyDistribution,
  createSenderKey,
  decodeGroupMessage,
  decodeSenderKeyDistribution,
  decodeSenderKeyState,
  encodeSenderKeyDistribution,
  encodeSenderKeyState,
  groupDecrypt,
  groupEncrypt,
  kdfSenderKey,
  parseGroupMessageHeader,
  type SenderKeyDistribution,
  type SenderKeyState,
} from "../src/group/sender-key.js";
import { senderKeyState } from "../src/group/sender-key-state.js";
import { allDeps, text, utf8 } from "./fixtures.js";

const RUNS = Number(process.env.PARLEY_FUZZ_RUNS ?? 1000);
const groupId = new Uint8Array(16).fill(0x42);

type Action =
  | { type: "send"; who: number }
  | { type: "deliver"; pick: number; keep: boolean }
  | { type: "drop"; pick: number }
  | { type: "distribute"; pick: number }
  | { type: "join"; pick: number; devices: 1 | 2; rejoin: boolean }
  | { type: "remove"; pick: number; wholeMember: boolean }
  | { type: "reload"; who: number }
  | { type: "impersonate"; pick: number; claimed: number }
  | { type: "forge"; who: number; pick: number };

const action: fc.Arbitrary<Action> = fc.oneof(
  { weight: 5, arbitrary: fc.record({ type: fc.constant("send" as const), who: fc.nat() }) },
  { weight: 6, arbitrary: fc.record({ type: fc.constant("deliver" as const), pick: fc.nat(), keep: fc.boolean() }) },
  { weight: 1, arbitrary: fc.record({ type: fc.constant("drop" as const), pick: fc.nat() }) },
  { weight: 4, arbitrary: fc.record({ type: fc.constant("distribute" as const), pick: fc.nat() }) },
  {
    weight: 1,
    arbitrary: fc.record({
      type: fc.constant("join" as const),
      pick: fc.nat(),
      devices: fc.constantFrom<1 | 2>(1, 2),
      rejoin: fc.boolean(),
    }),
  },
  { weight: 1, arbitrary: fc.record({ type: fc.constant("remove" as const), pick: fc.nat(), wholeMember: fc.boolean() }) },
  { weight: 1, arbitrary: fc.record({ type: fc.constant("reload" as const), who: fc.nat() }) },
  { weight: 1, arbitrary: fc.record({ type: fc.constant("impersonate" as const), pick: fc.nat(), claimed: fc.nat() }) },
  { weight: 1, arbitrary: fc.record({ type: fc.constant("forge" as const), who: fc.nat(), pick: fc.nat() }) },
);

interface Device {
  readonly name: string;
  readonly user: number;
  member: boolean;
  /** Our own sender key and the removal epoch it was made in (§9 rule 3: unusable after a later removal). */
  own: SenderKeyState | undefined;
  ownEpoch: number;
  /** Receiving states by `${sender}/${keyId}`. */
  readonly keys: Map<string, SenderKeyState>;
  /** Every distribution ever received: what an attacker keeping its keys holds. */
  readonly received: SenderKeyDistribution[];
  /** Group messages that arrived before their sender key (a client holds them, §9 rule 4). */
  pending: Sent[];
  /** Message id → times decrypted. */
  readonly decrypted: Map<number, number>;
}

interface Sent {
  readonly id: number;
  readonly from: Device;
  readonly bytes: Uint8Array;
  /** Member devices when it was sent, the sender excepted: exactly who is entitled to it. */
  readonly recipients: ReadonlySet<Device>;
}

interface Copy {
  readonly message: Sent;
  readonly to: Device;
}

interface Distribution {
  readonly from: Device;
  readonly to: Device;
  readonly bytes: Uint8Array;
}

function codeOf(fn: () => unknown): string {
  try {
    fn();
  } catch (error) {
    if (error instanceof ParleyError) return error.code;
    throw error;
  }
  return "none";
}

/** One run of the model. */
class GroupModel {
  readonly devices: Device[] = [];
  readonly sent: Sent[] = [];
  readonly network: Copy[] = [];
  readonly pairwise: Distribution[] = [];
  /** `${messageId}/${device}` → delivered at least once. */
  readonly delivered = new Set<string>();
  removalEpoch = 0;
  private users = 0;

  constructor(
    private readonly deps: Deps,
    initial: readonly (1 | 2)[],
  ) {
    for (const count of initial) this.addUser(count);
  }

  get members(): Device[] {
    return this.devices.filter((d) => d.member);
  }

  private addUser(deviceCount: number): Device[] {
    const user = this.users++;
    const added: Device[] = [];
    for (let i = 0; i < deviceCount; i++) {
      const device: Device = {
        name: `u${user}.d${i + 1}`,
        user,
        member: true,
        own: undefined,
        ownEpoch: -1,
        keys: new Map(),
        received: [],
        pending: [],
        decrypted: new Map(),
      };
      this.devices.push(device);
      added.push(device);
    }
    return added;
  }

  step(a: Action): void {
    switch (a.type) {
      case "send":
        this.send(a.who);
        return;
      case "deliver":
      case "drop": {
        if (this.network.length === 0) return;
        const at = a.pick % this.network.length;
        const copy = this.network[at] as Copy;
        if (a.type === "drop" || !a.keep) this.network.splice(at, 1);
        if (a.type === "deliver") this.receive(copy.to, copy.message);
        return;
      }
      case "distribute": {
        if (this.pairwise.length === 0) return;
        const [d] = this.pairwise.splice(a.pick % this.pairwise.length, 1);
        if (d) this.distribute(d);
        return;
      }
      case "join":
        this.join(a.pick, a.devices, a.rejoin);
        return;
      case "remove":
        this.remove(a.pick, a.wholeMember);
        return;
      case "reload": {
        const device = this.devices[a.who % this.devices.length] as Device;
        if (device.own) device.own = decodeSenderKeyState(encodeSenderKeyState(device.own));
        for (const [k, s] of device.keys) device.keys.set(k, decodeSenderKeyState(encodeSenderKeyState(s)));
        return;
      }
      case "impersonate":
        this.impersonate(a.pick, a.claimed);
        return;
      case "forge":
        this.forge(a.who, a.pick);
    }
  }

  private send(who: number): void {
    const members = this.members;
    if (members.length === 0) return;
    const from = members[who % members.length] as Device;
    // §9 rules 1 and 3: a first message, or the first since a removal, goes with a new key
    // distributed to the current member devices only.
    if (!from.own || from.ownEpoch < this.removalEpoch) {
      from.own = createSenderKey(this.deps);
      from.ownEpoch = this.removalEpoch;
      const bytes = encodeSenderKeyDistribution(from.own);
      for (const to of members) if (to !== from) this.pairwise.push({ from, to, bytes });
    }
    const id = this.sent.length;
    const out = groupEncrypt(this.deps, from.own, groupId, utf8(`message ${id}`));
    from.own = out.state;
    const message: Sent = { id, from, bytes: out.message, recipients: new Set(members.filter((d) => d !== from)) };
    this.sent.push(message);
    for (const to of message.recipients) this.network.push({ message, to });
  }

  private distribute(d: Distribution): void {
    const decoded = decodeSenderKeyDistribution(d.bytes);
    const slot = `${d.from.name}/${decoded.keyId}`;
    d.to.keys.set(slot, acceptSenderKeyDistribution(d.to.keys.get(slot), decoded));
    d.to.received.push(decoded);
    const waiting = d.to.pending;
    d.to.pending = [];
    for (const m of waiting) this.receive(d.to, m);
  }

  private receive(to: Device, m: Sent): void {
    this.delivered.add(`${m.id}/${to.name}`);
    const header = parseGroupMessageHeader(m.bytes);
    const slot = `${m.from.name}/${header.keyId}`;
    const state = to.keys.get(slot);
    if (!state) {
      to.pending.push(m);
      return;
    }
    const times = to.decrypted.get(m.id) ?? 0;
    if (times > 0) {
      expect(codeOf(() => groupDecrypt(this.deps, state, groupId, m.bytes))).toBe(ErrorCode.DuplicateMessage);
      expect(to.keys.get(slot)).toBe(state);
      return;
    }
    const result = groupDecrypt(this.deps, state, groupId, m.bytes);
    expect(text(result.plaintext)).toBe(`message ${m.id}`);
    expect(result.lost).toBe(0);
    to.keys.set(slot, result.state);
    to.decrypted.set(m.id, times + 1);
  }

  private join(pick: number, deviceCount: number, rejoin: boolean): void {
    const former = this.devices.filter((d) => !d.member);
    const joiners =
      rejoin && former.length > 0
        ? this.devices.filter((d) => d.user === (former[pick % former.length] as Device).user && !d.member)
        : this.addUser(deviceCount);
    for (const d of joiners) d.member = true;
    // §9 rule 2: each sender with a usable key hands the joiners its CURRENT state.
    for (const sender of this.members) {
      if (joiners.includes(sender) || !sender.own || sender.ownEpoch < this.removalEpoch) continue;
      const bytes = encodeSenderKeyDistribution(sender.own);
      for (const to of joiners) this.pairwise.push({ from: sender, to, bytes });
    }
  }

  private remove(pick: number, wholeMember: boolean): void {
    const members = this.members;
    if (members.length === 0) return;
    const chosen = members[pick % members.length] as Device;
    for (const d of wholeMember ? members.filter((m) => m.user === chosen.user) : [chosen]) d.member = false;
    this.removalEpoch++;
  }

  /**
   * A device (a member, or the relay) re-sends a message in flight under another sender's name:
   * the receiver looks up that sender's key and refuses the message, changing nothing.
   */
  private impersonate(pick: number, claimed: number): void {
    if (this.network.length === 0) return;
    const { message, to } = this.network[pick % this.network.length] as Copy;
    const claimedSender = this.devices[claimed % this.devices.length] as Device;
    if (claimedSender === message.from) return;
    const slot = `${claimedSender.name}/${parseGroupMessageHeader(message.bytes).keyId}`;
    const state = to.keys.get(slot);
    if (!state) return; // A client holds it as pending; it can never decrypt (the check covers that).
    expect([ErrorCode.NoSession, ErrorCode.InvalidSignature]).toContain(
      codeOf(() => groupDecrypt(this.deps, state, groupId, message.bytes)),
    );
  }

  /**
   * A device holding another sender's chain key makes a message with it, signed with a key of
   * its own (the insider forgery): every holder of that sender key refuses it.
   */
  private forge(who: number, pick: number): void {
    const forger = this.devices[who % this.devices.length] as Device;
    const held = [...forger.keys];
    if (held.length === 0) return;
    const [slot, stolen] = held[pick % held.length] as [string, SenderKeyState];
    const fake = senderKeyState({ ...stolen, signingPrivateKey: createSenderKey(this.deps).signingPrivateKey });
    const forged = groupEncrypt(this.deps, fake, groupId, utf8("forged")).message;
    for (const device of this.devices) {
      const state = device.keys.get(slot);
      if (state) expect(codeOf(() => groupDecrypt(this.deps, state, groupId, forged))).toBe(ErrorCode.InvalidSignature);
    }
  }

  /** Delivers everything still in flight, as a network that eventually delivers would. */
  flush(): void {
    while (this.pairwise.length > 0) this.distribute(this.pairwise.shift() as Distribution);
    while (this.network.length > 0) {
      const copy = this.network.shift() as Copy;
      this.receive(copy.to, copy.message);
    }
  }

  check(): void {
    for (const device of this.devices) expect(device.pending, `${device.name} holds messages for a key it never got`).toEqual([]);
    for (const m of this.sent) {
      for (const device of this.devices) {
        const times = device.decrypted.get(m.id) ?? 0;
        if (m.recipients.has(device)) {
          expect(times, `${device.name}, message ${m.id}`).toBe(this.delivered.has(`${m.id}/${device.name}`) ? 1 : 0);
        } else {
          expect(times).toBe(0);
          if (device !== m.from) this.cannotRead(device, m);
        }
      }
    }
  }

  /** A device that was not a member when `m` was sent tries everything it holds. */
  private cannotRead(device: Device, m: Sent): void {
    for (const state of device.keys.values()) {
      expect(codeOf(() => groupDecrypt(this.deps, state, groupId, m.bytes))).not.toBe("none");
      for (const key of state.skippedKeys.values()) expect(tryOpen(this.deps, key, m.bytes)).toBe(false);
    }
    const iteration = decodeGroupMessage(m.bytes).iteration;
    for (const d of device.received) {
      if (d.iteration > iteration) continue; // The chain only runs forward.
      let chainKey = d.chainKey;
      for (let i = d.iteration; i < iteration; i++) chainKey = kdfSenderKey(this.deps, chainKey).nextChainKey;
      expect(tryOpen(this.deps, kdfSenderKey(this.deps, chainKey).messageKey, m.bytes), `${device.name} read message ${m.id}`).toBe(false);
    }
  }
}

/** The AEAD alone, with no signature or header checks: does this key open the message? */
function tryOpen(deps: Deps, messageKey: Uint8Array, bytes: Uint8Array): boolean {
  const m = decodeGroupMessage(bytes);
  return deps.crypto.aeadDecrypt(messageKey, m.nonce, m.ciphertext, m.header) !== null;
}

describe.each(allDeps)("group model with the %s provider", (name, deps) => {
  const runs = name.startsWith("node") ? RUNS : Math.max(30, Math.floor(RUNS / 10));
  const initial = fc.array(fc.constantFrom<1 | 2>(1, 2), { minLength: 2, maxLength: 4 });

  test.prop([initial, fc.array(action, { minLength: 1, maxLength: 80 })], { numRuns: runs })(
    "every device decrypts exactly what it was entitled to, exactly once, and nothing else",
    (members, actions) => {
      const model = new GroupModel(deps, members);
      for (const a of actions) model.step(a);
      model.flush();
      model.check();
    },
  );

  test("a removed member that kept its keys reads nothing sent after the removal (scripted)", () => {
    const model = new GroupModel(deps, [1, 1, 1]);
    const steps: Action[] = [
      { type: "send", who: 0 },
      { type: "send", who: 1 },
      { type: "send", who: 2 },
    ];
    for (const a of steps) model.step(a);
    model.flush();
    const removed = model.devices[2] as Device;
    expect(removed.decrypted.size).toBe(2);
    model.step({ type: "remove", pick: 2, wholeMember: true });
    model.step({ type: "send", who: 0 });
    model.step({ type: "send", who: 1 });
    // The removed device gets the ciphertexts anyway (say, from the relay) and tries its keys.
    for (const m of model.sent.slice(3)) {
      expect(m.recipients.has(removed)).toBe(false);
      for (const state of removed.keys.values()) expect(codeOf(() => groupDecrypt(deps, state, groupId, m.bytes))).not.toBe("none");
    }
    model.flush();
    model.check();
    expect(removed.received.length).toBe(2);
  });
});
